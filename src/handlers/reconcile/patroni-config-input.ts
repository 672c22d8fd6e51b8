/**
 * Everything patroni.yml is rendered from, gathered into `src/workload`'s input — pure, so which
 * peer-bag key or config option ends up where is tested without Pebble.
 */
import {
  buildPostgresqlParameters,
  calculateWorkerProcessConfig,
  type ParameterValue,
} from '../../../lib/postgresql/index.ts';
import { postgresqlParameterOptions, type CharmConfig } from '../../config/index.ts';
import { synchronousConfiguration } from '../../patroni/index.ts';
import { patroniDynamicConfigPatch, patroniTiming } from '../../workload/patroni-dynamic-config.ts';
import type { AppPeerData, UnitPeerData } from '../../state/peer-schemas.ts';
import type { WorkloadFacts, WorkloadResources } from '../../workload-probe/index.ts';
import {
  OPERATOR_USER,
  REPLICATION_USER,
  REWIND_USER,
  type DcsConfig,
  type HbaDatabases,
  type PatroniConfigInput,
  type RestoreSettings,
} from '../../workload/index.ts';
import type { Passwords } from './facts.ts';

export interface ComputedParameters {
  readonly parameters: Record<string, ParameterValue>;
  readonly workerConfig: Record<string, string>;
}

/**
 * PostgreSQL's parameters from the config and the container's resources (the reference charm's
 * `update_config` in src/charm.py):
 * the option mapping and memory tuning, the resolved worker counts, wal_compression as on/off.
 * Throws SharedBuffersTooLargeError / WorkerProcessLimitError for values the resources cannot take.
 */
export function computeParameters(config: CharmConfig, resources: WorkloadResources): ComputedParameters {
  const limit = config.profile_limit_memory === undefined ? undefined : config.profile_limit_memory * 10 ** 6;
  const parameters = buildPostgresqlParameters(config, resources.memoryBytes, limit);
  const workerConfig = calculateWorkerProcessConfig(config, resources.cpuCores);
  Object.assign(parameters, workerConfig);
  parameters['wal_compression'] = config.cpu_wal_compression ? 'on' : 'off';
  // Two options feed track_functions; the config module owns the rule that combines them.
  const trackFunctions = postgresqlParameterOptions(config)['track_functions'];
  if (trackFunctions !== undefined) parameters['track_functions'] = trackFunctions;
  // An unresolved "auto" would stop PostgreSQL from starting.
  for (const [name, value] of Object.entries(parameters)) if (value === 'auto') delete parameters[name];
  return { parameters, workerConfig };
}

/**
 * Until the cluster is initialised the access groups do not exist, so the charm's own users
 * need explicit pg_hba rules (reference `relations_user_databases_map`).
 */
export function systemUserDatabases(initialised: boolean): Record<string, HbaDatabases> {
  return initialised ? {} : { [OPERATOR_USER]: 'all', [REPLICATION_USER]: 'all', [REWIND_USER]: 'all' };
}

/** The app bag's restore keys as the bootstrap input (as the reference's `update_config`: restoring = backup id or PITR target). */
export function restoreSettings(app: AppPeerData, appExtra: Readonly<Record<string, string>>): RestoreSettings | undefined {
  const backupId = app['restoring-backup'];
  const target = app['restore-to-time'];
  const stanza = app['restore-stanza'];
  if ((backupId === undefined && target === undefined) || stanza === undefined) return undefined;
  const timeline = app['restore-timeline'] ?? appExtra['restore-timeline'];
  return {
    stanza,
    ...(backupId === undefined ? {} : { backupId }),
    ...(timeline ? { timeline } : {}),
    target: target === undefined ? 'immediate' : target === 'latest' ? 'latest' : { time: target },
  };
}

export interface PatroniInputFacts {
  readonly unitName: string;
  readonly model: string;
  readonly dcs: DcsConfig;
  readonly endpoints: readonly string[];
  readonly workload: WorkloadFacts;
  readonly passwords: Passwords;
  readonly tls: boolean;
  /** Every peer's bag says its Patroni serves TLS (and so does this unit: `tls`). */
  readonly peersTls?: boolean;
  readonly config: CharmConfig;
  readonly parameters: Readonly<Record<string, ParameterValue>>;
  /** The resolved worker counts and CPUs, which the dynamic config (and so bootstrap.dcs) uses. */
  readonly workerConfig: Readonly<Record<string, string>>;
  readonly cpuCores: number;
  readonly plannedUnits: number;
  /** This unit is going away and hands its synchronous standby role to another replica (nosync). */
  readonly leavingSyncSet?: boolean;
  readonly app: AppPeerData;
  readonly appExtra: Readonly<Record<string, string>>;
  readonly unit: UnitPeerData;
  /** Client-relation users and the databases each may reach (src/handlers/reconcile/client-relations.ts). */
  readonly clientUserDatabases?: Readonly<Record<string, HbaDatabases>>;
}

export function patroniConfigInput(facts: PatroniInputFacts): PatroniConfigInput {
  const { config, app, unit, workload, passwords } = facts;
  const synchronous = synchronousConfiguration(
    config.synchronous_node_count,
    facts.plannedUnits,
    facts.endpoints.length,
    config.synchronous_mode_strict,
  );
  const stanza = app.stanza ?? unit.stanza;
  const restore = restoreSettings(app, facts.appExtra);
  const dynamic = patroniDynamicConfigPatch({ cpuCores: facts.cpuCores, config, workerConfig: { ...facts.workerConfig }, synchronous });
  return {
    unitName: facts.unitName,
    model: facts.model,
    dcs: facts.dcs,
    endpoints: facts.endpoints,
    postgresqlVersion: workload.major,
    binDir: workload.binDir,
    passwords: {
      superuser: passwords.operator ?? '',
      replication: passwords.replication ?? '',
      rewind: passwords.rewind ?? '',
      ...(passwords.patroni === undefined ? {} : { patroniApi: passwords.patroni }),
    },
    tls: facts.tls,
    replicationTls: facts.tls && facts.peersTls === true,
    connectivity: (unit.connectivity ?? 'on') === 'on',
    userDatabases: { ...systemUserDatabases(app.cluster_initialised === true), ...facts.clientUserDatabases },
    synchronousNodeCount: synchronous.synchronous_node_count,
    maximumLagOnFailover: config.durability_maximum_lag_on_failover,
    timing: patroniTiming(config.failover_detection_timeout),
    parameters: facts.parameters,
    ...(facts.leavingSyncSet === true ? { noSync: true } : {}),
    bootstrapParameters: dynamic.postgresql.parameters,
    ...(stanza ? { archivingStanza: stanza } : {}),
    ...(restore === undefined ? {} : { restore }),
    ...(workload.sharedPreloadLibraries === undefined ? {} : { sharedPreloadLibraries: workload.sharedPreloadLibraries }),
    ...(workload.lcMessages === undefined ? {} : { lcMessages: workload.lcMessages }),
  };
}
