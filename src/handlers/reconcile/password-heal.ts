/**
 * After set-password, a member whose Patroni restarted before this unit re-rendered patroni.yml
 * (kill -9, a pod restart in that window) runs with the old superuser password: it cannot log in
 * to its own PostgreSQL, `/health` answers 503 with state `unknown` (Patroni's API says so when
 * PostgreSQL runs but its query fails), and a SIGHUP does not bring it back. Only a restart, with
 * the new patroni.yml in place (the patroni-config step ran before this one), does.
 *
 * So once per rotation (the peer app bag's `password-rotation`, see set-password), each unit looks
 * at its member: running → nothing to do; `unknown` → restart Patroni once, say so while it comes
 * back. The value checked is kept in the unit's charm state, so a member that stays broken is not
 * restarted in a loop (it then shows Waiting, like any member that does not run).
 */
import { isStarted, NO_RETRY, type PatroniClient } from '../../patroni/index.ts';
import { ChangeError } from '../../pebble/index.ts';
import { SERVICE_POSTGRESQL } from '../../workload/index.ts';
import type { HandlerDeps } from '../deps.ts';
import { waitForMember } from './member-started.ts';
import { maintenance, MESSAGES } from './outcome.ts';
import { halt, proceed, step } from './pipeline.ts';

/** Charm-state key: the `password-rotation` value this unit has already checked its member for. */
export const ROTATION_CHECKED_KEY = 'reconcile.password-rotation-checked';

/** Patroni's API state when PostgreSQL runs but Patroni's own query fails (e.g. its login is refused). */
export const CANNOT_QUERY_STATE = 'unknown';

export type HealDecision =
  /** No rotation to check, or this one is checked already. */
  | 'nothing'
  /** The member runs: record the rotation as checked. */
  | 'healthy'
  /** Patroni cannot query its PostgreSQL: restart it (and record the rotation). */
  | 'restart'
  /** Not decidable now (service down, Patroni starting): look again on a later hook. */
  | 'undecided';

export interface HealInput {
  readonly rotation: number | undefined;
  readonly checked: string | undefined;
  readonly serviceActive: boolean;
  /** `/health` state, or undefined when Patroni did not answer. */
  readonly memberState: string | undefined;
}

export function healDecision(input: HealInput): HealDecision {
  if (input.rotation === undefined || input.checked === String(input.rotation)) return 'nothing';
  if (!input.serviceActive || input.memberState === undefined) return 'undecided';
  if (input.memberState === CANNOT_QUERY_STATE) return 'restart';
  return isStarted(input.memberState) ? 'healthy' : 'undecided';
}

async function memberState(patroni: PatroniClient): Promise<string | undefined> {
  try {
    return (await patroni.health()).state;
  } catch {
    return undefined;
  }
}

/** Poll `/health` (bounded) until it says running or `unknown`: Patroni may be starting right now. */
async function settledState(patroni: PatroniClient, timeoutMs: number, intervalMs: number): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await memberState(patroni);
    if (state !== undefined && (state === CANNOT_QUERY_STATE || isStarted(state))) return state;
    if (Date.now() + intervalMs > deadline) return state;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export const passwordHealStep = step({
  name: 'password-heal',
  retryMessage: MESSAGES.restartingAfterRotation,
  requires: ['app'],
  provides: [],
  async run(deps: Pick<HandlerDeps, 'tools' | 'pebble' | 'patroni' | 'timing' | 'logger'>, { app }) {
    const rotation = app['password-rotation'];
    const checked = await deps.tools.stateGetKey(ROTATION_CHECKED_KEY);
    if (healDecision({ rotation, checked, serviceActive: true, memberState: 'running' }) === 'nothing') return proceed();

    const pebble = await deps.pebble();
    const [service] = await pebble.services([SERVICE_POSTGRESQL]);
    const serviceActive = service?.current === 'active';
    const patroni = (await deps.patroni()).withRetryPolicies({ read: NO_RETRY });
    const state = serviceActive ? await settledState(patroni, deps.timing.memberStartTimeoutMs, deps.timing.pollIntervalMs) : undefined;
    const decision = healDecision({ rotation, checked, serviceActive, memberState: state });
    if (decision === 'undecided' || decision === 'nothing') return proceed();
    // Recorded before the restart: once per rotation, even if what follows fails.
    await deps.tools.stateSet({ [ROTATION_CHECKED_KEY]: String(rotation) });
    if (decision === 'healthy') return proceed();

    deps.logger.warn({ state, rotation }, 'Patroni cannot query PostgreSQL after the passwords changed: restarting it with the new configuration');
    try {
      await pebble.restart([SERVICE_POSTGRESQL]);
    } catch (error) {
      if (!(error instanceof ChangeError)) throw error;
      deps.logger.error({ err: error }, 'failed to restart patroni');
      return halt(maintenance(MESSAGES.restartingAfterRotation));
    }
    const member = await waitForMember(patroni, deps.timing.memberStartTimeoutMs, deps.timing.pollIntervalMs);
    return member === undefined ? halt(maintenance(MESSAGES.restartingAfterRotation)) : proceed();
  },
});
