import type { KubernetesContext } from '../clients/factories.ts';
import {
  insufficientPermissionsMessage,
  KUBERNETES_DONE,
  NOT_ON_KUBERNETES,
  type KubernetesObjects as LifecycleKubernetesObjects,
  type KubernetesOutcome,
} from '../clients/kubernetes-objects.ts';
import { errorMessage } from '../errors.ts';
import { podName } from '../workload/names.ts';
import { KubernetesClient, type KubernetesClientOptions } from './client.ts';
import type { InClusterOptions } from './config.ts';
import { KubernetesForbiddenError } from './errors.ts';
import { KubernetesObjects } from './objects.ts';

/**
 * The lifecycle's `KubernetesObjects` (src/clients/kubernetes-objects.ts) implemented with this
 * client: the `kubernetes` client factory of the composition root. Errors become outcomes: a
 * 403 is `forbidden` with the reference's Blocked message, anything else `failed`.
 */
export function kubernetesObjectsForCharm(
  context: KubernetesContext,
  options: InClusterOptions & KubernetesClientOptions = {},
): LifecycleKubernetesObjects {
  if (context.dcs?.kind !== 'kubernetes') return NOT_ON_KUBERNETES;
  let objects: Promise<KubernetesObjects> | undefined;
  // The service account is read on first use, so a hook that touches no object never reads it.
  const connect = () =>
    (objects ??= KubernetesClient.inCluster({ logger: context.logger, ...options }).then(
      (client) => new KubernetesObjects(client, { app: context.app, logger: context.logger }),
    ));
  const run = async (operation: (k8s: KubernetesObjects) => Promise<KubernetesOutcome | void>): Promise<KubernetesOutcome> => {
    try {
      return (await operation(await connect())) ?? KUBERNETES_DONE;
    } catch (error) {
      if (error instanceof KubernetesForbiddenError) return { kind: 'forbidden', message: insufficientPermissionsMessage(context.app) };
      return { kind: 'failed', message: errorMessage(error), cause: error };
    }
  };
  return {
    onKubernetes: true,
    patchPodLabels: (unitName) => run((k8s) => k8s.patchPodLabels(podName(unitName))),
    ensureRoleServices: (leaderLabel) => run((k8s) => k8s.ensureRoleServices(leaderLabel)),
    deleteStalePatroniObjects: () => run(async (k8s) => void (await k8s.deletePatroniDcsObjects())),
    adoptCreatedObjects: () =>
      run(async (k8s) => {
        const { failed } = await k8s.adoptCreatedObjects();
        return failed.length === 0 ? undefined : { kind: 'failed', message: `failed to patch k8s ${failed.join(', ')}` };
      }),
  };
}
