/**
 * pgdata-storage-detaching: Juju is about to take this unit's data away (scale-down, removal).
 * Before the member stops, it gets out of the way of writes:
 *  - the primary hands its role to the synchronous standby (Patroni picks it when no candidate
 *    is named) when the rest of the cluster is healthy, and waits for the new primary, so writes
 *    move over at once instead of waiting out the leader key's TTL;
 *  - a synchronous standby (which the old primary may just have become) re-renders patroni.yml
 *    with `nosync` and waits until the primary has chosen another standby, so commits never
 *    wait for a member that is going away; when no other replica runs to take the role, it
 *    turns strict mode off instead.
 * Failures are logged, not raised: failing the hook would not keep the storage.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CharmError } from '../errors.ts';
import { allMembersReady, isStarted, PatroniApiError, PatroniUnreachableError, primaryOf, SwitchoverFailedError, syncStandbysOf, type ClusterStatus } from '../patroni/index.ts';
import { podName } from '../workload/index.ts';
import type { HandlerDeps } from './deps.ts';

type Deps = Pick<HandlerDeps, 'unitName' | 'patroni' | 'timing' | 'logger'>;

/** Re-renders this unit's patroni.yml with `nosync` and reloads Patroni (the reconcile's workload steps). */
export type RefreshWithNoSync = () => Promise<void>;

/** Whether this member should hand over before its storage goes. */
export function shouldSwitchOver(cluster: ClusterStatus, self: string): { switchOver: boolean; reason: string } {
  if (primaryOf(cluster) !== self) return { switchOver: false, reason: 'not the primary' };
  if (cluster.members.length < 2) return { switchOver: false, reason: 'no other member to take over' };
  if (!allMembersReady(cluster)) return { switchOver: false, reason: 'not every member is ready; Patroni will fail over' };
  return { switchOver: true, reason: 'primary with healthy replicas' };
}

/**
 * Whether this member should give up its synchronous standby role before it goes. Any running
 * replica may be in the primary's synchronous_standby_names: `/cluster` shows the role only once
 * Patroni has confirmed it, some seconds after the primary already waits for it.
 */
export function shouldLeaveSyncSet(cluster: ClusterStatus, self: string): { leave: boolean; reason: string } {
  const me = cluster.members.find((m) => m.name === self);
  if (me === undefined || me.role === 'leader' || me.role === 'standby_leader' || !isStarted(me.state)) {
    return { leave: false, reason: 'not a running replica' };
  }
  const others = cluster.members.filter((m) => m.name !== self && m.role !== 'leader' && m.role !== 'standby_leader' && isStarted(m.state));
  if (others.length === 0) return { leave: false, reason: 'no other replica to take the role' };
  return { leave: true, reason: 'synchronous standby with another replica running' };
}

function isPatroniFailure(error: unknown): boolean {
  return error instanceof PatroniUnreachableError || error instanceof PatroniApiError || error instanceof SwitchoverFailedError;
}

export async function onPgdataStorageDetaching(charm: Deps, refreshWithNoSync: RefreshWithNoSync): Promise<void> {
  const self = podName(charm.unitName);
  const patroni = await charm.patroni();
  let cluster: ClusterStatus;
  try {
    cluster = await patroni.clusterFromAny();
  } catch (error) {
    if (!isPatroniFailure(error)) throw error;
    charm.logger.warn({ err: error }, 'cannot read the cluster before the storage goes');
    return;
  }
  const decision = shouldSwitchOver(cluster, self);
  charm.logger.info({ member: self, ...decision }, 'storage detaching');
  if (decision.switchOver) await switchOver(charm, self);
  await leaveSyncSet(charm, self, refreshWithNoSync);
}

async function switchOver(charm: Deps, self: string): Promise<void> {
  const patroni = await charm.patroni();
  try {
    const result = await patroni.switchover({ leader: self });
    const newPrimary = await patroni.waitForNewPrimary({
      previous: self,
      timeoutMs: charm.timing.switchoverTimeoutMs,
      intervalMs: charm.timing.pollIntervalMs,
    });
    charm.logger.info({ newPrimary, message: result.message }, 'handed the primary role over before detaching storage');
  } catch (error) {
    if (!isPatroniFailure(error)) throw error;
    charm.logger.error({ err: error }, 'switchover before detaching storage failed; Patroni will fail over');
  }
}

async function leaveSyncSet(charm: Deps, self: string, refreshWithNoSync: RefreshWithNoSync): Promise<void> {
  const patroni = await charm.patroni();
  try {
    const cluster = await patroni.clusterFromAny();
    const decision = shouldLeaveSyncSet(cluster, self);
    charm.logger.info({ member: self, ...decision }, 'synchronous standby role before detaching storage');
    if (!decision.leave) {
      if (decision.reason === 'no other replica to take the role' && (await relaxStrictMode(charm))) await oneHaLoop(charm);
      return;
    }
    await refreshWithNoSync();
    // The primary sees the tag at its next HA loop; only then can its choice be trusted.
    await oneHaLoop(charm);
    const deadline = Date.now() + charm.timing.switchoverTimeoutMs;
    while (syncStandbysOf(await patroni.clusterFromAny()).includes(self)) {
      if (Date.now() > deadline) {
        charm.logger.warn({ member: self }, 'still a synchronous standby; commits may wait until this member is gone');
        return;
      }
      await sleep(charm.timing.pollIntervalMs);
    }
    charm.logger.info({ member: self }, 'no longer a synchronous standby');
  } catch (error) {
    if (!isPatroniFailure(error) && !(error instanceof CharmError)) throw error;
    charm.logger.warn({ err: error }, 'could not give up the synchronous standby role before detaching storage');
  }
}

/**
 * The last synchronous standby is going and no replica can take its place: in strict mode every
 * commit would then wait until the leader lowers the settings for the smaller cluster (and that
 * leader may be this very unit, which runs no more reconciles). Strict mode is turned off now;
 * the leader turns it on again once Patroni has a synchronous standby (gateStrictMode).
 */
async function relaxStrictMode(charm: Deps): Promise<boolean> {
  const patroni = await charm.patroni();
  const current = await patroni.config();
  if (current.synchronous_mode_strict !== true) return false;
  await patroni.patchConfig({ synchronous_mode_strict: false });
  charm.logger.info('turned strict synchronous mode off: the last synchronous standby is going');
  return true;
}

/** Wait for the primary's next HA loop (Patroni's loop_wait, plus a second), bounded. */
async function oneHaLoop(charm: Deps): Promise<void> {
  const config = await (await charm.patroni()).config();
  const loopWaitMs = (typeof config.loop_wait === 'number' ? config.loop_wait : 10) * 1000 + 1000;
  await sleep(Math.min(loopWaitMs, charm.timing.switchoverTimeoutMs));
}
