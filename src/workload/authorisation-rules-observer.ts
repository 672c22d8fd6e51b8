/**
 * The authorisation rules observer: a workload service that tells the charm when what its
 * per-user pg_hba rules depend on changes inside PostgreSQL, so a user created out of band gets
 * its rule within seconds instead of at the next update-status. PgBouncer
 * (pgbouncer-k8s-operator) creates `relation_id_<n>` users and databases on our server for its
 * own clients and then polls `pg_hba_file_rules` for them for 90 s at most.
 *
 * The reference charm runs a background process in the charm container for this
 * (`src/authorisation_rules_observer.py`, `scripts/authorisation_rules_observer.py`: every 30 s,
 * on the primary only, it compares `pg_database` and dispatches a custom `databases_change`
 * hook). Here it is a Pebble service in the workload container that records a Pebble custom
 * notice, which Juju turns into a `postgresql-pebble-custom-notice` hook
 * (https://juju.is/docs/sdk/pebble, custom notices). Every member runs its own: a replica sees
 * the catalog through replication and must re-render its own pg_hba.
 *
 * The loop is a POSIX sh script run by `/bin/sh -c`, using only what the image has (sh, psql,
 * sleep and Pebble's own binary, which Juju mounts at /charm/bin/pebble). Every few seconds it
 * reads a digest of the facts the rules are computed from (login roles, superuser and inherit
 * flags, memberships; databases, their owners, template flags and ACLs) and, when the digest
 * changes (never on its first read), runs `pebble notify <key>`. Password changes do not move
 * the digest: pg_hba does not depend on them. While PostgreSQL cannot be read it says so once
 * and keeps trying; it prints nothing else, and never a password.
 *
 * It runs as root, not as `postgres`: Pebble keeps a notice with the UID of whoever recorded it,
 * and Juju's notice watcher, which reads as root without asking for every user's notices, only
 * sees root's (and public) ones (canonical/operator issue #2639). So it cannot use the `postgres`
 * OS user's peer mapping either; it logs in as `monitoring` (read-only, pg_monitor) with its
 * password over the local socket, like the metrics exporter. `pg_roles`, `pg_auth_members` and
 * `pg_database` are readable by any role.
 */
import type { Service } from '../pebble/types.ts';
import { DEFAULT_WORKLOAD_PATHS, type WorkloadPaths } from './paths.ts';
import { DEFAULT_DATABASE, MONITORING_USER, POSTGRESQL_PORT } from './users.ts';

export const SERVICE_AUTHORISATION_RULES_OBSERVER = 'authorisation-rules-observer';

/** The custom notice key (Pebble wants `domain.tld/path`). */
export const AUTHORISATION_RULES_CHANGED_NOTICE = 'canonical.com/postgresql-k8s/authorisation-rules-changed';

/**
 * Seconds between reads. PgBouncer gives a new user 90 s and looks every 15 s; a read, a notice
 * and a reconcile hook take well under that at 5 s. Each read is one psql process and one short
 * connection, some 10-20 ms of CPU: below 0.5 % of a core per unit.
 */
export const DEFAULT_OBSERVER_INTERVAL_SECONDS = 5;

/** Where Juju mounts Pebble's binary in every workload container; searched before PATH. */
export const JUJU_PEBBLE_BIN_DIR = '/charm/bin';

/**
 * One row per fact pg_hba rules are computed from (src/handlers/reconcile/client-relations.ts:
 * login users, superusers reach `all`, the others every database they may CONNECT to, which
 * follows ACLs, owners and inherited memberships), hashed. Written without quotes of any kind,
 * so it sits inside the script's double quotes inside the command's single quotes untouched.
 */
export const AUTHORISATION_FACTS_QUERY = [
  'SELECT sha256(textsend(concat(',
  '(SELECT array_agg((oid, rolname, rolsuper, rolinherit, rolcanlogin) ORDER BY oid) FROM pg_catalog.pg_roles),',
  '(SELECT array_agg(m ORDER BY m.roleid, m.member) FROM pg_catalog.pg_auth_members AS m),',
  '(SELECT array_agg((oid, datname, datdba, datistemplate, datacl) ORDER BY oid) FROM pg_catalog.pg_database))))',
].join(' ');

