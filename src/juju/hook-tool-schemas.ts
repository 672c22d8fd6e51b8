import * as z from 'zod/mini';
import '../zod-setup.ts';

/**
 * The JSON each hook tool prints with `--format=json` (docs/hook-tools.md), as zod schemas that also
 * reshape Juju's kebab-case output into the camelCase types the charm uses. Each schema is built
 * on first use: building all of them costs ~3 ms, on every dispatch, for tools most hooks never run.
 */

function lazy<T>(build: () => T): () => T {
  let built: T | undefined;
  return () => (built ??= build());
}

export type ConfigValue = string | number | boolean;
export const configSchema = lazy(() => z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])));

/** Juju prints a nil Go slice as `null`; it means the same as `[]`. */
export const stringListSchema = lazy(() => z.pipe(z.nullable(z.array(z.string())), z.transform((list: string[] | null) => list ?? [])));

/**
 * `secret-ids`: Juju 3.6 prints a list of ids (`null` when none); some Juju versions print a map
 * of id → label instead. Either way the ids are what we return.
 */
export const secretIdsSchema = lazy(() =>
  z.pipe(
    z.union([z.array(z.string()), z.record(z.string(), z.string()), z.null()]),
    z.transform((ids: string[] | Record<string, string> | null) => (ids === null ? [] : Array.isArray(ids) ? ids : Object.keys(ids))),
  ),
);

/** `relation-list --app`: the remote application name (null if Juju does not know it). */
export const nullableStringSchema = lazy(() => z.nullable(z.string()));

/** A relation bucket; Juju prints `{}` for an empty one (`null` is tolerated the same way). */
export const bucketSchema = lazy(() =>
  z.pipe(z.nullable(z.record(z.string(), z.string())), z.transform((bucket: Record<string, string> | null) => bucket ?? {})),
);

export const booleanSchema = lazy(() => z.boolean());

const statusFields = () => ({
  status: z.string(),
  message: z._default(z.string(), ''),
  'status-data': z.nullish(z.record(z.string(), z.unknown())),
});

export interface StatusInfo {
  status: string;
  message: string;
  data: Record<string, unknown>;
}
export interface AppStatusInfo extends StatusInfo {
  units: Record<string, StatusInfo>;
}

const toStatus = (value: { status: string; message: string; 'status-data'?: Record<string, unknown> | null | undefined }): StatusInfo => ({
  status: value.status,
  message: value.message,
  data: value['status-data'] ?? {},
});

export const unitStatusSchema = lazy(() => z.pipe(z.object(statusFields()), z.transform(toStatus)));

/** `units` is nested inside `application-status` (not top level, as hookcmds assumes). */
export const appStatusSchema = lazy(() => {
  const appStatus = z.object({
    ...statusFields(),
    units: z.nullish(z.record(z.string(), unitStatusSchema())),
  });
  return z.pipe(
    z.object({ 'application-status': appStatus }),
    z.transform(({ 'application-status': app }: { 'application-status': z.output<typeof appStatus> }): AppStatusInfo => ({
      ...toStatus(app),
      units: app.units ?? {},
    })),
  );
});

export const actionParamsSchema = lazy(() => z.record(z.string(), z.unknown()));

export const secretContentSchema = lazy(() => z.record(z.string(), z.string()));

export type RotatePolicy = 'never' | 'hourly' | 'daily' | 'weekly' | 'monthly' | 'quarterly' | 'yearly';

export interface SecretInfo {
  /** The bare secret id (xid), as Juju keys the output. */
  id: string;
  revision: number;
  label?: string;
  owner: 'application' | 'unit';
  description?: string;
  rotation?: RotatePolicy;
  expiry?: string;
  rotates?: string;
  access?: { target: string; scope: string; role: string }[];
}

const secretInfoBody = () =>
  z.object({
    revision: z.int(),
    label: z.optional(z.string()),
    owner: z.enum(['application', 'unit']),
    description: z.optional(z.string()),
    rotation: z.optional(z.enum(['never', 'hourly', 'daily', 'weekly', 'monthly', 'quarterly', 'yearly'])),
    expiry: z.optional(z.string()),
    rotates: z.optional(z.string()),
    access: z.optional(z.array(z.object({ target: z.string(), scope: z.string(), role: z.string() }))),
  });
