/**
 * Parameters such as max_connections take effect only after a PostgreSQL
 * restart; Patroni marks each member `pending_restart`. Each unit restarts its own member, under
 * one rule that needs no lock because every unit derives the same order from the same `/cluster`
 * snapshot:
 *
 *  1. nothing happens while any other member is not running (one restart at a time, and never
 *     while the cluster is already short of a member);
 *  2. replicas go first, in unit-number order: a replica waits while a lower-numbered replica is
 *     still pending (that one restarts, comes back running and no longer pending, then the next);
 *  3. the primary goes last, once no other member is pending — restarting in place, as the
 *     reference's rolling restart does.
 *
 * Two units can never pass the rule at once: of the pending members only one is "first", and
 * while it restarts it is not running, which stops everyone else by rule 1. A unit that has to
 * wait shows Waiting; its next hook (update-status at the latest) asks again.
 */
import { errorCode } from '../../errors.ts';
import { isStarted, memberNameToUnitName, NO_RETRY, type ClusterMember, type ClusterStatus, type PatroniClient } from '../../patroni/index.ts';
import { podName } from '../../workload/index.ts';
import type { HandlerDeps } from '../deps.ts';
import { isInitialised } from './facts.ts';
import { MESSAGES, waiting } from './outcome.ts';
import { proceed, step } from './pipeline.ts';
import { isTransientFailure } from './transient.ts';

export const CLUSTER_UNREADABLE_MESSAGE = 'waiting for Patroni to report the cluster';

export interface RestartCandidate {
  readonly name: string;
  readonly role: string;
  readonly state: string;
  readonly pendingRestart: boolean;
}

export type RestartDecision = { readonly kind: 'none' } | { readonly kind: 'restart' } | { readonly kind: 'wait'; readonly reason: string };

function isLeaderRole(role: string): boolean {
  return role === 'leader' || role === 'standby_leader';
}

function unitNumber(memberName: string): number {
  const number = Number(memberNameToUnitName(memberName).split('/')[1]);
  return Number.isInteger(number) ? number : Number.POSITIVE_INFINITY;
}

export function restartDecision(self: string, members: readonly RestartCandidate[]): RestartDecision {
  const me = members.find((member) => member.name === self);
  if (me === undefined || !me.pendingRestart || !isStarted(me.state)) return { kind: 'none' };
  const others = members.filter((member) => member.name !== self);
  const notRunning = others.find((member) => !isStarted(member.state));
  if (notRunning !== undefined) return { kind: 'wait', reason: `${notRunning.name} is not running` };
  const pendingOthers = others.filter((member) => member.pendingRestart);
  if (isLeaderRole(me.role)) {
    return pendingOthers.length === 0 ? { kind: 'restart' } : { kind: 'wait', reason: 'the replicas restart first' };
  }
  const earlier = pendingOthers
    .filter((member) => !isLeaderRole(member.role) && unitNumber(member.name) < unitNumber(self))
    .sort((a, b) => unitNumber(a.name) - unitNumber(b.name))[0];
  return earlier === undefined ? { kind: 'restart' } : { kind: 'wait', reason: `${earlier.name} restarts first` };
}

/** `/cluster` carries each member's `pending_restart` (Patroni copies it from the member key). */
export function restartCandidate(member: ClusterMember): RestartCandidate {
  return { name: member.name, role: member.role, state: member.state, pendingRestart: member['pending_restart'] === true };
}

/** One short look per member: a frozen or cut-off peer still listed as running must not hold up every hook. */
const PENDING_RESTART_LOOK_MS = 3_000;

/**
 * Patroni 3.0.2's /cluster leaves pending_restart out (found in the sandbox: a restart-only
 * parameter never got applied); each member's own /patroni has it. Ask the member then, once
 * and briefly (with retries, a frozen primary's peers waited 32 s in every reconcile, so the
 * new primary showed "Primary" half a minute after it took writes).
 */
async function withPendingRestart(patroni: PatroniClient, member: ClusterMember): Promise<RestartCandidate> {
  const candidate = restartCandidate(member);
  if (member['pending_restart'] !== undefined || member.api_url === undefined || !isStarted(member.state)) return candidate;
  try {
    const own = await patroni.forMember(member.api_url.replace(/\/patroni$/, '')).withRetryPolicies({ read: NO_RETRY }).withTimeout(PENDING_RESTART_LOOK_MS).patroni();
    return { ...candidate, pendingRestart: own.pending_restart === true };
  } catch {
    return candidate;
  }
}

export const restartStep = step({
  name: 'restart',
  retryMessage: MESSAGES.awaitingRestart,
  requires: ['app', 'member'],
  provides: [],
  async run(deps: Pick<HandlerDeps, 'unitName' | 'patroni' | 'cluster' | 'peers' | 'logger'>, { app }) {
    if (!isInitialised({ app })) return proceed();
    const patroni = await deps.patroni();
    let cluster: ClusterStatus;
    try {
      cluster = await deps.cluster.read();
    } catch (error) {
      // Not "Awaiting restart operation": nothing is known to be pending.
      if (!isTransientFailure(error)) throw error;
      deps.logger.warn({ code: errorCode(error) }, 'cannot read the cluster to check for pending restarts');
      return proceed(waiting(CLUSTER_UNREADABLE_MESSAGE));
    }
    const candidates = await Promise.all(cluster.members.map((member) => withPendingRestart(patroni, member)));
    const decision = restartDecision(podName(deps.unitName), candidates);
    if (decision.kind === 'none') return proceed();
    if (decision.kind === 'wait') {
      deps.logger.info({ reason: decision.reason }, 'PostgreSQL restart pending; waiting for its turn');
      return proceed(waiting(MESSAGES.awaitingRestart));
    }
    const result = await patroni.restart({ pendingOnly: true });
    deps.logger.info({ restarted: result.restarted, message: result.message }, 'restarted PostgreSQL for pending parameter changes');
    // The cluster view read above is stale now; the status reads a fresh one.
    deps.cluster.forget();
    // Members waiting for their turn only re-check on a hook: changing our peer bag gives each of
    // them relation-changed now instead of at the next update-status.
    if (result.restarted) await deps.peers.writeUnit({ 'postgresql-restarted-at': new Date().toISOString() });
    return proceed();
  },
});
