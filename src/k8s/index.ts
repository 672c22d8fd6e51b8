/** A minimal Kubernetes API client for the pod's service account, and the charm's K8s operations. */
export * from './client.ts';
export * from './config.ts';
export * from './errors.ts';
export { APPLY_PATCH, DEFAULT_KUBERNETES_TIMEOUT_MS, MERGE_PATCH } from './http.ts';
export * from './objects.ts';
export { kubeObjectSchema, labelSelector, resourcePath, type KubeObject, type NamespacedKind, type ResourceKind } from './resources.ts';
