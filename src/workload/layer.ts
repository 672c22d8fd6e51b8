/**
 * The Pebble layer of the workload (reference charm: `src/charm.py` `_postgresql_layer()`): Patroni
 * as the `postgresql` service, the exporters, the pgBackRest TLS server, the LDAP synchroniser, log
 * rotation, and the ready check on Patroni's `/health`. Pure: every varying fact is an input.
 */
import type { Check, Layer, Service } from '../pebble/types.ts';
import { EXPORTER_QUERY_PATH_VARIABLE, exporterQueriesPath } from '../cos/exporter-queries.ts';
import { authorisationRulesObserverService, SERVICE_AUTHORISATION_RULES_OBSERVER } from './authorisation-rules-observer.ts';
import { roleChangeNotifierService, SERVICE_ROLE_CHANGE_NOTIFIER } from './role-change-notifier.ts';
import { dcsServiceEnvironment, type DcsConfig } from './dcs.ts';
import { clusterName, memberEndpoint, parseUnitName, podName } from './names.ts';
import { DEFAULT_WORKLOAD_PATHS, WORKLOAD_OS_GROUP, WORKLOAD_OS_USER, type WorkloadPaths } from './paths.ts';
import { ldapSyncEnvironment, metricsExporterEnvironment, type LdapSyncSettings } from './service-environment.ts';
import {
  CHECK_METRICS,
  CHECK_POSTGRESQL,
  DEFAULT_PATRONI_ON_FAILURE,
  ROCK_COMMANDS,
  SERVICE_LDAP_SYNC,
  SERVICE_METRICS,
  SERVICE_PGBACKREST_METRICS,
  SERVICE_PGBACKREST_SERVER,
  SERVICE_POSTGRESQL,
  SERVICE_ROTATE_LOGS,
  type OnFailure,
  type WorkloadCommands,
} from './services.ts';
import { DEFAULT_MEMBER_PORTS, METRICS_PORT, OPERATOR_USER, REPLICATION_USER, type MemberPorts } from './users.ts';

export const LAYER_SUMMARY = 'postgresql + patroni layer';
export const LAYER_DESCRIPTION = 'pebble config layer for postgresql + patroni';

export interface PebbleLayerInput {
  /** This unit, `A/k`: gives the member name (`A-k`) and the scope (`patroni-A`). */
  readonly unitName: string;
  readonly dcs: DcsConfig;
  /** The host the ready check calls; default the member endpoint `A-k.A-endpoints`. */
  readonly memberHost?: string;
  /** The unit's peer `tls` flag: Patroni's API then speaks https and the check must too. */
  readonly patroniApiTls: boolean;
  /** Unit peer `patroni-on-failure-condition-override` (`ignore` while restoring); default `restart`. */
  readonly patroniOnFailure?: OnFailure;
  /** The monitoring password; the metrics exporter starts only once it exists. */
  readonly monitoringPassword?: string;
  /** Start the pgBackRest exporter with the plan; the reference always does. Default true. */
  readonly pgbackrestExporter?: boolean;
  /** Set only where ldap-sync must run (the primary, with LDAP related). */
  readonly ldapSync?: LdapSyncSettings;
  readonly paths?: WorkloadPaths;
  readonly ports?: MemberPorts;
  readonly commands?: Partial<WorkloadCommands>;
}

/** `<http|https>://<member>:<port>/health`: Patroni's health endpoint, the ready check's URL. */
export function patroniHealthUrl(memberHost: string, tls: boolean, port: number = DEFAULT_MEMBER_PORTS.patroniApi): string {
  return `${tls ? 'https' : 'http'}://${memberHost}:${port}/health`;
}

const asPostgres = { user: WORKLOAD_OS_USER, group: WORKLOAD_OS_GROUP } as const;

/** The exporter's check: its landing page (no database query), failing after 15 s down. */
export const METRICS_CHECK_TIMING = Object.freeze({ period: '5s', timeout: '3s', threshold: 3 });

/** How often the ready check asks Patroni, how long it waits, and how many misses fail it. */
export const POSTGRESQL_CHECK_TIMING = Object.freeze({ period: '3s', timeout: '2s', threshold: 2 });

