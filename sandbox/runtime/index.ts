/**
 * The sandbox's wiring: units as pods with their Pebbles (PodRuntime, PebbleProbe), the control
 * plane's etcd, charm directories, the daemon process and the teardown. The CLI builds on these.
 */
export { SandboxError, type SandboxErrorCode } from './errors.ts';
export { defaultStateDir, podNameOf, REPO_ROOT, SandboxPaths, unitOfPod } from './paths.ts';
export { newSettings, readSettings, requireSettings, type SandboxSettings, writeSettings } from './settings.ts';
export { PebbleProbe, PodRuntime, type PodRuntimeOptions } from './pod-runtime.ts';
export { PebbleProcess } from './pebble-process.ts';
export { KUBELET_BACKOFF, PebbleSupervisor, type RestartBackoff } from './pebble-supervisor.ts';
export { JUJU_STORAGE_ROOT, storageLocations } from './storage.ts';
export { ensureEtcd, findEtcd, stopEtcd, type EtcdHandle } from './etcd.ts';
export { buildCharm, hasBuiltCharm, newerSources, prepareCharm, type PreparedCharm } from './charm-dir.ts';
export { connectOrStart, findDaemon, stopDaemon, tryConnect } from './daemon-process.ts';
export { destroyEverything, type TeardownReport } from './teardown.ts';
