/**
 * The checks update-status exists for. A Blocked or Maintenance status they set is re-checked on
 * every later reconcile for as long as it is shown, so it clears itself when the cause goes away
 * (space freed, service back) instead of waiting for an operator.
 */
import type { KnownEvent } from '../../juju/dispatcher.ts';
import { isRunning, NO_RETRY } from '../../patroni/index.ts';
import { ChangeError } from '../../pebble/index.ts';
import type { AppPeerData } from '../../state/peer-schemas.ts';
import { probeFilesystemSpace, WorkloadProbeError } from '../../workload-probe/index.ts';
import { DEFAULT_WORKLOAD_PATHS, SERVICE_POSTGRESQL } from '../../workload/index.ts';
import type { HandlerDeps } from '../deps.ts';
import { blocked, maintenance, MESSAGES } from './outcome.ts';
import { halt, proceed, step } from './pipeline.ts';

/** Below this share of free space the unit is Blocked (reference: free / total < 0.1). */
export const MINIMUM_FREE_SPACE_RATIO = 0.1;

export function isLowOnSpace(space: { totalBytes: number; availableBytes: number }): boolean {
  return space.totalBytes > 0 && space.availableBytes / space.totalBytes < MINIMUM_FREE_SPACE_RATIO;
}

/** Run a periodic check on update-status, and on any hook while its own status is showing. */
async function shouldCheck(deps: Pick<HandlerDeps, 'tools'>, event: KnownEvent, message: string): Promise<boolean> {
  if (event.kind === 'update-status') return true;
  return (await deps.tools.statusGet()).message === message;
}

export const diskSpaceStep = step({
  name: 'disk-space',
  retryMessage: 'waiting to check the pgdata volume',
  requires: ['event'],
  provides: [],
  async run(deps: Pick<HandlerDeps, 'tools' | 'pebble' | 'logger'>, { event }) {
    // Also when the ready check fails: a full volume is a usual reason for PostgreSQL to stop
    // (it PANICs when it cannot write WAL), and the status then says so at once.
    if (event.kind !== 'pebble-check-failed' && !(await shouldCheck(deps, event, MESSAGES.lowDiskSpace))) return proceed();
    try {
      const space = await probeFilesystemSpace(await deps.pebble(), DEFAULT_WORKLOAD_PATHS.storage);
      if (!isLowOnSpace(space)) return proceed();
      deps.logger.warn({ ...space }, 'the pgdata volume has less than 10% free space');
      return proceed(blocked(MESSAGES.lowDiskSpace));
    } catch (error) {
      if (!(error instanceof WorkloadProbeError)) throw error;
      deps.logger.warn({ code: error.code }, error.message);
      return proceed();
    }
  },
});

/** The restore code runs Patroni under its own rules; leave the service alone meanwhile. */
function isRestoring(app: AppPeerData): boolean {
  return app['restoring-backup'] !== undefined || app['restore-to-time'] !== undefined;
}

export const serviceHealthStep = step({
  name: 'service-health',
  retryMessage: MESSAGES.serviceRestarting,
  requires: ['event', 'app'],
  provides: [],
  async run(deps: Pick<HandlerDeps, 'tools' | 'pebble' | 'patroni' | 'logger'>, { event, app }) {
    if (isRestoring(app) || !(await shouldCheck(deps, event, MESSAGES.serviceRestarting))) return proceed();
    const pebble = await deps.pebble();
    const [service] = await pebble.services([SERVICE_POSTGRESQL]);
    if (service === undefined || service.current === 'active') return proceed();
    try {
      await pebble.restart([SERVICE_POSTGRESQL]);
      deps.logger.warn({ was: service.current }, 'restarted the inactive postgresql service');
    } catch (error) {
      if (!(error instanceof ChangeError)) throw error;
      deps.logger.error({ err: error }, 'failed to restart patroni');
    }
    const patroni = (await deps.patroni()).withRetryPolicies({ read: NO_RETRY });
    const health = await patroni.health().catch(() => undefined);
    return health !== undefined && isRunning(health.state) ? proceed() : halt(maintenance(MESSAGES.serviceRestarting));
  },
});
