import * as z from 'zod/mini';
import '../zod-setup.ts';
import type { ActionEvent } from '../juju/events.ts';
import { memberNameToUnitName, primaryOf, SwitchoverNotSyncError, syncStandbysOf, unitNameToMemberName } from '../patroni/index.ts';
import { actionParams, ActionFailedError, runAction } from './common.ts';
import { readCluster, type PatroniActionDeps } from './get-primary.ts';

export interface PromoteDeps extends PatroniActionDeps {
  /** Run the unit's reconcile: its status shows "Primary" and its peers hear of the new role. */
  reconcile?(): Promise<void>;
}

export interface PromoteOptions {
  /** How long the new primary gets to show up in `/cluster` (default 60 s, as the reference). */
  timeoutMs?: number;
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
 * one, name the unit that is instead of letting Patroni answer 412. The action returns once
 * `/cluster` shows this unit as the primary.
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
      await patroni.switchover({ leader: primary, candidate: me });
    } catch (cause) {
      // Another member may have become the sync standby since we read the cluster.
      if (cause instanceof SwitchoverNotSyncError) throw new ActionFailedError(NOT_SYNC_STANDBY_MESSAGE, { cause, code: 'not-sync-standby' });
      throw new ActionFailedError(SWITCHOVER_FAILED_MESSAGE, { cause, code: 'switchover-failed' });
    }
    try {
      await patroni.waitForNewPrimary({ previous: primary, candidate: me, timeoutMs: options.timeoutMs ?? 60_000, intervalMs: options.intervalMs ?? 3_000 });
    } catch (cause) {
      throw new ActionFailedError(SWITCHOVER_FAILED_MESSAGE, { cause, code: 'switchover-failed' });
    }
    await deps.tools.actionLog(`${deps.unitName} is now the primary`);
    await refreshStatus(deps);
  });
}

/**
 * The switchover is done whatever happens here: a status that cannot be refreshed now is only
 * logged, and the next hook refreshes it.
 */
async function refreshStatus(deps: PromoteDeps): Promise<void> {
  try {
    await deps.reconcile?.();
  } catch (error) {
    deps.logger.warn({ err: error }, 'the unit status will follow at the next hook');
  }
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
