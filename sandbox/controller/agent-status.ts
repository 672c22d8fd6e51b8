import { status, type Status, type Unit } from '../juju/model.ts';

/**
 * The workload statuses Juju's unit agent sets around some hooks itself (juju/juju 3.6,
 * internal/worker/uniter/operation/runhook.go: runHook.beforeHook and runHook.afterHook):
 * maintenance "installing charm software" before install unless the charm has set a status
 * already; maintenance "stopping charm software" before stop and maintenance after it;
 * maintenance "cleaning up prior to charm deletion" before remove and terminated after it; and
 * unknown after start when the charm has not set a status in any hook so far (state.StatusSet).
 * afterHook runs only for hooks that succeeded.
 */

export const INSTALLING_MESSAGE = 'installing charm software';

/** What the model and the agent set, never the charm (the sandbox keeps no StatusSet flag). */
const AGENT_SET: ReadonlyArray<Pick<Status, 'status' | 'message'>> = [
  { status: 'waiting', message: 'installing agent' },
  { status: 'maintenance', message: INSTALLING_MESSAGE },
];

function setByAgent(current: Status): boolean {
  return AGENT_SET.some((s) => s.status === current.status && s.message === current.message);
}

/** Set what the agent sets before `hook`; returns whether it set anything. */
export function beforeHookStatus(unit: Unit, hook: string): boolean {
  switch (hook) {
    case 'install':
      if (!setByAgent(unit.workloadStatus)) return false;
      unit.workloadStatus = status('maintenance', INSTALLING_MESSAGE);
      return true;
    case 'stop':
      unit.workloadStatus = status('maintenance', 'stopping charm software');
      return true;
    case 'remove':
      unit.workloadStatus = status('maintenance', 'cleaning up prior to charm deletion');
      return true;
    default:
      return false;
  }
}

/**
 * Set what the agent sets after `hook` succeeded; `setInHook` says whether the charm set the
 * unit's status while it ran. Returns whether it set anything.
 */
export function afterHookStatus(unit: Unit, hook: string, setInHook: boolean): boolean {
  switch (hook) {
    case 'stop':
      unit.workloadStatus = status('maintenance', '');
      return true;
    case 'remove':
      unit.workloadStatus = status('terminated', '');
      return true;
    case 'start':
      if (setInHook || !setByAgent(unit.workloadStatus)) return false;
      unit.workloadStatus = status('unknown', '');
      return true;
    default:
      return false;
  }
}