type SecretInfoBody = z.infer<ReturnType<typeof secretInfoBody>>;

/** Exactly one key: the secret's id. */
export const secretInfoSchema = lazy(() =>
  z.pipe(
    z.record(z.string(), secretInfoBody()).check(z.refine((value) => Object.keys(value).length === 1, 'expected exactly one secret')),
    z.transform((value: Record<string, SecretInfoBody>): SecretInfo => {
      const [id, body] = Object.entries(value)[0] as [string, SecretInfoBody];
      const info: SecretInfo = { id, revision: body.revision, owner: body.owner };
      for (const key of ['label', 'description', 'rotation', 'expiry', 'rotates', 'access'] as const) {
        if (body[key] !== undefined) Object.assign(info, { [key]: body[key] });
      }
      return info;
    }),
  ),
);

export interface NetworkAddress {
  value: string;
  hostname?: string;
  cidr?: string;
}
export interface NetworkInfo {
  bindAddresses: { macAddress?: string; interfaceName?: string; addresses: NetworkAddress[] }[];
  egressSubnets: string[];
  ingressAddresses: string[];
}

/** Older Juju printed `address` where newer prints `value`; both are accepted, as ops does. */
const addressSchema = () => {
  const raw = z
    .object({
      value: z.optional(z.string()),
      address: z.optional(z.string()),
      hostname: z.optional(z.string()),
      cidr: z.optional(z.string()),
    })
    .check(z.refine((a) => a.value !== undefined || a.address !== undefined, 'address without value'));
  return z.pipe(
    raw,
    z.transform((a: z.output<typeof raw>): NetworkAddress => {
      const out: NetworkAddress = { value: (a.value ?? a.address) as string };
      if (a.hostname) out.hostname = a.hostname;
      if (a.cidr) out.cidr = a.cidr;
      return out;
    }),
  );
};

export const networkSchema = lazy(() => {
  const raw = z.object({
    'bind-addresses': z.nullish(
      z.array(
        z.object({
          'mac-address': z.optional(z.string()),
          'interface-name': z.optional(z.string()),
          addresses: z.nullish(z.array(addressSchema())),
        }),
      ),
    ),
    'egress-subnets': z.nullish(z.array(z.string())),
    'ingress-addresses': z.nullish(z.array(z.string())),
  });
  return z.pipe(
    raw,
    z.transform(
      (n: z.output<typeof raw>): NetworkInfo => ({
        bindAddresses: (n['bind-addresses'] ?? []).map((b) => ({
          ...(b['mac-address'] ? { macAddress: b['mac-address'] } : {}),
          ...(b['interface-name'] ? { interfaceName: b['interface-name'] } : {}),
          addresses: b.addresses ?? [],
        })),
        egressSubnets: n['egress-subnets'] ?? [],
        ingressAddresses: n['ingress-addresses'] ?? [],
      }),
    ),
  );
});

/** `state-get`: Juju 4 prints `null` for an empty map. */
export const stateSchema = bucketSchema;
export const stateValueSchema = lazy(() => z.nullable(z.string()));

export interface StorageInfo {
  kind: 'filesystem' | 'block';
  location: string;
}
export const storageSchema = lazy(() => z.object({ kind: z.enum(['filesystem', 'block']), location: z.string() }));

export interface GoalStateEntry {
  status: string;
  since?: string;
}
export interface GoalState {
  units: Record<string, GoalStateEntry>;
  relations: Record<string, Record<string, GoalStateEntry>>;
}
const goalEntry = () =>
  z.pipe(
    z.object({ status: z.string(), since: z.nullish(z.string()) }),
    z.transform((e: { status: string; since?: string | null | undefined }): GoalStateEntry =>
      e.since ? { status: e.status, since: e.since } : { status: e.status },
    ),
  );
export const goalStateSchema = lazy(() => {
  const raw = z.object({
    units: z.nullish(z.record(z.string(), goalEntry())),
    relations: z.nullish(z.record(z.string(), z.record(z.string(), goalEntry()))),
  });
  return z.pipe(raw, z.transform((g: z.output<typeof raw>): GoalState => ({ units: g.units ?? {}, relations: g.relations ?? {} })));
});
