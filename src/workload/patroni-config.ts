/**
 * patroni.yml (reference charm: `templates/patroni.yml.j2`), built as an object and rendered with
 * the `yaml` package.
 *
 * Rendered as YAML 1.1 because Patroni reads it with PyYAML (1.1): strings such as `on`, `off`,
 * `yes` or `y` are then quoted and stay strings. Long lines are not folded.
 *
 * Not copied from the reference: its top-level `pod_ip`, `use_endpoints`, `bypass_api_service`
 * and `use_unix_socket` keys. Patroni reads those only inside the `kubernetes:` and
 * `postgresql:` sections, so there they are dead; the live Kubernetes settings come from the
 * DCS (dcs.ts). Moving them where Patroni would honour them would change behaviour (a DNS name is
 * not a valid `pod_ip`; the unix socket has no pg_hba rule for Patroni's users).
 */
import { Document } from 'yaml';
import { bootstrapSection, type PatroniTiming, type RestoreSettings } from './bootstrap.ts';
import { dcsPatroniSection, type DcsConfig } from './dcs.ts';
import { clusterName, memberEndpoint, parseUnitName, podName, qualifiedName } from './names.ts';
import { DEFAULT_WORKLOAD_PATHS, postgresqlBinDir, type WorkloadPaths } from './paths.ts';
import { memberPgHba, type HbaDatabases, type LdapHbaOptions } from './pg-hba.ts';
import {
  DEFAULT_LC_MESSAGES,
  PG_STAT_STATEMENTS_MAX,
  SHARED_PRELOAD_LIBRARIES,
  archiveCommand,
  type PostgresqlParameterValue,
} from './postgresql-defaults.ts';
import { roleChangeCallback } from './role-change-notifier.ts';
import {
  DEFAULT_MEMBER_PORTS,
  OPERATOR_USER,
  PATRONI_API_USER,
  REPLICATION_USER,
  REWIND_USER,
  type MemberPorts,
} from './users.ts';

export { patroniDynamicConfigPatch, type DynamicConfigInput, type PatroniDynamicConfigPatch } from './patroni-dynamic-config.ts';
export { needsRestart, parametersNeedingRestart, postmasterParameters } from './restart-parameters.ts';

export interface PatroniPasswords {
  /** `operator`, Patroni's superuser. */
  readonly superuser: string;
  readonly replication: string;
  readonly rewind: string;
  /** REST API basic auth (user `patroni`); without it the API is unauthenticated. */
  readonly patroniApi?: string;
}

export interface PatroniConfigInput {
  /** This unit, `A/k`: member name `A-k`, scope `patroni-A`. */
  readonly unitName: string;
  /** The Juju model (the Kubernetes namespace in member DNS names). */
  readonly model: string;
  readonly dcs: DcsConfig;
  /** The address Patroni advertises; default the member endpoint `A-k.A-endpoints`. */
  readonly memberHost?: string;
  /** The peer databag's `endpoints` list; each may replicate from this member. */
  readonly endpoints: readonly string[];
  /** PostgreSQL major version (14 in the rock, 15 in the sandbox). */
  readonly postgresqlVersion: number;
  /** Default `/usr/lib/postgresql/<version>/bin`. */
  readonly binDir?: string;
  readonly paths?: WorkloadPaths;
  readonly ports?: MemberPorts;
  /** Interface PostgreSQL and the REST API bind to; default `0.0.0.0`. */
  readonly listenAddress?: string;
  readonly passwords: PatroniPasswords;
  /** The key, CA and certificate are all in the workload. */
  readonly tls: boolean;
  /** Every member serves TLS: replication and pg_rewind may then insist on it (verify-ca). */
  readonly replicationTls?: boolean;
  /** Unit peer `connectivity` is "on" (default true). */
  readonly connectivity?: boolean;
  readonly ldap?: LdapHbaOptions;
  readonly userDatabases?: Readonly<Record<string, HbaDatabases>>;
  readonly synchronousNodeCount: number;
  /** `durability_maximum_lag_on_failover`. */
  readonly maximumLagOnFailover: number;
  /** The computed PostgreSQL parameters (lib/postgresql), added last to the local parameters. */
  readonly parameters?: Readonly<Record<string, PostgresqlParameterValue>>;
  /**
   * The parameters the leader will PATCH into Patroni's dynamic config (patroniDynamicConfigPatch).
   * Seeded into bootstrap.dcs so a new cluster starts with them: Patroni takes postmaster
   * settings such as max_connections or max_worker_processes only from the DCS, and a first
   * PATCH that changes them would cost every member a restart right after deployment.
   */
  readonly bootstrapParameters?: Readonly<Record<string, PostgresqlParameterValue | null>>;
  /** The pgBackRest stanza when WAL archiving is on. */
  readonly archivingStanza?: string;
  readonly restore?: RestoreSettings;
  /** The primary cluster's address when this cluster is an async-replication standby. */
  readonly standbyClusterHost?: string;
  readonly extraReplicationEndpoints?: readonly string[];
  /** This member must not become a synchronous standby (upgrade). */
  readonly noSync?: boolean;
  /** This member is taking a backup. */
  readonly creatingBackup?: boolean;
  /** Default the rock's three; leave `timescaledb` out where it is not installed. */
  readonly sharedPreloadLibraries?: readonly string[];
  /** Default `en_US.UTF8` (the rock); must be a locale the machine has (`C.UTF-8` on Debian's image). */
  readonly lcMessages?: string;
  readonly timing?: PatroniTiming;
}

