/**
 * stop. On Kubernetes Juju runs it while the pod is being deleted; the kubelet sends SIGTERM to
 * the workload container at the same time, and Pebble stops Patroni with SIGTERM, which makes
 * Patroni shut PostgreSQL down (fast mode: a final checkpoint) and release its leader key, so a
 * synchronous standby is promoted without waiting out the TTL. Nothing is lost either way:
 * commits are flushed locally (fsync) and acknowledged by a synchronous standby before the client
 * sees them. So the charm does not stop the workload itself; it only
 *  - lets the objects the charm and Patroni created be garbage-collected with the StatefulSet
 *    (Kubernetes DCS; a no-op elsewhere), and
 *  - when the application is being scaled to zero, clears its unit peer data so a later
 *    scale-up does not read stale flags.
 */
import type { HandlerDeps } from './deps.ts';

type Deps = Pick<HandlerDeps, 'unitName' | 'tools' | 'peers' | 'kubernetes' | 'logger'>;

async function clearUnitPeerData(charm: Deps): Promise<void> {
  const relation = await charm.peers.relation();
  if (relation === undefined) return;
  const bag = await charm.tools.relationGet(relation, { unit: charm.unitName });
  const cleared = Object.fromEntries(Object.keys(bag).map((key) => [key, '']));
  await charm.tools.relationSet(relation, cleared);
  charm.logger.info({ keys: Object.keys(cleared).length }, 'cleared unit peer data: the application is scaled to zero');
}

export async function onStop(charm: Deps): Promise<void> {
  const goal = await charm.tools.goalState();
  const alive = Object.values(goal.units).filter((unit) => unit.status !== 'dying').length;
  if (alive === 0) await clearUnitPeerData(charm);
  const result = await (await charm.kubernetes()).adoptCreatedObjects();
  if (result.kind !== 'done') charm.logger.warn({ kind: result.kind }, `could not hand Kubernetes objects to the StatefulSet: ${result.message}`);
}
