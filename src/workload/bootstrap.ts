/**
 * The `bootstrap` section of patroni.yml (reference charm: `templates/patroni.yml.j2`): the dynamic
 * configuration a new cluster starts with, and how its first member gets data — `initdb`, a
 * pgBackRest restore, or (async standby) a base backup from another cluster.
 */
import { InvalidPatroniSettingError } from './errors.ts';
import { bootstrapPgHba } from './pg-hba.ts';
import { INITDB_OPTIONS, bootstrapParameters } from './postgresql-defaults.ts';
import type { WorkloadPaths } from './paths.ts';
import { POSTGRESQL_PORT } from './users.ts';

/**
 * Which point a restore stops at: the end of the WAL (`latest`, app peer `restore-to-time` =
 * "latest"), the end of the backup (`immediate`), or a point in time.
 */
export type RestoreTarget = 'latest' | 'immediate' | { readonly time: string };

export interface RestoreSettings {
  /** App peer `restore-stanza`: the stanza holding the backup. */
  readonly stanza: string;
  /** App peer `restoring-backup`. */
  readonly backupId?: string;
  /** App peer `restore-timeline`, hexadecimal without `0x`. */
  readonly timeline?: string;
  readonly target: RestoreTarget;
}

/** Patroni's timing; unset keeps Patroni's defaults (30/10/10), as the reference does. */
export interface PatroniTiming {
  readonly ttl: number;
  readonly loop_wait: number;
  readonly retry_timeout: number;
}

export interface BootstrapInput {
  readonly paths: WorkloadPaths;
  readonly binDir: string;
  readonly tls: boolean;
  readonly synchronousNodeCount: number;
  readonly maximumLagOnFailover: number;
  /** Set once a pgBackRest stanza exists and archiving is not disabled. */
  readonly archivingStanza?: string;
  readonly sharedPreloadLibraries: readonly string[];
  readonly lcMessages: string;
  readonly restore?: RestoreSettings;
  /** The primary cluster's address when this cluster is an async-replication standby. */
  readonly standbyClusterHost?: string;
  readonly extraReplicationEndpoints: readonly string[];
  readonly timing?: PatroniTiming;
  /** Seeded from the dynamic config the leader will PATCH (see PatroniConfigInput.bootstrapParameters). */
  readonly dynamicParameters?: Readonly<Record<string, string | number | boolean | null>>;
}

const SAFE_ARGUMENT = /^[A-Za-z0-9_.:+-]+$/;

function checked(value: string, what: string, pattern: RegExp): string {
  if (!pattern.test(value)) {
    throw new InvalidPatroniSettingError(`${what} ${JSON.stringify(value)} cannot go into the restore command`);
  }
  return value;
}

/**
 * The pgBackRest restore command Patroni runs as its custom bootstrap. Patroni splits it with
 * shell rules, so the quoted `--target` keeps its space.
 */
export function restoreCommand(restore: RestoreSettings, paths: WorkloadPaths): string {
  const parts = [
    'pgbackrest',
    `--stanza=${checked(restore.stanza, 'stanza', SAFE_ARGUMENT)}`,
    `--pg1-path=${paths.pgdata}`,
  ];
  if (restore.backupId !== undefined) parts.push(`--set=${checked(restore.backupId, 'backup id', SAFE_ARGUMENT)}`);
  if (restore.timeline !== undefined) {
    parts.push(`--target-timeline="0x${checked(restore.timeline, 'timeline', /^[0-9A-Fa-f]+$/)}"`);
  }
  if (restore.target === 'latest') {
    parts.push('--type=default');
  } else if (restore.target === 'immediate') {
    parts.push('--target-action=promote', '--type=immediate');
  } else {
    const time = checked(restore.target.time, 'restore target', /^[^"\\\r\n$`]+$/);
    parts.push('--target-action=promote', `--target="${time}"`, '--type=time');
  }
  parts.push('restore');
  return parts.join(' ');
}

/** `bootstrap.dcs`: the cluster's initial dynamic configuration. */
function bootstrapDcs(input: BootstrapInput): Record<string, unknown> {
  const dcs: Record<string, unknown> = {
    failsafe_mode: true,
    synchronous_node_count: input.synchronousNodeCount,
    maximum_lag_on_failover: input.maximumLagOnFailover,
    synchronous_mode: true,
    // The real value goes through PATCH /config once the members are known (reference: `update_config`).
    synchronous_mode_strict: false,
    max_timelines_history: 50,
    ...(input.timing === undefined ? {} : { ...input.timing }),
    postgresql: {
      use_pg_rewind: true,
      remove_data_directory_on_rewind_failure: false,
      remove_data_directory_on_diverged_timelines: false,
      bin_dir: input.binDir,
      parameters: {
        ...bootstrapParameters(input.paths, {
          stanza: input.archivingStanza,
          sharedPreloadLibraries: input.sharedPreloadLibraries,
          lcMessages: input.lcMessages,
        }),
        // null means "PostgreSQL's default" in a PATCH; at bootstrap that is simply leaving it out.
        ...Object.fromEntries(Object.entries(input.dynamicParameters ?? {}).filter(([, value]) => value !== null)),
      },
    },
  };
  // A restore takes precedence: the restored cluster starts as a primary of its own.
  if (input.restore === undefined && input.standbyClusterHost !== undefined) {
    dcs.standby_cluster = {
      host: input.standbyClusterHost,
      port: POSTGRESQL_PORT,
      create_replica_methods: ['basebackup'],
    };
  }
  return dcs;
}

export function bootstrapSection(input: BootstrapInput): Record<string, unknown> {
  const section: Record<string, unknown> = { dcs: bootstrapDcs(input) };
  if (input.restore !== undefined) {
    section.method = 'pgbackrest';
    section.pgbackrest = {
      command: restoreCommand(input.restore, input.paths),
      no_params: true,
      keep_existing_recovery_conf: true,
    };
  } else if (input.standbyClusterHost === undefined) {
    section.initdb = INITDB_OPTIONS.map((option) => (typeof option === 'string' ? option : { ...option }));
  }
  section.pg_hba = bootstrapPgHba({ tls: input.tls, extraReplicationEndpoints: input.extraReplicationEndpoints });
  return section;
}
