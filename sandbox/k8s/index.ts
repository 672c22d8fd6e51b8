/** The sandbox's Kubernetes API stand-in (see sandbox/README.md, "Kubernetes API stand-in"). */
export { KubeApiServer, KUBERNETES_VERSION, statefulSetOwner, type KubeApiServerOptions, type PodRegistration } from './server.ts';
export { KubeStore, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH, type StoreEvent } from './store.ts';
export { Authorizer, type Identity, type Verb } from './auth.ts';
export { ApiStatusError, KubeStandInError, type KubeStatus, type StatusReason } from './errors.ts';
export { parseLabelSelector, matchesLabels, parseFieldSelector } from './selectors.ts';
export { mergePatch, strategicMergePatch } from './patch.ts';
export { makeCa, makeServerCertificate, API_SERVER_DNS_NAMES } from './tls.ts';
