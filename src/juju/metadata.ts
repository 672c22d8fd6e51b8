import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod/mini';
import '../zod-setup.ts';
import { CharmError, errorCode } from '../errors.ts';
import type { JujuErrorCode } from './errors.ts';

/**
 * The parts of metadata.yaml / actions.yaml the runtime needs to recognise dynamic events:
 * which relation endpoints, storages, containers and actions this charm declares. ops defines an
 * event for each of them and ignores hooks for anything else; we do the same.
 */
export interface EndpointSpec {
  role: 'peer' | 'provides' | 'requires';
  interface: string;
  limit?: number;
  optional?: boolean;
}

export interface StorageSpec {
  type: 'filesystem' | 'block';
  location?: string;
}

export interface ContainerSpec {
  resource?: string;
  mounts: { storage: string; location?: string }[];
}

export interface CharmMetadata {
  name?: string;
  endpoints: ReadonlyMap<string, EndpointSpec>;
  storages: ReadonlyMap<string, StorageSpec>;
  containers: ReadonlyMap<string, ContainerSpec>;
  actions: ReadonlySet<string>;
}

export class CharmMetadataError extends CharmError<JujuErrorCode> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid-charm-metadata', message, options);
  }
}

const relationSchema = z.looseObject({
  interface: z.string().check(z.minLength(1)),
  limit: z.optional(z.int()),
  optional: z.optional(z.boolean()),
});
const relationsSchema = z.nullish(z.record(z.string(), relationSchema));

const metadataSchema = z.looseObject({
  name: z.optional(z.string()),
  peers: relationsSchema,
  provides: relationsSchema,
  requires: relationsSchema,
  storage: z.nullish(
    z.record(z.string(), z.looseObject({ type: z.enum(['filesystem', 'block']), location: z.optional(z.string()) })),
  ),
  containers: z.nullish(
    z.record(
      z.string(),
      z.nullish(
        z.looseObject({
          resource: z.optional(z.string()),
          mounts: z.optional(z.array(z.looseObject({ storage: z.string(), location: z.optional(z.string()) }))),
        }),
      ),
    ),
  ),
});

/** actions.yaml: action name → its spec (which may be empty). */
const actionsSchema = z.nullish(z.record(z.string(), z.unknown()));

/** Build CharmMetadata from already-parsed metadata.yaml (and actions.yaml) documents. */
export function parseCharmMetadata(metadata: unknown, actions?: unknown): CharmMetadata {
  const meta = metadataSchema.safeParse(metadata);
  if (!meta.success) {
    throw new CharmMetadataError(`metadata.yaml is not valid: ${z.prettifyError(meta.error)}`);
  }
  const acts = actionsSchema.safeParse(actions);
  if (!acts.success) {
    throw new CharmMetadataError(`actions.yaml is not valid: ${z.prettifyError(acts.error)}`);
  }
  const endpoints = new Map<string, EndpointSpec>();
  const roles = [
    ['peer', meta.data.peers],
    ['provides', meta.data.provides],
    ['requires', meta.data.requires],
  ] as const;
  for (const [role, relations] of roles) {
    for (const [name, spec] of Object.entries(relations ?? {})) {
      if (endpoints.has(name)) throw new CharmMetadataError(`endpoint ${JSON.stringify(name)} is declared twice`);
      endpoints.set(name, {
        role,
        interface: spec.interface,
        ...(spec.limit === undefined ? {} : { limit: spec.limit }),
        ...(spec.optional === undefined ? {} : { optional: spec.optional }),
      });
    }
  }
  const storages = new Map<string, StorageSpec>(
    Object.entries(meta.data.storage ?? {}).map(([name, spec]) => [
      name,
      spec.location === undefined ? { type: spec.type } : { type: spec.type, location: spec.location },
    ]),
  );
  const containers = new Map<string, ContainerSpec>(
    Object.entries(meta.data.containers ?? {}).map(([name, spec]) => [
      name,
      {
        ...(spec?.resource === undefined ? {} : { resource: spec.resource }),
        mounts: (spec?.mounts ?? []).map((mount) =>
          mount.location === undefined ? { storage: mount.storage } : { storage: mount.storage, location: mount.location },
        ),
      },
    ]),
  );
  return {
    ...(meta.data.name === undefined ? {} : { name: meta.data.name }),
    endpoints,
    storages,
    containers,
    actions: new Set(Object.keys(acts.data ?? {})),
  };
}

// Synchronous on purpose: two small files at the start of a one-shot process, and node:fs/promises
// (with the modules it drags in) would cost every hook more than the read itself.
async function readOptional(path: string): Promise<string | undefined> {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw new CharmMetadataError(`cannot read ${path}`, { cause: error });
  }
}

/**
 * Read metadata.yaml + actions.yaml from the charm directory (a packed charm always has them);
 * fall back to a unified charmcraft.yaml, whose `actions` key holds the actions.
 */
/** Where `npm run build` writes metadata.yaml + actions.yaml as JSON, relative to the charm dir. */
export const PREBUILT_METADATA = 'dist/charm-metadata.json';

export async function loadCharmMetadata(charmDir: string): Promise<CharmMetadata> {
  // The build writes the same documents as JSON next to the bundle: parsing JSON is cheaper
  // than loading a YAML parser on every hook.
  const prebuilt = await readOptional(join(charmDir, PREBUILT_METADATA));
  if (prebuilt !== undefined) {
    try {
      const { metadata, actions } = JSON.parse(prebuilt) as { metadata: unknown; actions?: unknown };
      return parseCharmMetadata(metadata, actions);
    } catch (error) {
      if (error instanceof CharmMetadataError) throw error;
      throw new CharmMetadataError(`${PREBUILT_METADATA} is not valid JSON`, { cause: error });
    }
  }
  // A CommonJS module imported dynamically from an ESM bundle may expose its exports only as
  // `default`, so look in both places.
  const yamlModule = (await import('yaml')) as typeof import('yaml') & { default?: typeof import('yaml') };
  const parse = yamlModule.parse ?? yamlModule.default?.parse;
  const parseDocument = (source: string, file: string): unknown => {
    try {
      return parse(source);
    } catch (error) {
      throw new CharmMetadataError(`${file} is not valid YAML`, { cause: error });
    }
  };
  const metadata = await readOptional(join(charmDir, 'metadata.yaml'));
  if (metadata !== undefined) {
    const actions = await readOptional(join(charmDir, 'actions.yaml'));
    return parseCharmMetadata(
      parseDocument(metadata, 'metadata.yaml'),
      actions === undefined ? undefined : parseDocument(actions, 'actions.yaml'),
    );
  }
  const unified = await readOptional(join(charmDir, 'charmcraft.yaml'));
  if (unified === undefined) {
    throw new CharmMetadataError(`neither metadata.yaml nor charmcraft.yaml exists in ${charmDir}`);
  }
  const document = parseDocument(unified, 'charmcraft.yaml');
  const actions = typeof document === 'object' && document !== null ? (document as { actions?: unknown }).actions : undefined;
  return parseCharmMetadata(document, actions);
}
