/**
 * Is this member's Patroni up with PostgreSQL running (a replica still "starting" is
 * copying or replaying and serves nothing yet)? When this hook has just started Patroni, the
 * container just came up, or Patroni says it is bringing PostgreSQL up, it waits a bounded time,
 * since a member is usually up within seconds; otherwise one look. A member still down halts the reconcile in
 * Waiting; Pebble's ready check on Patroni's /health fires pebble-check-recovered when it comes
 * up, and that hook (or update-status at the latest) carries on.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isStarted, NO_RETRY, type MemberStatus, type PatroniClient } from '../../patroni/index.ts';
import type { HandlerDeps } from '../deps.ts';
import { MESSAGES, waiting } from './outcome.ts';
import { halt, next, step } from './pipeline.ts';

async function memberStatus(patroni: PatroniClient): Promise<MemberStatus | undefined> {
  try {
    return await patroni.health();
  } catch {
    return undefined;
  }
}

/** Poll until the member runs or `timeoutMs` passes; one look when the timeout is 0. */
export async function waitForMember(patroni: PatroniClient, timeoutMs: number, intervalMs: number): Promise<MemberStatus | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await memberStatus(patroni);
    if (status !== undefined && isStarted(status.state)) return status;
    if (Date.now() + intervalMs > deadline) return undefined;
    await sleep(intervalMs);
  }
}

/**
 * States Patroni passes through while it brings PostgreSQL (back) up on its own: a restart, or
 * the demotion of a primary after a switchover. Seconds, usually; and nothing may tell the charm
 * when they end (Pebble's ready check does not fail over so short a gap).
 */
const COMING_UP_STATES: ReadonlySet<string> = new Set(['starting', 'stopping', 'stopped', 'restarting', 'restarting after failure']);

export const memberStartedStep = step({
  name: 'member',
  retryMessage: MESSAGES.memberNotStarted,
  requires: ['event', 'serviceStarted', 'tlsReloaded'],
  provides: ['member'],
  async run(deps: Pick<HandlerDeps, 'patroni' | 'timing'>, { event, serviceStarted, tlsReloaded }) {
    const patroni = (await deps.patroni()).withRetryPolicies({ read: NO_RETRY });
    const first = await memberStatus(patroni);
    const comingUp = first !== undefined && COMING_UP_STATES.has(first.state);
    const patient = serviceStarted || tlsReloaded || event.kind === 'pebble-ready' || comingUp;
    const timeoutMs = patient ? deps.timing.memberStartTimeoutMs : 0;
    // The first look is already taken: poll on only when there is time to wait.
    const started = first !== undefined && isStarted(first.state) ? first : undefined;
    const member = started ?? (timeoutMs > 0 ? await waitForMember(patroni, timeoutMs, deps.timing.pollIntervalMs) : undefined);
    if (member === undefined) return halt(waiting(event.kind === 'pebble-ready' ? MESSAGES.clusterNotStarted : MESSAGES.memberNotStarted));
    return next({ member });
  },
});