export interface ObserverScriptOptions {
  readonly intervalSeconds?: number;
  readonly noticeKey?: string;
  /** Run `psql` and `pebble` by these names (default: found on PATH, /charm/bin first). */
  readonly psql?: string;
  readonly pebble?: string;
}

/** Characters the script may not contain: it is single-quoted in the Pebble command. */
function assertCommandSafe(text: string): void {
  if (text.includes("'")) throw new TypeError('the observer script must not contain a single quote');
}

/** Characters a value inside the script's double quotes may not contain. */
function assertDoubleQuotable(value: string, what: string): string {
  if (/["$`\\'\n]/.test(value)) throw new TypeError(`${what} must not contain quotes, $, backticks, backslashes or newlines`);
  return value;
}

/** The observer loop; connection settings come from the PG* environment (see the service). */
export function authorisationRulesObserverScript(options: ObserverScriptOptions = {}): string {
  const interval = options.intervalSeconds ?? DEFAULT_OBSERVER_INTERVAL_SECONDS;
  if (!Number.isInteger(interval) || interval < 1) throw new RangeError(`interval must be a whole number of seconds, not ${interval}`);
  const key = assertDoubleQuotable(options.noticeKey ?? AUTHORISATION_RULES_CHANGED_NOTICE, 'the notice key');
  const psql = assertDoubleQuotable(options.psql ?? 'psql', 'the psql command');
  const pebble = assertDoubleQuotable(options.pebble ?? 'pebble', 'the pebble command');
  const query = assertDoubleQuotable(AUTHORISATION_FACTS_QUERY, 'the query');
  const script = [
    `PATH="${JUJU_PEBBLE_BIN_DIR}:$PATH"`,
    'last=',
    'failing=',
    'while :; do',
    `  if digest=$("${psql}" -X -q -A -t -w -v ON_ERROR_STOP=1 -c "${query}" 2>&1); then`,
    '    if [ -n "$failing" ]; then failing=; echo "reading the catalog again"; fi',
    '    if [ -z "$last" ] || [ "$digest" = "$last" ]; then last=$digest',
    `    elif "${pebble}" notify "${key}" >/dev/null; then last=$digest`,
    '    fi',
    '  elif [ -z "$failing" ]; then',
    '    failing=1',
    `    printf "%s\\n" "cannot read the catalog; trying again every ${interval} s: $digest"`,
    '  fi',
    `  sleep ${interval}`,
    'done',
  ].join('\n');
  assertCommandSafe(script);
  return script;
}

export interface ObserverServiceInput {
  /** The monitoring password; without one the service is defined but not started. */
  readonly monitoringPassword?: string;
  readonly paths?: WorkloadPaths;
  readonly postgresqlPort?: number;
  readonly script?: ObserverScriptOptions;
}

/**
 * libpq's settings for the observer's psql: this member, over the local socket, as monitoring,
 * with the password read from the exporter's 0600 pgpass file (root may read it), so the Pebble
 * plan, which any local user can read, holds no password.
 */
export function observerEnvironment(paths: WorkloadPaths, port: number): Record<string, string> {
  return {
    PGHOST: paths.socketDir,
    PGPORT: String(port),
    PGUSER: MONITORING_USER,
    PGPASSFILE: paths.monitoringPgpass,
    PGDATABASE: DEFAULT_DATABASE,
    PGCONNECT_TIMEOUT: '5',
    PGAPPNAME: SERVICE_AUTHORISATION_RULES_OBSERVER,
  };
}

/** The Pebble service; no `user`: the notice must be root's (see the module comment). */
export function authorisationRulesObserverService(input: ObserverServiceInput): Service {
  const service: Service = {
    override: 'replace',
    summary: 'tell the charm when users, databases or their grants change',
    command: `/bin/sh -c '${authorisationRulesObserverScript(input.script)}'`,
    startup: input.monitoringPassword === undefined ? 'disabled' : 'enabled',
  };
  if (input.monitoringPassword !== undefined) {
    const paths = input.paths ?? DEFAULT_WORKLOAD_PATHS;
    service.environment = observerEnvironment(paths, input.postgresqlPort ?? POSTGRESQL_PORT);
  }
  return service;
}
