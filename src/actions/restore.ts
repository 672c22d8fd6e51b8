/**
 * `restore backup-id=… | restore-to-time=…` (reference charm `src/backups.py`
 * `_on_restore_action`, `_pre_restore_checks`): on a one-unit cluster, Patroni is stopped, its
 * DCS state and PGDATA removed, and Patroni started again with a pgBackRest bootstrap
 * (src/workload/bootstrap.ts) that the app bag's restore keys select. The reconcile sees the
 * restore end (src/handlers/reconcile/backups.ts).
 */
import { listBackups } from '../backups/catalog.ts';
import { ANOTHER_CLUSTER_REPOSITORY_ERROR_MESSAGE, CANNOT_RESTORE_PITR, STATUS } from '../backups/messages.ts';
import { repositoryInfo, repositoryTimelines } from '../backups/pgbackrest.ts';
import { parsePsqlTimestamp, planRestore, type RestorePlan } from '../backups/restore-plan.ts';
import { errorMessage } from '../errors.ts';
import type { ActionEvent } from '../juju/events.ts';
import {
  clusterName,
  DEFAULT_WORKLOAD_PATHS,
  PGDATA_MODE,
  SERVICE_POSTGRESQL,
  WORKLOAD_OS_GROUP,
  WORKLOAD_OS_USER,
} from '../workload/index.ts';
import { patroniLogPath, RESTORE_LOG_OFFSET_KEY } from '../handlers/reconcile/restore-progress.ts';
import { requireS3Parameters, type BackupActionDeps } from './backup-common.ts';
import { ActionFailedError, runAction } from './common.ts';

export const RESTORE_RUNNING_MESSAGE = 'A restore is already running: wait until the unit is active again (juju status), or see juju debug-log';

/** Reference `_pre_restore_checks`, in its order (plus: no restore already running). */
async function preRestoreChecks(deps: BackupActionDeps, backupId: string | undefined, restoreToTime: string | undefined): Promise<void> {
  await requireS3Parameters(deps);
  if (backupId === undefined && restoreToTime === undefined) {
    throw new ActionFailedError('Either backup-id or restore-to-time parameters need to be provided to be able to do restore');
  }
  if (restoreToTime !== undefined && restoreToTime !== 'latest' && parsePsqlTimestamp(restoreToTime) === undefined) {
    throw new ActionFailedError(`Bad restore-to-time format: ${JSON.stringify(restoreToTime)}; use 'latest' or a PostgreSQL timestamp such as '2024-01-02 03:04:05' (UTC unless an offset such as +02:00 follows)`);
  }
  if (!(await (await deps.pebble()).canConnect())) throw new ActionFailedError('Workload container not ready yet!');
  const status = await deps.tools.statusGet();
  if (status.status === 'blocked' && !status.message.startsWith(ANOTHER_CLUSTER_REPOSITORY_ERROR_MESSAGE) && status.message !== CANNOT_RESTORE_PITR) {
    throw new ActionFailedError('Cluster or unit is in a blocking state');
  }
  const goal = await deps.tools.goalState();
  const planned = Object.values(goal.units).filter((unit) => unit.status !== 'dying').length;
  if (planned > 1) throw new ActionFailedError('Unit cannot restore backup as there are more than one unit in the cluster');
  for (const endpoint of ['replication', 'replication-offer']) {
    if ((await deps.tools.relationIds(endpoint)).length > 0) {
      throw new ActionFailedError('Unit cannot restore backup as the cluster is replicating data to a standby cluster');
    }
  }
  if (!(await deps.tools.isLeader())) throw new ActionFailedError('Unit cannot restore backup as it was not elected the leader unit yet');
  const app = await deps.peers.readApp();
  const running = app.status !== 'no-peer-relation' && (app.data['restoring-backup'] !== undefined || app.data['restore-to-time'] !== undefined);
  // A point-in-time restore that failed (Blocked "cannot restore PITR") may be retried with another target.
  if (running && status.message !== CANNOT_RESTORE_PITR) throw new ActionFailedError(RESTORE_RUNNING_MESSAGE);
}

