/**
 * What one reconcile step says about the unit besides the facts it provides: nothing (done), a
 * status to report while the reconcile carries on, or a status that halts it because the later
 * steps depend on something this step could not provide (a valid config, a reachable
 * container, a running member).
 */

export type StatusKind = 'waiting' | 'maintenance' | 'blocked';

/** A status a step asks for; the most urgent one of a reconcile is shown (status.ts). */
export interface StepReport {
  readonly kind: StatusKind;
  readonly message: string;
}

export type StepOutcome = { readonly kind: 'done' } | StepReport;

export const DONE: StepOutcome = Object.freeze({ kind: 'done' });

export function waiting(message: string): StepReport {
  return { kind: 'waiting', message };
}

export function maintenance(message: string): StepReport {
  return { kind: 'maintenance', message };
}

export function blocked(message: string): StepReport {
  return { kind: 'blocked', message };
}

/** Status messages the steps share with tests and with each other. */
export const MESSAGES = {
  containerUnreachable: 'waiting for the workload container',
  storageMissing: 'waiting for the pgdata storage',
  clusterNotStarted: 'awaiting for cluster to start',
  memberNotStarted: 'awaiting for member to start',
  primaryNotReady: 'awaiting for primary endpoint to be ready',
  serviceRestarting: 'Database service inactive, restarting',
  restartingAfterRotation: 'Restarting Patroni: it could not log in to PostgreSQL after a password change',
  lowDiskSpace: '<10% free space on pgdata volume.',
  pluginDependencies: 'Unsatisfied plugin dependencies. Please check the logs',
  pluginsInUse: 'Cannot disable plugins: Existing objects depend on it. See logs',
  awaitingRestart: 'Awaiting restart operation',
  /** Client relations (the reference's src/relations/postgresql_provider.py and db.py). */
  multipleClientEndpoints: 'Please choose one endpoint to use. No need to relate all of them simultaneously!',
  relationInitFailed: 'Failed to initialize database relation',
  relationUserDeleteFailed: 'Failed to delete user during database relation broken event',
  clientUsersPending: 'Waiting for every unit to admit the new client users',
} as const;
