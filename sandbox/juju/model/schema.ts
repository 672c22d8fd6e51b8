import { z } from 'zod';

/**
 * The sandbox's Juju model as plain, serialisable data. Everything the hook-tool engine reads or
 * writes lives here, so the whole state of a sandbox is one JSON document that can be saved,
 * reloaded after a crash, diffed in tests and inspected by people.
 */

const stringMap = z.record(z.string(), z.string());

export const WORKLOAD_STATUSES = ['active', 'blocked', 'maintenance', 'waiting', 'error', 'unknown', 'terminated'] as const;
export const AGENT_STATUSES = ['allocating', 'idle', 'executing', 'error', 'lost', 'rebooting', 'failed'] as const;
export const ROTATE_POLICIES = ['never', 'hourly', 'daily', 'weekly', 'monthly', 'quarterly', 'yearly'] as const;

export const StatusSchema = z.object({
  status: z.string(),
  message: z.string(),
  since: z.string(),
  data: z.record(z.string(), z.unknown()).default({}),
});
export type Status = z.infer<typeof StatusSchema>;

export const EndpointSchema = z.object({
  role: z.enum(['provides', 'requires', 'peers']),
  interface: z.string(),
  limit: z.number().int().positive().optional(),
  optional: z.boolean().optional(),
  scope: z.enum(['global', 'container']).optional(),
});
export type Endpoint = z.infer<typeof EndpointSchema>;

export const StorageDefSchema = z.object({
  type: z.enum(['filesystem', 'block']),
  location: z.string().optional(),
  multiple: z.boolean().optional(),
});

export const ContainerDefSchema = z.object({
  resource: z.string().optional(),
  mounts: z.array(z.object({ storage: z.string(), location: z.string().optional() })).default([]),
});

export const ActionDefSchema = z.object({
  description: z.string().optional(),
  /** JSON-schema `properties` of the action's params, as actions.yaml writes them. */
  params: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  required: z.array(z.string()).default([]),
  additionalProperties: z.boolean().default(true),
});
export type ActionDef = z.infer<typeof ActionDefSchema>;

export const CONFIG_TYPES = ['string', 'int', 'float', 'boolean', 'secret'] as const;
export const ConfigValueSchema = z.union([z.string(), z.number(), z.boolean()]);
export type ConfigValue = z.infer<typeof ConfigValueSchema>;

export const ConfigOptionSchema = z.object({
  type: z.enum(CONFIG_TYPES),
  default: ConfigValueSchema.nullable().optional(),
  description: z.string().optional(),
});
export type ConfigOption = z.infer<typeof ConfigOptionSchema>;

export const CharmMetaSchema = z.object({
  name: z.string(),
  endpoints: z.record(z.string(), EndpointSchema).default({}),
  /** Names that network-get accepts besides endpoints (metadata `extra-bindings`). */
  extraBindings: z.array(z.string()).default([]),
  storage: z.record(z.string(), StorageDefSchema).default({}),
  containers: z.record(z.string(), ContainerDefSchema).default({}),
  resources: z.record(z.string(), z.object({ type: z.string() })).default({}),
  actions: z.record(z.string(), ActionDefSchema).default({}),
  config: z.record(z.string(), ConfigOptionSchema).default({}),
});
export type CharmMeta = z.infer<typeof CharmMetaSchema>;

export const ApplicationSchema = z.object({
  name: z.string(),
  charm: CharmMetaSchema,
  /** Values the operator set explicitly; defaults come from the charm's config options. */
  config: z.record(z.string(), ConfigValueSchema).default({}),
  leader: z.string().nullable(),
  status: StatusSchema,
  leaderSettings: stringMap.default({}),
  nextUnitNumber: z.number().int().nonnegative().default(0),
  nextStorageIndex: z.record(z.string(), z.number().int().nonnegative()).default({}),
  trusted: z.boolean().default(false),
});
export type Application = z.infer<typeof ApplicationSchema>;

export const PortRangeSchema = z.object({
  /** '' means every endpoint (what open-port without --endpoints does). */
  endpoint: z.string(),
  protocol: z.enum(['tcp', 'udp', 'icmp']),
  from: z.number().int(),
  to: z.number().int(),
});
export type PortRange = z.infer<typeof PortRangeSchema>;

export const StorageInstanceSchema = z.object({
  /** `<name>/<index>`, what storage-list prints and JUJU_STORAGE_ID carries. */
  id: z.string(),
  name: z.string(),
  kind: z.enum(['filesystem', 'block']),
  location: z.string(),
});
export type StorageInstance = z.infer<typeof StorageInstanceSchema>;