function param(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** Patroni's DCS state of this cluster: Kubernetes objects through the API, or etcd through patronictl. */
async function removeClusterState(deps: BackupActionDeps): Promise<void> {
  const dcs = deps.dcs();
  if (dcs.kind === 'kubernetes') {
    const outcome = await (await deps.kubernetes()).deleteStalePatroniObjects();
    if (outcome.kind !== 'done') throw new ActionFailedError(`Failed to remove previous cluster information with error: ${outcome.kind}`);
    return;
  }
  const cluster = clusterName(deps.appName);
  const pebble = await deps.pebble();
  try {
    const process = await pebble.exec(['patronictl', '-c', DEFAULT_WORKLOAD_PATHS.patroniConfig, 'remove', cluster], {
      user: WORKLOAD_OS_USER,
      group: WORKLOAD_OS_GROUP,
      stdin: `${cluster}\nYes I am aware\n`,
      timeoutMs: 60_000,
    });
    await process.waitOutput();
  } catch (cause) {
    throw new ActionFailedError(`Failed to remove previous cluster information with error: ${errorMessage(cause)}`, { cause });
  }
}

async function startAgain(deps: BackupActionDeps): Promise<void> {
  await (await deps.pebble()).replan();
}

export async function restoreAction(_event: ActionEvent, deps: BackupActionDeps): Promise<void> {
  await runAction(deps, async () => {
    const params = await deps.tools.actionGet();
    const backupId = param(params['backup-id']);
    const restoreToTime = param(params['restore-to-time']);
    await preRestoreChecks(deps, backupId, restoreToTime);
    const pebble = await deps.pebble();
    let plan: RestorePlan;
    try {
      const [stanzas, timelines] = await Promise.all([repositoryInfo(pebble), repositoryTimelines(pebble)]);
      const decision = planRestore({ backupId, restoreToTime }, listBackups(stanzas, { showFailed: false }), timelines, Date.now());
      if (decision.kind === 'fail') throw new ActionFailedError(decision.message);
      plan = decision.plan;
    } catch (cause) {
      if (cause instanceof ActionFailedError) throw cause;
      throw new ActionFailedError(`Failed to list PostgreSQL backups with error: ${errorMessage(cause)}`, { cause });
    }
    deps.logger.info({ ...plan }, 'restoring');
    await deps.tools.statusSet('maintenance', STATUS.restoringBackup);
    const log = await pebble.stat(patroniLogPath());
    await deps.tools.stateSet({ [RESTORE_LOG_OFFSET_KEY]: String(log?.size ?? 0) });
    // Patroni stops on its own when the restored cluster's bootstrap fails; Pebble must not restart it.
    await deps.peers.writeUnit({ 'patroni-on-failure-condition-override': 'ignore' });
    try {
      await deps.refreshWorkloadConfig();
    } catch (cause) {
      throw new ActionFailedError('Failed to override Patroni on-failure condition', { cause });
    }
    try {
      await pebble.stop([SERVICE_POSTGRESQL]);
    } catch (cause) {
      throw new ActionFailedError(`Failed to stop database service with error: ${errorMessage(cause)}`, { cause });
    }
    try {
      await removeClusterState(deps);
      await (await pebble.exec(['rm', '-rf', DEFAULT_WORKLOAD_PATHS.pgdata])).waitOutput();
      await pebble.makeDir(DEFAULT_WORKLOAD_PATHS.pgdata, { permissions: PGDATA_MODE, user: WORKLOAD_OS_USER, group: WORKLOAD_OS_GROUP, makeParents: true });
    } catch (cause) {
      // Nothing restored yet: the cluster comes back as it was (the reference's `_restart_database`).
      await deps.peers.writeUnit({ 'patroni-on-failure-condition-override': null });
      await deps.refreshWorkloadConfig().catch(() => undefined);
      await startAgain(deps);
      if (cause instanceof ActionFailedError) throw cause;
      throw new ActionFailedError(`Failed to remove contents of the data directory with error: ${errorMessage(cause)}`, { cause });
    }
    await deps.peers.writeApp({
      'restoring-backup': plan.restoringBackup === '' ? null : plan.restoringBackup,
      'restore-stanza': plan.restoreStanza,
      'restore-timeline': plan.restoreTimeline === '' ? null : plan.restoreTimeline,
      'restore-to-time': plan.restoreToTime === '' ? null : plan.restoreToTime,
      's3-initialization-block-message': null,
    });
    try {
      await deps.refreshWorkloadConfig();
    } catch (cause) {
      // Patroni must not start on an empty PGDATA with its initdb bootstrap: only with the restore's.
      const rendered = await pebble.pullText(DEFAULT_WORKLOAD_PATHS.patroniConfig).catch(() => '');
      if (!rendered.includes('method: pgbackrest')) {
        throw new ActionFailedError(`Failed to configure the restore (${errorMessage(cause)}): Patroni stays stopped; run restore again`, { cause });
      }
      deps.logger.warn({ err: errorMessage(cause) }, 'the restore is configured, though the rest of the workload configuration is not');
    }
    await startAgain(deps);
    await deps.tools.actionSet({ 'restore-status': 'restore started' });
  });
}