const LOG_DATEFORMAT = '%Y-%m-%d %H:%M:%S %Z';
const LOG_FORMAT = '%(asctime)s [%(process)d]: %(levelname)s: %(message)s ';

/** The patroni.yml content as an object, in the reference's key order. */
export function buildPatroniConfig(input: PatroniConfigInput): Record<string, unknown> {
  const paths = input.paths ?? DEFAULT_WORKLOAD_PATHS;
  const ports = input.ports ?? DEFAULT_MEMBER_PORTS;
  const listen = input.listenAddress ?? '0.0.0.0';
  const memberHost = input.memberHost ?? memberEndpoint(input.unitName);
  const binDir = input.binDir ?? postgresqlBinDir(input.postgresqlVersion);
  const preload = input.sharedPreloadLibraries ?? SHARED_PRELOAD_LIBRARIES;
  const extraReplicationEndpoints = input.extraReplicationEndpoints ?? [];

  const config: Record<string, unknown> = {
    scope: clusterName(parseUnitName(input.unitName).app),
    name: podName(input.unitName),
    ...dcsPatroniSection(input.dcs),
    bootstrap: bootstrapSection({
      paths,
      binDir,
      tls: input.tls,
      synchronousNodeCount: input.synchronousNodeCount,
      maximumLagOnFailover: input.maximumLagOnFailover,
      archivingStanza: input.archivingStanza,
      sharedPreloadLibraries: preload,
      lcMessages: input.lcMessages ?? DEFAULT_LC_MESSAGES,
      restore: input.restore,
      standbyClusterHost: input.standbyClusterHost,
      extraReplicationEndpoints,
      timing: input.timing,
      ...(input.bootstrapParameters === undefined ? {} : { dynamicParameters: input.bootstrapParameters }),
    }),
    log: {
      dir: paths.postgresqlLogs,
      dateformat: LOG_DATEFORMAT,
      format: LOG_FORMAT,
      file_num: 10080,
      file_size: 600,
    },
    restapi: restapiSection(input, memberHost, listen, ports, paths),
  };
  if (input.tls) config.ctl = { cacert: paths.tlsCa, certfile: paths.tlsCert, keyfile: paths.tlsKey };
  config.postgresql = postgresqlSection(input, { memberHost, listen, ports, paths, binDir, preload, extraReplicationEndpoints });
  if (input.noSync || input.creatingBackup) {
    config.tags = { nosync: input.noSync ?? false, is_creating_backup: input.creatingBackup ?? false };
  }
  return config;
}

function restapiSection(
  input: PatroniConfigInput,
  memberHost: string,
  listen: string,
  ports: MemberPorts,
  paths: WorkloadPaths,
): Record<string, unknown> {
  const restapi: Record<string, unknown> = {
    connect_address: `${memberHost}:${ports.patroniApi}`,
    listen: `${listen}:${ports.patroniApi}`,
  };
  if (input.passwords.patroniApi) {
    restapi.authentication = { username: PATRONI_API_USER, password: input.passwords.patroniApi };
  }
  if (input.tls) Object.assign(restapi, { cafile: paths.tlsCa, certfile: paths.tlsCert, keyfile: paths.tlsKey });
  return restapi;
}

interface Resolved {
  readonly memberHost: string;
  readonly listen: string;
  readonly ports: MemberPorts;
  readonly paths: WorkloadPaths;
  readonly binDir: string;
  readonly preload: readonly string[];
  readonly extraReplicationEndpoints: readonly string[];
}

