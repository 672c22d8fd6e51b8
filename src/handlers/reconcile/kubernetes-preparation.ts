/**
 * What Kubernetes needs before Patroni starts (the reference charm's
 * `PostgresqlOperatorCharm._initialize_cluster` and `_create_services` in src/charm.py): the pod
 * labels Patroni selects its members by, the primary/replicas Services, and — on the leader's
 * very first start — no Patroni objects left behind by an earlier deployment of the same name.
 * A 403 blocks with the `juju trust` hint until trust is granted; the next reconcile retries.
 */
import { insufficientPermissionsMessage, type KubernetesOutcome } from '../../clients/kubernetes-objects.ts';
import type { HandlerDeps } from '../deps.ts';
import { blocked, waiting, type StepReport } from './outcome.ts';

export const KUBERNETES_API_MESSAGE = 'waiting for the Kubernetes API';

type Deps = Pick<HandlerDeps, 'kubernetes' | 'unitName' | 'appName' | 'logger'>;

/** The status a failed Kubernetes call leads to, or undefined when it succeeded. */
export function kubernetesReport(deps: Pick<Deps, 'appName' | 'logger'>, result: KubernetesOutcome, what: string): StepReport | undefined {
  if (result.kind === 'done') return undefined;
  deps.logger.warn({ kind: result.kind, err: result.kind === 'failed' ? result.cause : undefined }, `${what}: ${result.message}`);
  if (result.kind === 'forbidden') return blocked(insufficientPermissionsMessage(deps.appName));
  return waiting(KUBERNETES_API_MESSAGE);
}

/** Returns the status that must halt the reconcile, or undefined when Kubernetes is ready. */
export async function prepareKubernetes(
  deps: Deps,
  options: { isLeader: boolean; initialised: boolean; firstStart: boolean; leaderLabel: string },
): Promise<StepReport | undefined> {
  const kubernetes = await deps.kubernetes();
  if (!kubernetes.onKubernetes) return undefined;
  const calls: Array<[string, () => Promise<KubernetesOutcome>]> = [['patching the pod labels', () => kubernetes.patchPodLabels(deps.unitName)]];
  if (options.isLeader) {
    if (options.firstStart && !options.initialised) calls.push(['deleting stale Patroni objects', () => kubernetes.deleteStalePatroniObjects()]);
    calls.push(['creating the primary and replicas services', () => kubernetes.ensureRoleServices(options.leaderLabel)]);
  }
  for (const [what, call] of calls) {
    const report = kubernetesReport(deps, await call(), what);
    if (report !== undefined) return report;
  }
  return undefined;
}
