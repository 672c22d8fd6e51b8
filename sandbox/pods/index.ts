/**
 * Units as pods: each sandbox unit gets what a Kubernetes pod gives it (its own IP and hostname,
 * its own /var/lib/postgresql/data and friends, the cluster's DNS names) on one Linux machine,
 * with network, mount, UTS, IPC and PID namespaces on a per-sandbox bridge.
 */
export { PodError, type PodErrorCode } from './errors.ts';
export { DEFAULT_SUBNET } from './subnet.ts';
export { ensureSandboxNetwork, type SandboxNetworkOptions } from './network.ts';
export { DEFAULT_POD_PATHS, SANDBOX_CODE_ROOT } from './pod-filesystem.ts';
export { createPod, destroyPod, listPods, loadPod, nextFreeIndex, podPath, type CreatePodOptions } from './pods.ts';
export { execInPod, nsenterArgs, runInPod, type PodExecOptions, type PodExecResult, type PodRunOptions } from './exec.ts';
export { ensurePodPidNamespace, podInitPid, programPid, POD_INIT_SCRIPT } from './pid-namespace.ts';
export { renderHosts, updateHosts, type HostsEntry } from './hosts-file.ts';
export { destroySandbox } from './teardown.ts';
export { isClean, listLeftovers, type Leftovers } from './leftovers.ts';
export { bridgeName, namePrefix, podDnsNames } from './names.ts';
export type { NetworkRecord, Pod } from './records.ts';
