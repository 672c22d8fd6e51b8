/**
 * Backups to S3 (reference charm `src/backups.py`, `PostgreSQLBackups`), as one reconcile step
 * that runs once the member is up and the cluster initialised:
 *
 * - a restore the leader started has finished when this member runs as a primary again: the
 *   restore keys are cleared, Patroni gets its normal on-failure back, and the repository is
 *   checked again (a restore from another cluster's bucket shows "another cluster" until the
 *   relation points at a new path, then heals);
 * - without the `s3-parameters` relation (or its credentials) every S3 key is cleared and WAL
 *   archiving goes off;
 * - with it, every unit writes pgbackrest.conf (and the CA chain), and the primary connects the
 *   cluster to the repository (src/backups/s3-initialisation.ts) whenever the S3 settings change,
 *   and again on update-status while the last try was Blocked, so a fixed bucket or key clears
 *   the status by itself. Its result goes to the app bag on the leader, or to the primary's unit
 *   bag, which the leader copies (the reference's `coordinate_stanza_fields`).
 */
import { errorMessage } from '../../errors.ts';
import { renderPgbackrestConf } from '../../backups/pgbackrest-conf.ts';
import { S3Client, type S3Objects } from '../../backups/s3-client.ts';
import { initialiseS3Repository } from '../../backups/s3-initialisation.ts';
import { readS3Relation } from '../../backups/s3-relation.ts';
import type { S3Parameters } from '../../backups/s3-parameters.ts';
import { isS3BlockMessage } from '../../backups/messages.ts';
import { describeSchedules, hasSchedule, schedulerService, type BackupScheduleSettings } from '../../backups/schedule.ts';
import { backupRetention, backupSchedules, SCHEDULED_BACKUP_RESULT_FILE } from '../../backups/schedule-config.ts';
import type { BackupRetention } from '../../backups/pgbackrest-conf.ts';
import { BACKUP_USER, DEFAULT_DATABASE, DEFAULT_WORKLOAD_PATHS, POSTGRESQL_PORT, stanzaName, WORKLOAD_OS_GROUP, WORKLOAD_OS_USER } from '../../workload/index.ts';
import { ensureBackupScheduler } from './backup-scheduler.ts';
import type { KnownEvent } from '../../juju/dispatcher.ts';
import type { HandlerDeps } from '../deps.ts';
import type { ReconcileFacts } from './facts.ts';
import { digest } from './memo.ts';
import { blocked } from './outcome.ts';
import { pushIfChanged } from './patroni-config-file.ts';
import { ensurePostgresDirectory } from './workload-setup.ts';
import { next, step } from './pipeline.ts';

/** Unit charm state: the digest of the S3 settings this unit (as primary) last connected the cluster with. */
export const S3_INITIALISED_KEY = 'backups.s3-initialised-for';
/** The scheduler service for these schedules (undefined when there are none). */
function wantedScheduler(deps: Pick<BackupsStepDeps, 'modelName' | 'appName'>, schedules: BackupScheduleSettings) {
  if (!hasSchedule(schedules)) return undefined;
  const paths = DEFAULT_WORKLOAD_PATHS;
  return schedulerService({
    ...schedules,
    stanza: stanzaName(deps.modelName, deps.appName),
    lastResultFile: SCHEDULED_BACKUP_RESULT_FILE,
    user: WORKLOAD_OS_USER,
    group: WORKLOAD_OS_GROUP,
    // The primary check: this member over the socket as the backup user (pg_hba `peer map=operator`).
    environment: { PGHOST: paths.socketDir, PGPORT: String(POSTGRESQL_PORT), PGUSER: BACKUP_USER, PGDATABASE: DEFAULT_DATABASE, PGCONNECT_TIMEOUT: '5', PGAPPNAME: 'backup-scheduler' },
  });
}

async function stopScheduler(deps: BackupsStepDeps, reason: string): Promise<void> {
  try {
    await ensureBackupScheduler(deps, undefined, reason);
  } catch (error) {
    deps.logger.warn({ err: errorMessage(error) }, 'cannot stop the backup schedule');
  }
}

/** pgbackrest.conf holds the S3 secret key: postgres only. */
const PGBACKREST_CONF_MODE = 0o600;
const CA_CHAIN_MODE = 0o644;

/** The whole of HandlerDeps: switching archiving on or off re-renders patroni.yml within the hook. */
export type BackupsStepDeps = HandlerDeps;

/**
 * Re-render patroni.yml (archive_command follows the stanza) and reload Patroni now: `pgbackrest
 * check` needs archiving on, and the leader's own bag writes give it no relation-changed.
 */