export function buildPebbleLayer(input: PebbleLayerInput): Layer {
  const paths = input.paths ?? DEFAULT_WORKLOAD_PATHS;
  const ports = input.ports ?? DEFAULT_MEMBER_PORTS;
  const commands: WorkloadCommands = { ...ROCK_COMMANDS, ...input.commands };
  const memberHost = input.memberHost ?? memberEndpoint(input.unitName);

  const services: Record<string, Service> = {
    [SERVICE_POSTGRESQL]: patroniService(input, paths, commands),
    [SERVICE_PGBACKREST_SERVER]: {
      override: 'replace',
      summary: 'pgBackRest server',
      command: commands.pgbackrestServer,
      // Started (and stopped) by the backup code once TLS and peers make it useful.
      startup: 'disabled',
      ...asPostgres,
    },
    [SERVICE_LDAP_SYNC]: ldapSyncService(input.ldapSync, commands, ports),
    [SERVICE_METRICS]: metricsService(input.monitoringPassword, commands, paths, ports),
    [SERVICE_PGBACKREST_METRICS]: {
      override: 'replace',
      summary: 'pgbackrest metrics exporter',
      command: commands.pgbackrestExporter,
      startup: input.pgbackrestExporter === false ? 'disabled' : 'enabled',
      after: [SERVICE_POSTGRESQL],
      ...asPostgres,
    },
    [SERVICE_ROTATE_LOGS]: {
      override: 'replace',
      summary: 'rotate logs',
      command: `${commands.rotateLogs} ${paths.rotateLogsScript}`,
      // Started once the pgBackRest config is rendered; stopped when S3 goes away.
      startup: 'disabled',
    },
    // Not in the reference's layer: its observer is a charm-container process (see the module).
    [SERVICE_AUTHORISATION_RULES_OBSERVER]: authorisationRulesObserverService({
      ...(input.monitoringPassword === undefined ? {} : { monitoringPassword: input.monitoringPassword }),
      paths,
      postgresqlPort: ports.postgresql,
    }),
    // Not in the reference's layer: relays Patroni's on_role_change callback to the charm.
    [SERVICE_ROLE_CHANGE_NOTIFIER]: roleChangeNotifierService(paths),
  };

  const checks: Record<string, Check> = {
    [CHECK_POSTGRESQL]: {
      override: 'replace',
      level: 'ready',
      // Pebble's defaults (10 s × 3) leave a crashed member "active" for half a minute; this
      // fails within 6 s, and Juju's pebble-check-failed hook shows it (threshold 2: one slow
      // answer under load is not a failure).
      ...POSTGRESQL_CHECK_TIMING,
      http: { url: patroniHealthUrl(memberHost, input.patroniApiTls, ports.patroniApi) },
    },
  };
  // Only with the exporter enabled. No level: a down exporter must not make the pod unready. Its
  // failed/recovered hooks let the status say so (and clear) at once, not at the next update-status.
  if (input.monitoringPassword !== undefined) {
    checks[CHECK_METRICS] = { override: 'replace', ...METRICS_CHECK_TIMING, http: { url: `http://127.0.0.1:${METRICS_PORT}/` } };
  }

  return { summary: LAYER_SUMMARY, description: LAYER_DESCRIPTION, services, checks };
}

/**
 * Patroni. Its environment names the member and scope and the Patroni user names; the DCS adds
 * its own variables (Kubernetes) or none (etcd3, configured in patroni.yml). No passwords.
 */
function patroniService(input: PebbleLayerInput, paths: WorkloadPaths, commands: WorkloadCommands): Service {
  return {
    override: 'replace',
    summary: 'entrypoint of the postgresql + patroni image',
    command: `${commands.patroni} ${paths.patroniConfig}`,
    startup: 'enabled',
    'on-failure': input.patroniOnFailure ?? DEFAULT_PATRONI_ON_FAILURE,
    ...asPostgres,
    environment: {
      ...dcsServiceEnvironment(input.dcs),
      PATRONI_NAME: podName(input.unitName),
      PATRONI_SCOPE: clusterName(parseUnitName(input.unitName).app),
      PATRONI_REPLICATION_USERNAME: REPLICATION_USER,
      PATRONI_SUPERUSER_USERNAME: OPERATOR_USER,
    },
  };
}

/**
 * The exporter starts with the plan once the monitoring password exists (the reconcile writes it
 * to `paths.monitoringPgpass` first). Its environment names that file, never the password:
 * the plan is readable through Pebble. Without a password the environment is left out.
 */
function metricsService(
  monitoringPassword: string | undefined,
  commands: WorkloadCommands,
  paths: WorkloadPaths,
  ports: MemberPorts,
): Service {
  const service: Service = {
    override: 'replace',
    summary: 'postgresql metrics exporter',
    command: commands.metricsExporter,
    startup: monitoringPassword === undefined ? 'disabled' : 'enabled',
    after: [SERVICE_POSTGRESQL],
    ...asPostgres,
  };
  if (monitoringPassword !== undefined) {
    // The custom queries (src/cos/exporter-queries.ts) the reconcile pushes before any start.
    service.environment = { ...metricsExporterEnvironment(paths, ports.postgresql), [EXPORTER_QUERY_PATH_VARIABLE]: exporterQueriesPath(paths) };
  }
  return service;
}

/** Disabled and bare unless this unit must run it; then enabled with its LDAP environment. */
function ldapSyncService(settings: LdapSyncSettings | undefined, commands: WorkloadCommands, ports: MemberPorts): Service {
  const service: Service = {
    override: 'replace',
    summary: 'synchronize LDAP users',
    command: commands.ldapSync,
    startup: settings === undefined ? 'disabled' : 'enabled',
  };
  if (settings !== undefined) service.environment = ldapSyncEnvironment(settings, ports.postgresql);
  return service;
}
