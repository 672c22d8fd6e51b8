/**
 * The ClusterIP Service pgbouncer-k8s applies for its clients, `<app>-service`, selecting the
 * application's pods on the listen port and owned like its pod (canonical/pgbouncer-k8s-operator:
 * src/charm.py `reconcile_k8s_service` with expose-external "false"). Needs `juju trust`.
 */
import { KubernetesClient, KubernetesForbiddenError } from '../../../../src/k8s/index.ts';
import { serviceName } from './names.ts';

export type ServiceOutcome = { kind: 'done' } | { kind: 'forbidden' } | { kind: 'no-api' } | { kind: 'failed'; message: string };

export function serviceManifest(app: string, namespace: string, port: number, ownerReferences: unknown[]): {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; ownerReferences: unknown[]; labels: Record<string, string> };
  spec: unknown;
} {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: serviceName(app), namespace, ownerReferences, labels: { 'app.kubernetes.io/name': app } },
    spec: {
      type: 'ClusterIP',
      selector: { 'app.kubernetes.io/name': app },
      ports: [{ name: 'pgbouncer', port, targetPort: port }],
    },
  };
}

export async function ensureClientService(options: { app: string; unitName: string; port: number; env?: NodeJS.ProcessEnv }): Promise<ServiceOutcome> {
  if (!(options.env ?? process.env)['KUBERNETES_SERVICE_HOST']) return { kind: 'no-api' };
  try {
    const client = await KubernetesClient.inCluster();
    const pod = await client.get('Pod', options.unitName.replace('/', '-'));
    const owners = (pod.metadata as { ownerReferences?: unknown[] } | undefined)?.ownerReferences ?? [];
    await client.apply(serviceManifest(options.app, client.namespace, options.port, owners), { fieldManager: options.app, force: true });
    return { kind: 'done' };
  } catch (error) {
    if (error instanceof KubernetesForbiddenError) return { kind: 'forbidden' };
    return { kind: 'failed', message: error instanceof Error ? error.message : String(error) };
  }
}