async function refresh(deps: BackupsStepDeps, event: KnownEvent): Promise<void> {
  const { refreshWorkloadConfig } = await import('../reconcile.ts');
  try {
    await refreshWorkloadConfig(deps, event);
  } catch (error) {
    // The next hook renders it anyway; the check that follows says whether archiving works.
    deps.logger.warn({ err: errorMessage(error) }, 'cannot re-render the Patroni configuration now');
  }
}

export function s3Objects(deps: Pick<HandlerDeps, 's3'>, parameters: S3Parameters): S3Objects {
  return deps.s3 === undefined ? new S3Client(parameters) : deps.s3(parameters);
}

function isPrimary(member: ReconcileFacts['member']): boolean {
  return member.role === 'master' || member.role === 'primary';
}

function isRestoring(app: ReconcileFacts['app']): boolean {
  return app['restoring-backup'] !== undefined || app['restore-to-time'] !== undefined;
}

/** The leader finishes a restore once this member (the only one, restore needs one unit) runs as primary. */
async function finishRestore(deps: BackupsStepDeps, event: KnownEvent, facts: Pick<ReconcileFacts, 'app' | 'unit' | 'member'>): Promise<void> {
  deps.logger.info({ backup: facts.app['restoring-backup'], target: facts.app['restore-to-time'] }, 'restore finished: the restored cluster runs as primary');
  await deps.peers.writeApp({ 'restoring-backup': null, 'restore-to-time': null, 'restore-stanza': null, 'restore-timeline': null });
  if (facts.unit['patroni-on-failure-condition-override'] !== undefined) await deps.peers.writeUnit({ 'patroni-on-failure-condition-override': null });
  await deps.tools.stateSet({ [S3_INITIALISED_KEY]: '' });
  await refresh(deps, event);
}

async function clearS3State(deps: BackupsStepDeps, event: KnownEvent, facts: Pick<ReconcileFacts, 'isLeader' | 'app' | 'unit'>): Promise<void> {
  const appKeys = ['stanza', 's3-initialization-start', 's3-initialization-done', 's3-initialization-block-message'] as const;
  const unitKeys = ['stanza', 's3-initialization-start', 's3-initialization-done', 's3-initialization-block-message'] as const;
  let changed = false;
  if (facts.isLeader && appKeys.some((key) => facts.app[key] !== undefined)) {
    await deps.peers.writeApp(Object.fromEntries(appKeys.map((key) => [key, null])));
    changed = true;
  }
  if (unitKeys.some((key) => facts.unit[key] !== undefined)) {
    await deps.peers.writeUnit(Object.fromEntries(unitKeys.map((key) => [key, null])));
    changed = true;
  }
  if (((await deps.tools.stateGetKey(S3_INITIALISED_KEY)) ?? '') !== '') await deps.tools.stateSet({ [S3_INITIALISED_KEY]: '' });
  if (changed) {
    deps.logger.info('S3 relation gone or incomplete: backups disabled, WAL archiving off');
    await refresh(deps, event);
  }
}

/** Push pgbackrest.conf and the CA chain when they differ. */
async function writePgbackrestConf(deps: BackupsStepDeps, parameters: S3Parameters, cpuCores: number, blockIncremental: boolean, retention: BackupRetention): Promise<void> {
  const paths = DEFAULT_WORKLOAD_PATHS;
  const pebble = await deps.pebble();
  // pgBackRest (as postgres) writes its logs there; a fresh mount is root's.
  await ensurePostgresDirectory(pebble, deps.logger, paths.pgbackrestLogs);
  const caFile = parameters.tlsCaChain === undefined ? undefined : paths.pgbackrestTlsCaChain;
  if (caFile !== undefined) await pushIfChanged(pebble, caFile, `${(parameters.tlsCaChain ?? []).join('\n')}\n`, CA_CHAIN_MODE);
  const text = renderPgbackrestConf({
    parameters,
    stanza: stanzaName(deps.modelName, deps.appName),
    pgdata: paths.pgdata,
    logPath: paths.pgbackrestLogs,
    user: BACKUP_USER,
    cpuCores,
    blockIncremental,
    retention,
    ...(caFile === undefined ? {} : { caFile }),
  });
  if (await pushIfChanged(pebble, paths.pgbackrestConfig, text, PGBACKREST_CONF_MODE)) deps.logger.info({ path: paths.pgbackrestConfig }, 'wrote pgbackrest.conf');
}

