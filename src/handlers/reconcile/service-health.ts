/**
 * Step j: the checks update-status exists for. A Blocked or Maintenance status they set is
 * re-checked on every later reconcile for as long as it is shown, so it clears itself when the
 * cause goes away (space freed, service back) instead of waiting for an operator.
 */
import type { CharmContext } from '../../charm-context.ts';
import { isRunning, NO_RETRY } from '../../patroni/index.ts';
import { ChangeError } from '../../pebble/index.ts';
import { probeFilesystemSpace, WorkloadProbeError } from '../../workload-probe/index.ts';
import { DEFAULT_WORKLOAD_PATHS, SERVICE_POSTGRESQL } from '../../workload/index.ts';
import { blocked, DONE, maintenance, MESSAGES } from './outcome.ts';
import type { ReconcileState } from './state.ts';
import type { ReconcileStep } from './step.ts';

/** Below this share of free space the unit is Blocked (reference: free / total < 0.1). */
export const MINIMUM_FREE_SPACE_RATIO = 0.1;

export function isLowOnSpace(space: { totalBytes: number; availableBytes: number }): boolean {
  return space.totalBytes > 0 && space.availableBytes / space.totalBytes < MINIMUM_FREE_SPACE_RATIO;
}

/** Run a periodic check on update-status, and on any hook while its own status is showing. */
async function shouldCheck(charm: CharmContext, state: ReconcileState, message: string): Promise<boolean> {
  if (state.event.kind === 'update-status') return true;
  return (await charm.tools.statusGet()).message === message;
}

export const diskSpaceStep: ReconcileStep = {
  name: 'disk-space',
  retryMessage: 'waiting to check the pgdata volume',
  async run(charm, state) {
    if (!(await shouldCheck(charm, state, MESSAGES.lowDiskSpace))) return DONE;
    try {
      const space = await probeFilesystemSpace(await charm.pebble(), DEFAULT_WORKLOAD_PATHS.storage);
      if (!isLowOnSpace(space)) return DONE;
      charm.logger.warn({ ...space }, 'the pgdata volume has less than 10% free space');
      return blocked(MESSAGES.lowDiskSpace);
    } catch (error) {
      if (!(error instanceof WorkloadProbeError)) throw error;
      charm.logger.warn({ code: error.code }, error.message);
      return DONE;
    }
  },
};

/** The restore code runs Patroni under its own rules; leave the service alone meanwhile. */
function isRestoring(state: ReconcileState): boolean {
  return state.app['restoring-backup'] !== undefined || state.app['restore-to-time'] !== undefined;
}

export const serviceHealthStep: ReconcileStep = {
  name: 'service-health',
  retryMessage: MESSAGES.serviceRestarting,
  async run(charm, state) {
    if (isRestoring(state) || !(await shouldCheck(charm, state, MESSAGES.serviceRestarting))) return DONE;
    const pebble = await charm.pebble();
    const [service] = await pebble.services([SERVICE_POSTGRESQL]);
    if (service === undefined || service.current === 'active') return DONE;
    try {
      await pebble.restart([SERVICE_POSTGRESQL]);
      charm.logger.warn({ was: service.current }, 'restarted the inactive postgresql service');
    } catch (error) {
      if (!(error instanceof ChangeError)) throw error;
      charm.logger.error({ err: error }, 'failed to restart patroni');
    }
    const patroni = (await charm.patroni()).withRetryPolicies({ read: NO_RETRY });
    const health = await patroni.health().catch(() => undefined);
    return health !== undefined && isRunning(health.state) ? DONE : maintenance(MESSAGES.serviceRestarting, { halt: true });
  },
};
