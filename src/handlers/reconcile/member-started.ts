/**
 * Step f: is this member's Patroni up with PostgreSQL running (a replica still "starting" is
 * copying or replaying and serves nothing yet)? When this hook has
 * just started Patroni (or the container just came up) it waits a bounded time, since a member
 * is usually up within seconds; otherwise one look. A member still down halts the reconcile in
 * Waiting; Pebble's ready check on Patroni's /health fires pebble-check-recovered when it comes
 * up, and that hook (or update-status at the latest) carries on.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isStarted, NO_RETRY, type MemberStatus, type PatroniClient } from '../../patroni/index.ts';
import { DONE, MESSAGES, waiting } from './outcome.ts';
import type { ReconcileStep } from './step.ts';

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

export const memberStartedStep: ReconcileStep = {
  name: 'member',
  retryMessage: MESSAGES.memberNotStarted,
  async run(charm, state) {
    const patroni = (await charm.patroni()).withRetryPolicies({ read: NO_RETRY });
    const patient = state.serviceStarted === true || state.event.kind === 'pebble-ready';
    const timeoutMs = patient ? charm.timing.memberStartTimeoutMs : 0;
    const member = await waitForMember(patroni, timeoutMs, charm.timing.pollIntervalMs);
    if (member === undefined) {
      const message = state.event.kind === 'pebble-ready' ? MESSAGES.clusterNotStarted : MESSAGES.memberNotStarted;
      return waiting(message, { halt: true });
    }
    state.member = member;
    return DONE;
  },
};
