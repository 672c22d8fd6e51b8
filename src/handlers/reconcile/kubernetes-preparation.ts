/**
 * What Kubernetes needs before Patroni starts (reference `_initialize_cluster`, `_fix_pod`): the
 * pod labels Patroni selects its members by, the primary/replicas Services, and — on the leader's
 * very first start — no Patroni objects left behind by an earlier deployment of the same name.
 * A 403 blocks with the `juju trust` hint until trust is granted; the next reconcile retries.
 */
import type { CharmContext } from '../../charm-context.ts';
import { insufficientPermissionsMessage, type KubernetesOutcome } from '../../clients/kubernetes-objects.ts';
import { blocked, DONE, waiting, type StepOutcome } from './outcome.ts';
import { isInitialised, type ReconcileState } from './state.ts';

export const KUBERNETES_API_MESSAGE = 'waiting for the Kubernetes API';

export function kubernetesOutcome(charm: CharmContext, result: KubernetesOutcome, what: string): StepOutcome {
  if (result.kind === 'done') return DONE;
  charm.logger.warn({ kind: result.kind, err: result.kind === 'failed' ? result.cause : undefined }, `${what}: ${result.message}`);
  if (result.kind === 'forbidden') return blocked(insufficientPermissionsMessage(charm.appName), { halt: true });
  return waiting(KUBERNETES_API_MESSAGE, { halt: true });
}

export async function prepareKubernetes(charm: CharmContext, state: ReconcileState, firstStart: boolean): Promise<StepOutcome> {
  const kubernetes = await charm.kubernetes();
  if (!kubernetes.onKubernetes) return DONE;
  const calls: Array<[string, () => Promise<KubernetesOutcome>]> = [['patching the pod labels', () => kubernetes.patchPodLabels(charm.unitName)]];
  if (state.isLeader) {
    if (firstStart && !isInitialised(state)) calls.push(['deleting stale Patroni objects', () => kubernetes.deleteStalePatroniObjects()]);
    calls.push(['creating the primary and replicas services', () => kubernetes.ensureRoleServices()]);
  }
  for (const [what, call] of calls) {
    const outcome = kubernetesOutcome(charm, await call(), what);
    if (outcome.kind !== 'done') return outcome;
  }
  return DONE;
}
