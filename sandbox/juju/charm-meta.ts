import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { SandboxModelError } from './errors.ts';
import { type CharmMeta, CharmMetaSchema } from './model/schema.ts';

/**
 * Turn a charm's metadata.yaml, config.yaml and actions.yaml (the files charmcraft packs) into
 * the model's CharmMeta, so the sandbox deploys exactly what the real charm declares.
 */

const RelationDefSchema = z.object({
  interface: z.string(),
  limit: z.number().int().positive().optional(),
  optional: z.boolean().optional(),
  scope: z.enum(['global', 'container']).optional(),
});

const MetadataSchema = z.object({
  name: z.string(),
  provides: z.record(z.string(), RelationDefSchema).nullish(),
  requires: z.record(z.string(), RelationDefSchema).nullish(),
  peers: z.record(z.string(), RelationDefSchema).nullish(),
  'extra-bindings': z.record(z.string(), z.unknown()).nullish(),
  storage: z
    .record(z.string(), z.object({ type: z.enum(['filesystem', 'block']), location: z.string().optional(), multiple: z.unknown().optional() }))
    .nullish(),
  containers: z
    .record(z.string(), z.object({ resource: z.string().optional(), mounts: z.array(z.object({ storage: z.string(), location: z.string().optional() })).optional() }))
    .nullish(),
  resources: z.record(z.string(), z.object({ type: z.string() })).nullish(),
});

const ConfigYamlSchema = z.object({
  options: z
    .record(z.string(), z.object({ type: z.enum(['string', 'int', 'float', 'boolean', 'secret']), default: z.unknown().optional(), description: z.string().optional() }))
    .nullish(),
});

const ActionsYamlSchema = z
  .record(
    z.string(),
    z
      .object({
        description: z.string().optional(),
        params: z.record(z.string(), z.record(z.string(), z.unknown())).nullish(),
        required: z.array(z.string()).nullish(),
        additionalProperties: z.boolean().nullish(),
      })
      .nullish(),
  )
  .nullish();

function parseDocument<T>(schema: z.ZodType<T>, text: string, file: string): T {
  try {
    return schema.parse(parseYaml(text) ?? {});
  } catch (error) {
    throw new SandboxModelError(`invalid ${file}`, { cause: error });
  }
}

export interface CharmYamlFiles {
  metadata: string;
  config?: string;
  actions?: string;
}

export function charmMetaFromYaml(files: CharmYamlFiles): CharmMeta {
  const metadata = parseDocument(MetadataSchema, files.metadata, 'metadata.yaml');
  const config = parseDocument(ConfigYamlSchema, files.config ?? '', 'config.yaml');
  const actions = parseDocument(ActionsYamlSchema, files.actions ?? '', 'actions.yaml');

  const endpoints: CharmMeta['endpoints'] = {};
  for (const role of ['provides', 'requires', 'peers'] as const) {
    for (const [name, def] of Object.entries(metadata[role] ?? {})) endpoints[name] = { role, ...def };
  }
  return CharmMetaSchema.parse({
    name: metadata.name,
    endpoints,
    extraBindings: Object.keys(metadata['extra-bindings'] ?? {}),
    storage: Object.fromEntries(
      Object.entries(metadata.storage ?? {}).map(([name, def]) => [name, { type: def.type, location: def.location, multiple: def.multiple !== undefined }]),
    ),
    containers: Object.fromEntries(Object.entries(metadata.containers ?? {}).map(([name, def]) => [name, { resource: def.resource, mounts: def.mounts ?? [] }])),
    resources: metadata.resources ?? {},
    actions: Object.fromEntries(
      Object.entries(actions ?? {}).map(([name, def]) => [
        name,
        { description: def?.description, params: def?.params ?? {}, required: def?.required ?? [], additionalProperties: def?.additionalProperties ?? true },
      ]),
    ),
    config: Object.fromEntries(
      Object.entries(config.options ?? {}).map(([name, def]) => [name, { type: def.type, default: def.default ?? null, description: def.description }]),
    ),
  });
}
