/**
 * The unit's (and, on the leader, the application's) status, computed from the step outcomes
 * and a view of the cluster — a pure function, so every combination is tested. Because the
 * status is recomputed on every reconcile, a Blocked or Waiting status clears by itself as soon
 * as the step that caused it reports `done`.
 */
import type { StepOutcome } from './outcome.ts';

export type StatusName = 'active' | 'waiting' | 'maintenance' | 'blocked';

export interface ComputedStatus {
  readonly status: StatusName;
  readonly message: string;
}

/** This member's place in the cluster, when every step is done (reference `_set_active_status`). */
export interface ActiveView {
  readonly role: 'primary' | 'standby-leader' | 'replica';
  /** Members whose PostgreSQL is running or streaming (not still starting). */
  readonly runningMembers: number;
  /** Juju's planned unit count (goal-state). */
  readonly plannedUnits: number;
}

/** Blocked needs an operator, so it wins; then maintenance (work under way); then waiting. */
const PRIORITY: readonly StatusName[] = ['blocked', 'maintenance', 'waiting'];

/** `Primary`, `Primary (degraded)`, `Standby`, `Standby (degraded)`, or `` for a replica. */
export function activeMessage(view: ActiveView): string {
  if (view.role === 'replica') return '';
  const degraded = view.runningMembers < view.plannedUnits ? ' (degraded)' : '';
  return `${view.role === 'primary' ? 'Primary' : 'Standby'}${degraded}`;
}

/**
 * The first outcome of the most urgent kind (steps run in order, so the earliest cause is the
 * one shown); Active only when every step is done and the member's place is known.
 */
export function unitStatus(outcomes: readonly StepOutcome[], view: ActiveView | undefined, fallback: string): ComputedStatus {
  for (const kind of PRIORITY) {
    const first = outcomes.find((outcome) => outcome.kind === kind);
    if (first !== undefined && first.kind !== 'done') return { status: kind, message: first.message };
  }
  if (view === undefined) return { status: 'waiting', message: fallback };
  return { status: 'active', message: activeMessage(view) };
}

/**
 * The application's status (leader only): the leader's own status when it is not active, so a
 * cluster-wide cause (bad config, missing trust, plugins) shows on the application; when it is
 * active, Active with the cluster's health (`degraded` when members are missing).
 */
export function applicationStatus(leader: ComputedStatus, view: ActiveView | undefined): ComputedStatus {
  if (leader.status !== 'active') return leader;
  const degraded = view !== undefined && view.runningMembers < view.plannedUnits;
  return { status: 'active', message: degraded ? `degraded: ${view.runningMembers} of ${view.plannedUnits} members running` : '' };
}
