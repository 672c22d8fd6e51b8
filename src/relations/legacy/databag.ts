/**
 * What the charm writes on a legacy `pgsql` relation (reference charm: `src/relations/db.py`
 * `set_up_relation`, `_get_allowed_subnets`, `_get_allowed_units`). The same keys go into our
 * application bag (leader) and into every unit's own bag; only `host` differs, being the writing
 * unit's own name.
 *
 * ops-lib-pgsql takes `master`/`standbys` from a bag only when that bag echoes the `database`,
 * `extensions` and `roles` the client asked for and its `allowed-subnets` cover the client unit's
 * `egress-subnets` (`pgsql/client.py` `_is_ready`). So `extensions` is echoed byte for byte in
 * request order, `roles` is never written (such requests block instead), and `allowed-subnets`
 * is recomputed from the client units in scope on every hook: a new client unit becomes ready
 * once its subnet is listed, and a departed one is dropped from it and from `allowed-units`.
 * (The reference's departure handler edited a different key, `allowed_units`, which no client
 * reads; here `allowed-units` itself follows departures.)
 */
import { POSTGRESQL_PORT } from '../../workload/users.ts';
import { memberFqdn, primaryEndpoint, replicasEndpoint } from '../../workload/names.ts';
import { connectionString } from './connection-string.ts';

/** Keys the charm owns on a legacy relation; anything else in our bags is left alone. */
export const LEGACY_DATABAG_KEYS = [
  'allowed-subnets',
  'allowed-units',
  'host',
  'master',
  'standbys',
  'port',
  'user',
  'password',
  'database',
  'extensions',
  'version',
] as const;
export type LegacyDatabagKey = (typeof LEGACY_DATABAG_KEYS)[number];
export type LegacyDatabag = Readonly<Partial<Record<LegacyDatabagKey, string>>>;

export interface LegacyDatabagInput {
  readonly appName: string;
  readonly model: string;
  /** The unit whose bag this is (the leader for the app bag). */
  readonly unitName: string;
  readonly remoteApp: string;
  /** Remote unit name → its `egress-subnets` (Juju sets it; may be missing). */
  readonly remoteUnits: Readonly<Record<string, string | undefined>>;
  readonly database: string;
  readonly user: string;
  readonly password: string;
  readonly extensions: readonly string[];
  /** Left out when the server version could not be read. */
  readonly version?: string | undefined;
}

/** Comma-separated CIDRs (as Juju writes `egress-subnets`), trimmed, empty items dropped. */
export function splitSubnets(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** Sorted union of the remote units' egress subnets, comma-joined. */
export function allowedSubnets(remoteUnits: Readonly<Record<string, string | undefined>>): string {
  const subnets = new Set(Object.values(remoteUnits).flatMap(splitSubnets));
  return [...subnets].sort().join(',');
}

/** Sorted remote unit names, comma-joined (plain string order, as the reference's `sorted`). */
export function allowedUnits(remoteUnits: Readonly<Record<string, unknown>>): string {
  return Object.keys(remoteUnits).sort().join(',');
}

export function legacyDatabag(input: LegacyDatabagInput): LegacyDatabag {
  const connection = (host: string) =>
    connectionString({
      dbname: input.database,
      // Left out, as pgconnstr leaves out empty values, should Juju not name the client.
      ...(input.remoteApp === '' ? {} : { fallback_application_name: input.remoteApp }),
      host,
      password: input.password,
      port: POSTGRESQL_PORT,
      user: input.user,
    });
  const bag: Partial<Record<LegacyDatabagKey, string>> = {
    'allowed-subnets': allowedSubnets(input.remoteUnits),
    'allowed-units': allowedUnits(input.remoteUnits),
    host: memberFqdn(input.unitName, input.model),
    master: connection(primaryEndpoint(input.appName, input.model)),
    standbys: connection(replicasEndpoint(input.appName, input.model)),
    port: String(POSTGRESQL_PORT),
    user: input.user,
    password: input.password,
    database: input.database,
    extensions: input.extensions.join(','),
  };
  if (input.version !== undefined && input.version !== '') bag.version = input.version;
  return bag;
}

/**
 * The relation-set changes that turn `current` into `desired` for the keys the charm owns: ""
 * deletes a key (an empty value, e.g. no extensions or no subnets yet, is written as a deletion).
 * Empty when nothing changed, so a hook with nothing new writes nothing.
 */
export function databagChanges(current: Readonly<Record<string, string>>, desired: LegacyDatabag): Record<string, string> {
  const changes: Record<string, string> = {};
  for (const key of LEGACY_DATABAG_KEYS) {
    const want = desired[key] ?? '';
    if ((current[key] ?? '') !== want) changes[key] = want;
  }
  return changes;
}
