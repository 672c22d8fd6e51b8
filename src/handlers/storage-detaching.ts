/**
 * pgdata-storage-detaching: Juju is about to take this unit's data away (scale-down, removal).
 * If this member is the primary and the rest of the cluster is healthy, hand the primary role to
 * the synchronous standby first (Patroni picks it when no candidate is named) and wait until the
 * new primary is in place, so writes move over cleanly instead of waiting out the leader key's
 * TTL. Otherwise there is nothing to hand over (a replica), or Patroni's own failover will do it.
 * Failures are logged, not raised: failing the hook would not keep the storage.
 */
import type { CharmContext } from '../charm-context.ts';
import { allMembersReady, PatroniApiError, PatroniUnreachableError, primaryOf, SwitchoverFailedError, type ClusterStatus } from '../patroni/index.ts';
import { podName } from '../workload/index.ts';

/** Whether this member should hand over before its storage goes. */
export function shouldSwitchOver(cluster: ClusterStatus, self: string): { switchOver: boolean; reason: string } {
  if (primaryOf(cluster) !== self) return { switchOver: false, reason: 'not the primary' };
  if (cluster.members.length < 2) return { switchOver: false, reason: 'no other member to take over' };
  if (!allMembersReady(cluster)) return { switchOver: false, reason: 'not every member is ready; Patroni will fail over' };
  return { switchOver: true, reason: 'primary with healthy replicas' };
}

function isPatroniFailure(error: unknown): boolean {
  return error instanceof PatroniUnreachableError || error instanceof PatroniApiError || error instanceof SwitchoverFailedError;
}

export async function onPgdataStorageDetaching(charm: CharmContext): Promise<void> {
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
  if (!decision.switchOver) return;
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
