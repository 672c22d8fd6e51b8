import * as z from 'zod/mini';
import '../zod-setup.ts';
import type { ActionEvent } from '../juju/events.ts';
import {
  findMember,
  memberNameToUnitName,
  PatroniUnreachableError,
  primaryOf,
  SwitchoverNotSyncError,
  syncStandbysOf,
  unitNameToMemberName,
  type ClusterStatus,
  type PatroniClient,
} from '../patroni/index.ts';
import { actionParams, ActionFailedError, runAction } from './common.ts';
import { readCluster, type PatroniActionDeps } from './get-primary.ts';

export type PromoteDeps = PatroniActionDeps;

export interface PromoteOptions {
  /** How long the new primary gets to show up in `/cluster` (default 60 s, as the reference). */
  timeoutMs?: number;
  /** Between two looks at `/cluster` once Patroni has answered (default 500 ms). */
  intervalMs?: number;
}

export const BAD_SCOPE_MESSAGE = 'Scope should be either cluster or unit';
/** The reference says "Suprerfluous"; we fix the typo (no known tooling matches this text). */
export const SUPERFLUOUS_FORCE_MESSAGE = 'Superfluous force flag with unit scope';
export const NOT_SYNC_STANDBY_MESSAGE = 'Unit is not sync standby';
export const SWITCHOVER_FAILED_MESSAGE = 'Switchover failed or timed out, check the logs for details';
export const CLUSTER_SCOPE_UNSUPPORTED_MESSAGE =
  'Promoting a cluster (scope=cluster) needs asynchronous replication between clusters, which this charm does not support yet; use scope=unit to make this unit the primary of its cluster';

// actions.yaml gives `scope` no default, so a missing scope is refused like a wrong one.
const paramsSchema = z.looseObject({ scope: z.optional(z.string()), force: z.optional(z.boolean()) });

/**
 * `promote-to-primary scope=unit`: a Patroni switchover to this unit. In synchronous mode
 * Patroni only hands over to a sync standby, so we check that first and, when this unit is not
 * one, name the unit that is instead of letting Patroni answer 412.
 *
 * The request goes to the current primary's REST API, as `patronictl switchover` sends it:
 * Patroni wakes the member that received it, so the primary starts to demote at once instead of
 * at its next loop (up to loop_wait later). Patroni answers once the new leader holds the key;
 * the action returns as soon as `/cluster` shows this unit as the primary. The unit's status
 * and its peers follow through Patroni's on_role_change notice (role-change-notifier.ts), whose
 * hook runs right after the action, not inside it.
 */
export async function promoteToPrimary(_event: ActionEvent, deps: PromoteDeps, options: PromoteOptions = {}): Promise<void> {
  await runAction(deps, async () => {
    const { scope, force } = await actionParams(deps.tools, paramsSchema);
    if (scope === 'cluster') throw new ActionFailedError(CLUSTER_SCOPE_UNSUPPORTED_MESSAGE, { code: 'unsupported' });
    if (scope !== 'unit') throw new ActionFailedError(BAD_SCOPE_MESSAGE, { code: 'invalid-action-params' });
    if (force === true) throw new ActionFailedError(SUPERFLUOUS_FORCE_MESSAGE, { code: 'invalid-action-params' });

    const patroni = await deps.patroni();
    const cluster = await readCluster(patroni);
    const me = unitNameToMemberName(deps.unitName);
    const primary = primaryOf(cluster);
    if (primary === me) {
      await deps.tools.actionLog(`${deps.unitName} is already the primary`);
      return;
    }
    if (primary === undefined) {
      throw new ActionFailedError('The cluster has no primary right now (it may be failing over): run the action again shortly', {
        code: 'no-primary',
      });
    }
    const syncStandbys = syncStandbysOf(cluster);
    if (!syncStandbys.includes(me)) throw new ActionFailedError(notSyncStandbyMessage(syncStandbys), { code: 'not-sync-standby' });

    deps.logger.info({ from: primary, to: me }, 'switching over');
    try {
      await switchoverThroughPrimary(patroni, cluster, { leader: primary, candidate: me }, deps);
    } catch (cause) {
      // Another member may have become the sync standby since we read the cluster.
      if (cause instanceof SwitchoverNotSyncError) throw new ActionFailedError(NOT_SYNC_STANDBY_MESSAGE, { cause, code: 'not-sync-standby' });
      throw new ActionFailedError(SWITCHOVER_FAILED_MESSAGE, { cause, code: 'switchover-failed' });
    }
    try {
      await patroni.waitForNewPrimary({ previous: primary, candidate: me, timeoutMs: options.timeoutMs ?? 60_000, intervalMs: options.intervalMs ?? 500 });
    } catch (cause) {
      throw new ActionFailedError(SWITCHOVER_FAILED_MESSAGE, { cause, code: 'switchover-failed' });
    }
    await deps.tools.actionLog(`${deps.unitName} is now the primary`);
  });
}

/**
 * POST /switchover to the primary's own API (its `api_url` in `/cluster`); when that member
 * cannot be reached, to this unit's, which Patroni accepts as well (the primary then acts at
 * its next loop).
 */
async function switchoverThroughPrimary(
  patroni: PatroniClient,
  cluster: ClusterStatus,
  request: { leader: string; candidate: string },
  deps: Pick<PromoteDeps, 'logger'>,
): Promise<void> {
  const origin = originOf(findMember(cluster, request.leader)?.api_url);
  if (origin === undefined || origin === patroni.url) {
    await patroni.switchover(request);
    return;
  }
  try {
    await patroni.forMember(origin).switchover(request);
  } catch (error) {
    if (!(error instanceof PatroniUnreachableError)) throw error;
    deps.logger.warn({ url: origin, reason: error.reason }, 'the primary\'s API is unreachable: asking this member to switch over');
    await patroni.switchover(request);
  }
}

function originOf(apiUrl: string | undefined): string | undefined {
  if (apiUrl === undefined || !URL.canParse(apiUrl)) return undefined;
  return new URL(apiUrl).origin;
}

/** The reference's message, followed by what to do instead. */
export function notSyncStandbyMessage(syncStandbys: readonly string[]): string {
  if (syncStandbys.length === 0) {
    return `${NOT_SYNC_STANDBY_MESSAGE}: the cluster has no sync standby right now; wait until a replica has caught up and run the action again`;
  }
  const units = syncStandbys.map(memberNameToUnitName);
  const which = units.length === 1 ? `the sync standby is ${units[0]}` : `the sync standbys are ${units.join(', ')}`;
  return `${NOT_SYNC_STANDBY_MESSAGE}: ${which}; run the action on ${units.length === 1 ? 'that unit' : 'one of them'}`;
}
