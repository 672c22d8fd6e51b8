/**
 * A point-in-time restore whose target cannot be reached never brings the member up: Patroni's
 * pgBackRest bootstrap fails, and Patroni logs that it removes the initialize key after the
 * failed attempt (reference charm `src/charm.py` `_was_restore_successful` / `is_pitr_failed`,
 * which reads the same line). The leader then shows the reference's Blocked "cannot restore
 * PITR, juju debug-log for details" instead of waiting for the member forever; a new `restore`
 * with another target is allowed from there.
 */
import { CANNOT_RESTORE_PITR } from '../../backups/messages.ts';
import { DEFAULT_WORKLOAD_PATHS } from '../../workload/index.ts';
import type { HandlerDeps } from '../deps.ts';
import { blocked } from './outcome.ts';
import { halt, proceed, step } from './pipeline.ts';

/** Unit charm state: patroni.log's length when the restore started (older failures are not this restore's). */
export const RESTORE_LOG_OFFSET_KEY = 'backups.restore-log-offset';
export const PATRONI_BOOTSTRAP_FAILED = 'removing initialize key after failed attempt to bootstrap the cluster';

export function patroniLogPath(): string {
  return `${DEFAULT_WORKLOAD_PATHS.postgresqlLogs}/patroni.log`;
}

/** Whether the log, from `offset` on (all of it when it is shorter: it was rotated), shows a failed bootstrap. */
export function bootstrapFailedSince(log: string, offset: number): boolean {
  return (log.length >= offset ? log.slice(offset) : log).includes(PATRONI_BOOTSTRAP_FAILED);
}

export const restoreProgressStep = step({
  name: 'restore-progress',
  retryMessage: 'waiting to read the restore\'s progress',
  requires: ['isLeader', 'app'],
  provides: [],
  async run(deps: Pick<HandlerDeps, 'pebble' | 'tools' | 'logger'>, { isLeader, app }) {
    if (!isLeader || app['restore-to-time'] === undefined) return proceed();
    const pebble = await deps.pebble();
    const path = patroniLogPath();
    if (!(await pebble.exists(path))) return proceed();
    const offset = Number((await deps.tools.stateGetKey(RESTORE_LOG_OFFSET_KEY)) ?? '0') || 0;
    if (!bootstrapFailedSince(await pebble.pullText(path), offset)) return proceed();
    deps.logger.error({ target: app['restore-to-time'] }, 'the point-in-time restore failed: Patroni could not bootstrap the cluster from the backup (the target may be after the last archived WAL); run restore again with another target');
    return halt(blocked(CANNOT_RESTORE_PITR));
  },
});
