/**
 * Environments of the workload services that need credentials (reference charm: `src/charm.py`
 * `_postgresql_layer`, `_generate_metrics_service`, `_generate_ldap_service`).
 *
 * Secrets and the environment: Pebble keeps service environments in its plan, so anyone who can
 * read the plan (`pebble plan`, the charm) sees them. The reference passes the monitoring password
 * to the metrics exporter in `DATA_SOURCE_NAME`; we give the exporter the path of a 0600 pgpass
 * file instead (`PGPASSFILE`). `ldap-sync` still gets the operator and LDAP bind passwords
 * in its environment: `/start-ldap-synchronizer.sh` reads them only from there. The Patroni
 * service gets no secret: its passwords are in patroni.yml (mode 0600, see paths.ts).
 */
import { InvalidLdapSettingError } from './errors.ts';
import { DEFAULT_WORKLOAD_PATHS, type WorkloadPaths } from './paths.ts';
import { DEFAULT_DATABASE, MONITORING_USER, OPERATOR_USER, POSTGRESQL_PORT } from './users.ts';

/** The PostgreSQL group LDAP-synchronised users join (lib/postgresql ACCESS_GROUP_IDENTITY). */
const LDAP_IDENTITY_GROUP = 'identity_access';

/**
 * A libpq `key=value` value: bare when it has no space, quote or backslash, otherwise
 * single-quoted with `\'` and `\\` escapes. The reference interpolates the password bare, which
 * breaks on a password with a space set through `set-password`.
 */
export function conninfoValue(value: string): string {
  if (value !== '' && !/[\s'\\]/.test(value)) return value;
  return `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

/**
 * The metrics exporter's connection: user `monitoring` over the unix socket (pg_hba `local all
 * monitoring password`), with no password in it. The PostgreSQL driver inside the exporter (lib/pq)
 * reads the password from the pgpass file `PGPASSFILE` names, as libpq does. Not the exporter's
 * own `DATA_SOURCE_PASS_FILE`: Debian's 0.11 exporter puts that password into a connection string
 * its collector cannot parse when it holds a space, and logs the whole string, password included.
 * This way the plan, the connection string and the exporter's log hold no password, and any
 * password works without quoting.
 */
export function metricsExporterEnvironment(paths: WorkloadPaths = DEFAULT_WORKLOAD_PATHS, port: number = POSTGRESQL_PORT): Record<string, string> {
  // An empty authority: with a `host` parameter beside `localhost`, lib/pq would keep `localhost`.
  const query = `host=${encodeURIComponent(paths.socketDir)}&port=${port}&sslmode=disable`;
  return {
    DATA_SOURCE_NAME: `postgresql://${MONITORING_USER}@/${DEFAULT_DATABASE}?${query}`,
    PGPASSFILE: paths.monitoringPgpass,
  };
}

/**
 * The exporter's pgpass file: one line for the monitoring user on any host, port and database,
 * `:` and `\` escaped with a backslash as the pgpass format asks.
 */
export function monitoringPgpassContent(password: string): string {
  return `*:*:*:${MONITORING_USER}:${password.replace(/[\\:]/g, (c) => `\\${c}`)}\n`;
}

export interface LdapSyncSettings {
  /** The first URL the LDAP relation offers, e.g. `ldap://glauth:3893`. */
  readonly url: string;
  readonly baseDn: string;
  readonly bindDn: string;
  readonly bindPassword: string;
  /** `ldap_map` pairs (LDAP group, PostgreSQL group), already filtered by lib/postgresql. */
  readonly groupMappings: readonly (readonly [ldapGroup: string, postgresqlGroup: string])[];
  /** The synchroniser creates roles as `operator`. */
  readonly operatorPassword: string;
}

const LDAP_DEFAULT_PORTS: Readonly<Record<string, number>> = { 'ldap:': 389, 'ldaps:': 636 };

/** Host and port of an LDAP URL; a URL without a port gets the scheme's default. */
export function ldapHostAndPort(url: string): { host: string; port: number } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new InvalidLdapSettingError(`LDAP URL ${JSON.stringify(url)} cannot be parsed`, { cause });
  }
  const defaultPort = LDAP_DEFAULT_PORTS[parsed.protocol];
  if (defaultPort === undefined || parsed.hostname === '') {
    throw new InvalidLdapSettingError(`LDAP URL ${JSON.stringify(url)} is not ldap://host[:port] or ldaps://host[:port]`);
  }
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port === '' ? defaultPort : Number(parsed.port),
  };
}

/**
 * The `ldap-sync` environment when it runs (on the primary, with LDAP related). The reference
 * leaves `LDAP_PORT` empty for a URL without a port; we use the scheme's default port.
 */
export function ldapSyncEnvironment(
  settings: LdapSyncSettings,
  postgresqlPort: number = POSTGRESQL_PORT,
): Record<string, string> {
  const { host, port } = ldapHostAndPort(settings.url);
  return {
    LDAP_HOST: host,
    LDAP_PORT: String(port),
    LDAP_BASE_DN: settings.baseDn,
    LDAP_BIND_USERNAME: settings.bindDn,
    LDAP_BIND_PASSWORD: settings.bindPassword,
    LDAP_GROUP_IDENTITY: JSON.stringify(LDAP_IDENTITY_GROUP),
    LDAP_GROUP_MAPPINGS: JSON.stringify(settings.groupMappings),
    POSTGRES_HOST: '127.0.0.1',
    POSTGRES_PORT: String(postgresqlPort),
    POSTGRES_DATABASE: DEFAULT_DATABASE,
    POSTGRES_USERNAME: OPERATOR_USER,
    POSTGRES_PASSWORD: settings.operatorPassword,
  };
}