export const UnitSchema = z.object({
  name: z.string(),
  app: z.string(),
  life: z.enum(['alive', 'dying']).default('alive'),
  workloadStatus: StatusSchema,
  agentStatus: StatusSchema,
  workloadVersion: z.string().default(''),
  address: z.string(),
  openedPorts: z.array(PortRangeSchema).default([]),
  /** Controller-side charm state (state-get / state-set). */
  state: stringMap.default({}),
  storage: z.array(StorageInstanceSchema).default([]),
  /** Where this unit's storage instances are mounted in the charm container. */
  storageRoot: z.string().default('/var/lib/juju/storage'),
  createdAt: z.string(),
});
export type Unit = z.infer<typeof UnitSchema>;

export const RelationSchema = z.object({
  id: z.number().int().nonnegative(),
  interface: z.string(),
  /** One endpoint for a peer relation, two otherwise. */
  endpoints: z.array(z.object({ app: z.string(), name: z.string() })).min(1).max(2),
  life: z.enum(['alive', 'dying']).default('alive'),
  appData: z.record(z.string(), stringMap).default({}),
  unitData: z.record(z.string(), stringMap).default({}),
  /** Units that have entered scope (joined) and not yet departed. */
  scope: z.array(z.string()).default([]),
  createdAt: z.string(),
  /** When a unit first entered scope: the relation's status went from joining to joined. */
  joinedAt: z.string().nullable().default(null),
});
export type Relation = z.infer<typeof RelationSchema>;

export const SecretRevisionSchema = z.object({
  revision: z.number().int().positive(),
  /** Values are stored base64-encoded, as Juju stores them. */
  content: stringMap,
  createdAt: z.string(),
  /** Set once the owner has been told (secret-remove) that nobody tracks this revision. */
  obsoleteNotified: z.boolean().default(false),
  /** When this revision expires (secret-expired for the owner): Juju keeps expiry per revision. */
  expireTime: z.string().nullable().default(null),
});

export const SecretGrantSchema = z.object({
  target: z.string(),
  targetKind: z.enum(['application', 'unit']),
  relationId: z.number().int().nonnegative(),
  role: z.literal('view').default('view'),
});
export type SecretGrant = z.infer<typeof SecretGrantSchema>;

export const SecretSchema = z.object({
  /** The bare 20-character xid; the URI is `secret:<id>`. */
  id: z.string(),
  owner: z.object({ kind: z.enum(['application', 'unit']), name: z.string() }),
  label: z.string().nullable().default(null),
  description: z.string().nullable().default(null),
  rotatePolicy: z.enum(ROTATE_POLICIES).nullable().default(null),
  expireTime: z.string().nullable().default(null),
  nextRotateTime: z.string().nullable().default(null),
  revisions: z.array(SecretRevisionSchema).min(1),
  grants: z.array(SecretGrantSchema).default([]),
  /**
   * Per consuming unit: the revision it is pinned to and the label it gave the secret. A unit of
   * the owning application that read an application-owned secret is here with revision 0 (it
   * pins nothing, always reads the latest, and is told of new revisions).
   */
  consumers: z.record(z.string(), z.object({ revision: z.number().int().nonnegative(), label: z.string().nullable() })).default({}),
  createdAt: z.string(),
});
export type Secret = z.infer<typeof SecretSchema>;

export const ActionSchema = z.object({
  id: z.string(),
  unit: z.string(),
  name: z.string(),
  params: z.record(z.string(), z.unknown()),
  status: z.enum(['pending', 'running', 'completed', 'failed', 'aborted']),
  results: z.record(z.string(), z.unknown()).default({}),
  messages: z.array(z.object({ timestamp: z.string(), message: z.string() })).default([]),
  /** action-fail was called; `message` holds its text. */
  failed: z.boolean().default(false),
  message: z.string().default(''),
  enqueuedAt: z.string(),
  completedAt: z.string().nullable().default(null),
});
export type Action = z.infer<typeof ActionSchema>;

export const ModelSchema = z.object({
  name: z.string(),
  uuid: z.string(),
  type: z.literal('caas').default('caas'),
  nextRelationId: z.number().int().nonnegative().default(0),
  nextActionId: z.number().int().positive().default(1),
  applications: z.record(z.string(), ApplicationSchema).default({}),
  units: z.record(z.string(), UnitSchema).default({}),
  relations: z.array(RelationSchema).default([]),
  secrets: z.record(z.string(), SecretSchema).default({}),
  actions: z.record(z.string(), ActionSchema).default({}),
});
export type Model = z.infer<typeof ModelSchema>;
