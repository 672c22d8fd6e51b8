/**
 * Where things live in the workload container, and who owns them (reference charm:
 * `src/constants.py` and `src/charm.py`; see docs/upstream-charm.md). The
 * defaults are the rock's layout; every path can be moved (the sandbox runs several members on
 * one host, so each needs its own storage, pgpass and log directory).
 */

/** The OS user and group every workload process runs as and every workload file belongs to. */
export const WORKLOAD_OS_USER = 'postgres';
export const WORKLOAD_OS_GROUP = 'postgres';

/** The container named in metadata.yaml, and its storage mount. */
export const WORKLOAD_CONTAINER = 'postgresql';
export const DEFAULT_STORAGE_PATH = '/var/lib/postgresql/data';

/** PGDATA is created 0750 postgres:postgres on pebble-ready. */
export const PGDATA_MODE = 0o750;
/** TLS key, certificate and CA are pushed 0400 postgres:postgres. */
export const TLS_FILE_MODE = 0o400;
/**
 * patroni.yml holds the superuser, replication, rewind and REST passwords (and the LDAP bind
 * password inside a pg_hba rule). The reference writes it 0644, readable by every process in the
 * container; only Patroni (user postgres) needs it, so we write it 0600.
 */
export const PATRONI_CONFIG_MODE = 0o600;

/** The exporter's password file: only its user (postgres, which owns it) reads it. */
export const MONITORING_PGPASS_MODE = 0o600;

export interface WorkloadPaths {
  /** The `pgdata` storage mount; chowned postgres:postgres on every pebble-ready. */
  readonly storage: string;
  /** PGDATA (`<storage>/pgdata`). */
  readonly pgdata: string;
  /** The rendered Patroni config, also the argument of the `postgresql` service command. */
  readonly patroniConfig: string;
  readonly tlsKey: string;
  readonly tlsCa: string;
  readonly tlsCert: string;
  /** S3 `tls-ca-chain` entries for pgBackRest, joined by newlines. */
  readonly pgbackrestTlsCaChain: string;
  /** PostgreSQL's `log_directory` and Patroni's `log.dir` (patroni.log). */
  readonly postgresqlLogs: string;
  readonly pgbackrestLogs: string;
  /** Unix socket directory; the metrics exporter connects through it. */
  readonly socketDir: string;
  /** Patroni's pgpass file. */
  readonly pgpass: string;
  /** The monitoring password alone, for the metrics exporter (`DATA_SOURCE_PASS_FILE`); 0600, postgres. */
  readonly monitoringPgpass: string;
  readonly pgbackrestConfig: string;
  readonly pgbackrestLogrotate: string;
  readonly rotateLogsScript: string;
  /** System CA directory: `ca.crt` (our TLS CA) and `ca-<app>.crt` (receive-ca-cert). */
  readonly caCertificates: string;
  /** The rock's snap metadata; its `version:` is the workload version. */
  readonly rockMetadata: string;
}

/** Every path that lives under the storage mount, derived from it. */
function storagePaths(storage: string) {
  return {
    storage,
    pgdata: `${storage}/pgdata`,
    patroniConfig: `${storage}/patroni.yml`,
    tlsKey: `${storage}/key.pem`,
    tlsCa: `${storage}/ca.pem`,
    tlsCert: `${storage}/cert.pem`,
    pgbackrestTlsCaChain: `${storage}/pgbackrest-tls-ca-chain.crt`,
    monitoringPgpass: `${storage}/monitoring.pgpass`,
  };
}

export const DEFAULT_WORKLOAD_PATHS: WorkloadPaths = Object.freeze({
  ...storagePaths(DEFAULT_STORAGE_PATH),
  postgresqlLogs: '/var/log/postgresql',
  pgbackrestLogs: '/var/log/pgbackrest',
  socketDir: '/var/run/postgresql',
  pgpass: '/tmp/pgpass',
  // pgBackRest's default path (the reference writes the older fallback, /etc/pgbackrest.conf):
  // archive-push and the restore Patroni runs find it without --config, and a pod gets a
  // directory of its own for it where it could not get a single file (the sandbox).
  pgbackrestConfig: '/etc/pgbackrest/pgbackrest.conf',
  pgbackrestLogrotate: '/etc/logrotate.d/pgbackrest.logrotate',
  rotateLogsScript: '/home/postgres/rotate_logs.py',
  caCertificates: '/usr/local/share/ca-certificates',
  rockMetadata: '/meta.charmed-postgresql/snap.yaml',
});

/**
 * The paths for a storage mount (files under it follow it), with individual overrides applied
 * last. `workloadPaths()` is the rock's layout.
 */
export function workloadPaths(
  storage: string = DEFAULT_STORAGE_PATH,
  overrides: Partial<WorkloadPaths> = {},
): WorkloadPaths {
  const root = storage.length > 1 ? storage.replace(/\/+$/, '') : storage;
  return Object.freeze({ ...DEFAULT_WORKLOAD_PATHS, ...storagePaths(root), ...overrides });
}

/**
 * PostgreSQL's binaries for a major version, Debian/Ubuntu layout: the rock ships 14 there, the
 * sandbox runs Debian's 15 (`/usr/lib/postgresql/15/bin`).
 */
export function postgresqlBinDir(majorVersion: number): string {
  return `/usr/lib/postgresql/${majorVersion}/bin`;
}

/** Our TLS CA in the system store (followed by `update-ca-certificates`). */
export function systemCaPath(paths: WorkloadPaths = DEFAULT_WORKLOAD_PATHS): string {
  return `${paths.caCertificates}/ca.crt`;
}

/** A CA received over `receive-ca-cert` from application `app`. */
export function receivedCaPath(app: string, paths: WorkloadPaths = DEFAULT_WORKLOAD_PATHS): string {
  return `${paths.caCertificates}/ca-${app}.crt`;
}

/** The files the Loki log proxy tails (the reference's `LogProxyConsumer`, in `src/charm.py`). */
export function logFiles(paths: WorkloadPaths = DEFAULT_WORKLOAD_PATHS): string[] {
  return [`${paths.pgbackrestLogs}/*`, `${paths.postgresqlLogs}/patroni.log`, `${paths.postgresqlLogs}/postgresql*.log`];
}