/** The leader copies the primary's result (reference `coordinate_stanza_fields`); returns the block message it copied. */
async function coordinate(deps: BackupsStepDeps, event: KnownEvent, facts: Pick<ReconcileFacts, 'app' | 'peerUnits'>): Promise<string | undefined> {
  for (const unit of facts.peerUnits) {
    const bag = await deps.peers.readUnit(unit);
    if (bag.status === 'no-peer-relation' || bag.data['s3-initialization-done'] !== true || bag.data['member-role'] !== 'primary') continue;
    const stanza = bag.data.stanza;
    const message = bag.data['s3-initialization-block-message'];
    if (facts.app.stanza !== stanza || facts.app['s3-initialization-block-message'] !== message) {
      await deps.peers.writeApp({ stanza: stanza ?? null, 's3-initialization-block-message': message ?? null, 's3-initialization-done': true });
      await refresh(deps, event);
    }
    return message;
  }
  return undefined;
}

export const backupsStep = step({
  name: 'backups',
  retryMessage: 'waiting to configure backups',
  requires: ['event', 'isLeader', 'app', 'unit', 'peerUnits', 'member', 'resources', 'workload', 'config'],
  provides: [],
  async run(deps: BackupsStepDeps, facts) {
    const { isLeader, app, unit, member } = facts;
    if (isRestoring(app)) {
      await stopScheduler(deps, 'a restore runs');
      if (isLeader && isPrimary(member) && member.state === 'running') await finishRestore(deps, facts.event, facts);
      return next({});
    }
    const relation = await readS3Relation(deps.tools, { appName: deps.appName, isLeader, event: facts.event });
    const schedules = backupSchedules(facts.config);
    if (relation === undefined || relation.read.kind !== 'ok') {
      if (hasSchedule(schedules)) deps.logger.warn('backup schedule set, but there is no S3 relation with credentials: no scheduled backups');
      await stopScheduler(deps, 'no S3 relation');
      await clearS3State(deps, facts.event, facts);
      return next({});
    }
    const parameters = relation.read.parameters;
    // The rock's pgBackRest takes block incremental as the reference renders it; Debian 12's 2.45 needs --beta for it.
    await writePgbackrestConf(deps, parameters, facts.resources.cpuCores, facts.workload.flavour === 'rock', backupRetention(facts.config));
    const stanza = stanzaName(deps.modelName, deps.appName);
    const settings = digest({ parameters, stanza });
    // The S3 block this unit shows: the leader the app bag's, a primary that is not the leader its own.
    let message = isLeader ? app['s3-initialization-block-message'] : isPrimary(member) ? unit['s3-initialization-block-message'] : undefined;
    if (isPrimary(member)) {
      const done = (await deps.tools.stateGetKey(S3_INITIALISED_KEY)) === settings;
      const retry = message !== undefined && isS3BlockMessage(message) && facts.event.kind === 'update-status';
      if (!done || retry) message = await connectRepository(deps, facts.event, facts, parameters, stanza, settings);
    } else if (isLeader) {
      message = (await coordinate(deps, facts.event, facts)) ?? message;
    }
    if (message === undefined) {
      await ensureBackupScheduler(deps, wantedScheduler(deps, schedules), describeSchedules(schedules, new Date()));
    } else {
      await stopScheduler(deps, 'the S3 repository cannot be used');
    }
    return next({}, message === undefined ? undefined : blocked(message));
  },
});

async function connectRepository(
  deps: BackupsStepDeps,
  event: KnownEvent,
  facts: Pick<ReconcileFacts, 'isLeader' | 'member'>,
  parameters: S3Parameters,
  stanza: string,
  settings: string,
): Promise<string | undefined> {
  const s3 = s3Objects(deps, parameters);
  const record = async (update: { stanza: string | null; message: string | null }): Promise<void> => {
    if (facts.isLeader) {
      await deps.peers.writeApp({ stanza: update.stanza, 's3-initialization-block-message': update.message, 's3-initialization-start': null, 's3-initialization-done': true });
    } else {
      await deps.peers.writeUnit({ stanza: update.stanza, 's3-initialization-block-message': update.message, 's3-initialization-done': true });
    }
  };
  try {
    const result = await initialiseS3Repository(
      {
        pebble: await deps.pebble(),
        s3,
        logger: deps.logger,
        enableArchiving: async (name) => {
          await record({ stanza: name, message: null });
          await refresh(deps, event);
        },
      },
      { parameters, stanza, modelUuid: deps.modelUuid, systemId: facts.member.database_system_identifier },
    );
    await deps.tools.stateSet({ [S3_INITIALISED_KEY]: settings });
    if (result.kind === 'ok') {
      await record({ stanza, message: null });
      return undefined;
    }
    deps.logger.warn({ message: result.message }, 'the S3 repository cannot be used');
    await record({ stanza: null, message: result.message });
    await refresh(deps, event);
    return result.message;
  } catch (error) {
    deps.logger.error({ err: errorMessage(error) }, 'connecting the cluster to S3 failed');
    throw error;
  } finally {
    if (s3 instanceof S3Client) s3.close();
  }
}
