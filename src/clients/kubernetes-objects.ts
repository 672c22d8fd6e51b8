/**
 * The Kubernetes objects the lifecycle needs (the reference charm's `_create_services` and
 * `_patch_pod_labels` in src/charm.py; docs/upstream-charm.md), as an interface: the handlers
 * call it, `src/k8s/` implements it against the API, and where there is no Kubernetes API (the
 * sandbox's etcd3 DCS, a VM) the no-op implementation below stands in.
 *
 * Every call returns an outcome instead of throwing for the failures the charm reacts to: a 403
 * (`forbidden`, the application was deployed without `juju trust`) blocks the unit with the
 * reference's message and is re-checked on the next reconcile; anything else is `failed` and
 * retried later.
 */

export type KubernetesOutcome =
  | { readonly kind: 'done' }
  | { readonly kind: 'forbidden'; readonly message: string }
  | { readonly kind: 'failed'; readonly message: string; readonly cause?: unknown };

export interface KubernetesObjects {
  /** False where there is no Kubernetes API: every call below is then a successful no-op. */
  readonly onKubernetes: boolean;
  /** Label this unit's pod `application=patroni`, `cluster-name=patroni-<app>` (before Patroni starts). */
  patchPodLabels(unitName: string): Promise<KubernetesOutcome>;
  /** Server-side apply `<app>-primary` and `<app>-replicas` (leader). */
  ensureRoleServices(leaderLabel?: string): Promise<KubernetesOutcome>;
  /** Delete Patroni's `patroni-<app>[-config|-sync]` objects left by an earlier deployment (leader, before bootstrap). */
  deleteStalePatroniObjects(): Promise<KubernetesOutcome>;
  /** Give the objects the charm and Patroni created pod-0's owner references, so they go with the StatefulSet (stop). */
  adoptCreatedObjects(): Promise<KubernetesOutcome>;
}

export const KUBERNETES_DONE: KubernetesOutcome = Object.freeze({ kind: 'done' });

/** Where Patroni keeps its state in etcd there is nothing to create: every call succeeds at once. */
export const NOT_ON_KUBERNETES: KubernetesObjects = Object.freeze({
  onKubernetes: false,
  patchPodLabels: async () => KUBERNETES_DONE,
  ensureRoleServices: async () => KUBERNETES_DONE,
  deleteStalePatroniObjects: async () => KUBERNETES_DONE,
  adoptCreatedObjects: async () => KUBERNETES_DONE,
});

/** The reference's Blocked message for a 403 from the Kubernetes API. */
export function insufficientPermissionsMessage(app: string): string {
  return `Insufficient permissions, try: \`juju trust ${app} --scope=cluster\``;
}
