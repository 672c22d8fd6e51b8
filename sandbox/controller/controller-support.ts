import { type Action, getRelation, type Model, type Relation } from '../juju/model.ts';
import type { ControllerState } from './controller-state.ts';
import { ControllerError, ControllerTimeoutError } from './errors.ts';
import type { UnitLifecycle } from './lifecycle.ts';
import { describeEvent, type QueuedEvent } from './queued-event.ts';
import type { QueueItem } from './scheduler.ts';
import type { ServiceStatus } from './runtime.ts';

/**
 * Small pieces of the controller: action waiters, relation lookup, reconciling saved state, the
 * per-unit progress in its status.
 */

export interface UnitProgress {
  phase: UnitLifecycle['phase'];
  running: string | null;
  queue: string[];
  /** Failed attempts of the hook at the head of the queue. */
  failedAttempts: number;
  /** Workload containers whose Pebble is awaited: not up yet, or down (restarting). */
  waitingFor: string[];
}

export interface ControllerStatus {
  model: Model;
  units: Record<string, UnitProgress>;
  /** The model's Kubernetes Services, when the sandbox runs the API stand-in. */
  services?: ServiceStatus[];
}

export function unitProgress(
  records: Record<string, UnitLifecycle>,
  queues: Record<string, QueueItem[]>,
  running: Record<string, QueuedEvent>,
  waiting: ReadonlyArray<{ unit: string; container: string }>,
): Record<string, UnitProgress> {
  const units: Record<string, UnitProgress> = {};
  for (const [unit, record] of Object.entries(records)) {
    const items = queues[unit] ?? [];
    const current = running[unit];
    units[unit] = {
      phase: record.phase,
      running: current ? describeEvent(current) : null,
      queue: items.map((i) => describeEvent(i.event)),
      failedAttempts: items[0]?.attempts ?? 0,
      waitingFor: waiting.filter((w) => w.unit === unit).map((w) => w.container),
    };
  }
  return units;
}

const FINAL_ACTION_STATES = new Set<Action['status']>(['completed', 'failed', 'aborted']);

interface Waiter {
  resolve: (action: Action) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

/** Callers of runAction waiting for their action to finish. */
export class ActionWaiters {
  private readonly waiters = new Map<string, Waiter[]>();

  wait(id: string, timeoutMs?: number): Promise<Action> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined };
      if (timeoutMs !== undefined) {
        waiter.timer = setTimeout(() => {
          this.remove(id, waiter);
          reject(new ControllerTimeoutError(`action ${id} did not finish within ${timeoutMs} ms`));
        }, timeoutMs);
      }
      this.waiters.set(id, [...(this.waiters.get(id) ?? []), waiter]);
    });
  }

  /** Resolve the waiters of every action that has finished. */
  settle(model: Model): void {
    for (const [id, waiters] of this.waiters) {
      const action = model.actions[id];
      if (action && !FINAL_ACTION_STATES.has(action.status)) continue;
      this.waiters.delete(id);
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        if (action) waiter.resolve(structuredClone(action));
        else waiter.reject(new ControllerError(`action ${id} no longer exists`));
      }
    }
  }

  rejectAll(error: Error): void {
    for (const waiters of this.waiters.values()) {
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        waiter.reject(error);
      }
    }
    this.waiters.clear();
  }

  private remove(id: string, waiter: Waiter): void {
    const rest = (this.waiters.get(id) ?? []).filter((w) => w !== waiter);
    if (rest.length > 0) this.waiters.set(id, rest);
    else this.waiters.delete(id);
  }
}

function endpointMatches(spec: string, endpoint: Relation['endpoints'][number]): boolean {
  const [app, name] = spec.split(':', 2);
  return endpoint.app === app && (name === undefined || endpoint.name === name);
}

/** A relation by id, or by its two endpoints (`app` or `app:endpoint`, either order). */
export function findRelation(model: Model, target: number | [string, string]): Relation {
  if (typeof target === 'number') return getRelation(model, target);
  const [a, b] = target;
  const matches = model.relations.filter((r) => {
    const [x, y] = r.endpoints;
    if (!x || !y) return false;
    return (endpointMatches(a, x) && endpointMatches(b, y)) || (endpointMatches(a, y) && endpointMatches(b, x));
  });
  if (matches.length !== 1) throw new ControllerError(`${matches.length === 0 ? 'no' : 'more than one'} relation between ${a} and ${b}`);
  return matches[0]!;
}

/**
 * Make saved controller state and the saved model agree after a restart: an action that was
 * running when the controller died is aborted (Juju does not rerun actions), queues and
 * lifecycles of units that are gone are dropped, and units without a lifecycle count as ready.
 */
export function restoreModelState(model: Model, state: ControllerState, now = new Date()): void {
  for (const action of Object.values(model.actions)) {
    if (action.status !== 'running') continue;
    action.status = 'aborted';
    action.message = 'interrupted by a controller restart';
    action.completedAt = now.toISOString();
  }
  for (const unit of Object.keys(state.units)) if (!model.units[unit]) delete state.units[unit];
  for (const unit of Object.keys(state.queues)) if (!model.units[unit]) delete state.queues[unit];
  for (const [unit, items] of Object.entries(state.queues)) {
    state.queues[unit] = items.filter((i) => i.event.kind !== 'action' || model.actions[i.event.actionId]?.status === 'pending');
  }
  for (const unit of Object.values(model.units)) {
    if (state.units[unit.name]) continue;
    const created = model.relations.filter((r) => r.endpoints.some((e) => e.app === unit.app) && r.scope.includes(unit.name)).map((r) => r.id);
    const containers = Object.keys(model.applications[unit.app]?.charm.containers ?? {});
    state.units[unit.name] = { phase: unit.life === 'alive' ? 'ready' : 'dying', created, workloadsReady: containers, workloadBootIds: {} };
  }
}