function postgresqlSection(input: PatroniConfigInput, resolved: Resolved): Record<string, unknown> {
  const { memberHost, listen, ports, paths } = resolved;
  return {
    connect_address: `${memberHost}:${ports.postgresql}`,
    data_dir: paths.pgdata,
    bin_dir: resolved.binDir,
    listen: `${listen}:${ports.postgresql}`,
    parameters: localParameters(input, resolved),
    pgpass: paths.pgpass,
    // pg_basebackup otherwise waits for a spread checkpoint (checkpoint_completion_target of
    // checkpoint_timeout, about 4.5 minutes) before it copies a byte: a new replica would take
    // that long to start even on an almost empty database.
    basebackup: [{ checkpoint: 'fast' }],
    pg_hba: memberPgHba({
      tls: input.tls,
      connectivity: input.connectivity ?? true,
      memberFqdn: qualifiedName(memberHost, input.model),
      endpoints: input.endpoints,
      namespace: input.model,
      ldap: input.ldap,
      userDatabases: input.userDatabases ?? {},
      extraReplicationEndpoints: resolved.extraReplicationEndpoints,
    }),
    // pgBackRest logs in as OS user postgres and database user backup.
    pg_ident: ['operator postgres backup'],
    // Not in the reference: tells the charm at once when this member is promoted or demoted.
    callbacks: { on_role_change: roleChangeCallback(paths) },
    authentication: {
      replication: { username: REPLICATION_USER, password: input.passwords.replication, ...tlsClient(input, paths) },
      rewind: { username: REWIND_USER, password: input.passwords.rewind, ...tlsClient(input, paths) },
      superuser: { username: OPERATOR_USER, password: input.passwords.superuser },
    },
  };
}

/**
 * Not in the reference: once every member serves TLS, replication and pg_rewind connect with
 * `sslmode=verify-ca` against our CA (Patroni's `authentication.*.sslmode`/`sslrootcert`), so
 * streaming replication is encrypted and verified rather than left to libpq's `prefer`. The
 * changed `primary_conninfo` makes the walreceiver reconnect on reload (PostgreSQL 13+), so an
 * existing replication connection moves onto TLS without a restart. While any member lacks
 * TLS, `prefer` stays: a replica never insists on TLS from a primary that cannot offer it.
 */
function tlsClient(input: PatroniConfigInput, paths: WorkloadPaths): Record<string, string> {
  return input.tls && input.replicationTls === true ? { sslmode: 'verify-ca', sslrootcert: paths.tlsCa } : {};
}

/**
 * How soon a standby tries its primary again after a failed attempt (PostgreSQL's default 5 s).
 * Not in the reference. After a failover the remaining replica is told of the new primary as soon
 * as the new leader takes the lock, and its first attempt usually comes before that member has
 * finished promoting and created the replica's slot; with 5 s it then stays away for 5 s, and in
 * synchronous-strict mode no write commits until it is back (measured in bench:cluster: the first
 * write came 4-5 s after the promotion). A retry costs a walreceiver start; one a second is cheap.
 */
export const WAL_RETRIEVE_RETRY_INTERVAL = '1s';

/** `postgresql.parameters`: fixed ones, TLS files, then the computed parameters (which win). */
function localParameters(input: PatroniConfigInput, resolved: Resolved): Record<string, PostgresqlParameterValue> {
  const { paths } = resolved;
  return {
    shared_preload_libraries: resolved.preload.join(','),
    wal_retrieve_retry_interval: WAL_RETRIEVE_RETRY_INTERVAL,
    archive_command: archiveCommand(input.archivingStanza),
    ...(input.tls
      ? { ssl: 'on', ssl_ca_file: paths.tlsCa, ssl_cert_file: paths.tlsCert, ssl_key_file: paths.tlsKey }
      : {}),
    'pg_stat_statements.max': PG_STAT_STATEMENTS_MAX,
    ...input.parameters,
  };
}

/** patroni.yml as text, ready to write (mode PATRONI_CONFIG_MODE, owner postgres). */
export function renderPatroniYaml(input: PatroniConfigInput): string {
  const document = new Document(buildPatroniConfig(input), { version: '1.1', aliasDuplicateObjects: false });
  document.commentBefore = ' Rendered by the postgresql-k8s charm on every reconcile; edits are overwritten.';
  return document.toString({ lineWidth: 0 });
}
