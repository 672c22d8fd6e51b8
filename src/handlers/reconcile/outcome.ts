/**
 * What one reconcile step says about the unit. `halt` stops the steps after it: they depend on
 * something this step could not provide (a valid config, a reachable container, a running
 * member). Outcomes without `halt` are reported while the reconcile carries on.
 */

export type StepOutcome =
  | { readonly kind: 'done' }
  | { readonly kind: 'waiting' | 'maintenance' | 'blocked'; readonly message: string; readonly halt: boolean };

export const DONE: StepOutcome = Object.freeze({ kind: 'done' });

export function waiting(message: string, options: { halt?: boolean } = {}): StepOutcome {
  return { kind: 'waiting', message, halt: options.halt ?? false };
}

export function maintenance(message: string, options: { halt?: boolean } = {}): StepOutcome {
  return { kind: 'maintenance', message, halt: options.halt ?? false };
}

export function blocked(message: string, options: { halt?: boolean } = {}): StepOutcome {
  return { kind: 'blocked', message, halt: options.halt ?? false };
}

export function halts(outcome: StepOutcome): boolean {
  return outcome.kind !== 'done' && outcome.halt;
}

/** Status messages the steps share with tests and with each other. */
export const MESSAGES = {
  containerUnreachable: 'waiting for the workload container',
  storageMissing: 'waiting for the pgdata storage',
  clusterNotStarted: 'awaiting for cluster to start',
  memberNotStarted: 'awaiting for member to start',
  primaryNotReady: 'awaiting for primary endpoint to be ready',
  serviceRestarting: 'Database service inactive, restarting',
  lowDiskSpace: '<10% free space on pgdata volume.',
  pluginDependencies: 'Unsatisfied plugin dependencies. Please check the logs',
  pluginsInUse: 'Cannot disable plugins: Existing objects depend on it. See logs',
  awaitingRestart: 'Awaiting restart operation',
} as const;
