/**
 * What `JUJU_DISPATCH_PATH` names, before any environment or metadata is consulted. Hook names are
 * never split on `-` (endpoint, storage and container names contain hyphens): fixed hook names are
 * matched whole, dynamic ones by their known suffix, and whatever precedes the suffix is the entity.
 */

export const LIFECYCLE_HOOKS = [
  'install',
  'start',
  'stop',
  'remove',
  'config-changed',
  'update-status',
  'upgrade-charm',
  'leader-elected',
  'leader-settings-changed',
  'leader-deposed',
  'pre-series-upgrade',
  'post-series-upgrade',
  'collect-metrics',
  'meter-status-changed',
] as const;
export type LifecycleHook = (typeof LIFECYCLE_HOOKS)[number];

export const SECRET_HOOKS = ['secret-changed', 'secret-expired', 'secret-rotate', 'secret-remove'] as const;
export type SecretHook = (typeof SECRET_HOOKS)[number];

/** Suffix → event kind, for hooks named after a relation endpoint, storage or container. */
export const RELATION_SUFFIXES = {
  '-relation-created': 'relation-created',
  '-relation-joined': 'relation-joined',
  '-relation-changed': 'relation-changed',
  '-relation-departed': 'relation-departed',
  '-relation-broken': 'relation-broken',
} as const;
export type RelationHook = (typeof RELATION_SUFFIXES)[keyof typeof RELATION_SUFFIXES];

export const STORAGE_SUFFIXES = {
  '-storage-attached': 'storage-attached',
  '-storage-detaching': 'storage-detaching',
} as const;
export type StorageHook = (typeof STORAGE_SUFFIXES)[keyof typeof STORAGE_SUFFIXES];

export const WORKLOAD_SUFFIXES = {
  '-pebble-ready': 'pebble-ready',
  '-pebble-custom-notice': 'pebble-custom-notice',
  '-pebble-check-failed': 'pebble-check-failed',
  '-pebble-check-recovered': 'pebble-check-recovered',
} as const;
export type WorkloadHook = (typeof WORKLOAD_SUFFIXES)[keyof typeof WORKLOAD_SUFFIXES];

export type DispatchTarget =
  | { family: 'lifecycle'; hook: LifecycleHook }
  | { family: 'secret'; hook: SecretHook }
  | { family: 'relation'; hook: RelationHook; endpoint: string }
  | { family: 'storage'; hook: StorageHook; storage: string }
  | { family: 'workload'; hook: WorkloadHook; container: string }
  | { family: 'action'; action: string }
  | { family: 'unknown' };

/** `hooks/<name>` or `actions/<name>`, one path component each. */
export const DISPATCH_PATH_PATTERN = /^(hooks|actions)\/([^/]+)$/;

const lifecycleHooks: ReadonlySet<string> = new Set(LIFECYCLE_HOOKS);
const secretHooks: ReadonlySet<string> = new Set(SECRET_HOOKS);

function matchSuffix<K extends string>(name: string, table: Record<string, K>): { entity: string; hook: K } | undefined {
  for (const [suffix, hook] of Object.entries(table)) {
    if (name.endsWith(suffix) && name.length > suffix.length) {
      return { entity: name.slice(0, -suffix.length), hook };
    }
  }
  return undefined;
}

/** Classify a dispatch path; anything well-formed we do not recognise is `unknown`. */
export function classifyDispatchPath(path: string): DispatchTarget {
  const match = DISPATCH_PATH_PATTERN.exec(path);
  if (!match) return { family: 'unknown' };
  const [, dir, name] = match as unknown as [string, 'hooks' | 'actions', string];
  if (dir === 'actions') return { family: 'action', action: name };
  if (lifecycleHooks.has(name)) return { family: 'lifecycle', hook: name as LifecycleHook };
  if (secretHooks.has(name)) return { family: 'secret', hook: name as SecretHook };
  const relation = matchSuffix(name, RELATION_SUFFIXES);
  if (relation) return { family: 'relation', hook: relation.hook, endpoint: relation.entity };
  const storage = matchSuffix(name, STORAGE_SUFFIXES);
  if (storage) return { family: 'storage', hook: storage.hook, storage: storage.entity };
  const workload = matchSuffix(name, WORKLOAD_SUFFIXES);
  if (workload) return { family: 'workload', hook: workload.hook, container: workload.entity };
  return { family: 'unknown' };
}
