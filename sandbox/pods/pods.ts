import { rm } from 'node:fs/promises';
import { createLogger } from '../../src/logging.ts';
import { PodError } from './errors.ts';
import { updateHosts } from './hosts-file.ts';
import { NAMESPACE_KINDS, normaliseTarget, nsFile, pidNsFile, podDir, podSourcePath } from './layout.ts';
import { mountsUnder, unmountAllUnder } from './mounts.ts';
import { appOfPod, assertPodName, netnsName, shmSource, vethName } from './names.ts';
import { attachPodNetwork, deleteLink, deleteNetns, ensureSandboxNetwork } from './network.ts';
import { ensurePodPidNamespace } from './pid-namespace.ts';
import { createPodNamespaces, DEFAULT_POD_PATHS, SANDBOX_CODE_ROOT, setUpPodFilesystem } from './pod-filesystem.ts';
import { killProcesses } from './pod-processes.ts';
import { listPodRecords, readPodRecord, writePodRecord, type Pod } from './records.ts';
import { parseSubnet, podAddress } from './subnet.ts';
import { mountPodVolumes, unmountPodVolumes } from './volumes.ts';

const log = createLogger({ base: { component: 'sandbox-pods' } });

export interface CreatePodOptions {
  sandboxId: string;
  /** Pod name, `<app>-<unit number>` (e.g. `postgresql-k8s-0`); also the pod's hostname. */
  name: string;
  /** Sandbox-wide slot: the pod gets address `.10 + index`. Two pods may not share one. */
  index: number;
  /** Absolute sandbox state dir; the pod layer keeps its state in `<stateDir>/pods/`. */
  stateDir: string;
  /** Paths the pod gets its own directory at; default `DEFAULT_POD_PATHS`. */
  paths?: readonly string[];
  /**
   * Host directories kept visible inside the pod when a pod path hides where they live (the
   * state dir always is); default the sandbox's own code, which pods run.
   */
  hostPaths?: readonly string[];
  /** Of `paths`, those that get a size-limited filesystem of their own, as a PVC (volumes.ts). */
  volumes?: readonly string[];
  /** Application for the DNS names; default: the pod name without its `-<n>` suffix. */
  app?: string;
  /** Kubernetes namespace (model) for the DNS names; default: the sandbox network's. */
  namespace?: string;
  /** Sandbox subnet, used when this call creates the sandbox network. */
  subnet?: string;
}

/**
 * Make a pod: its own network namespace on the sandbox bridge, mount/UTS/IPC namespaces with
 * per-pod directories at `paths`, its hostname and the sandbox /etc/hosts, and a PID namespace
 * with its own init and /proc. On failure whatever
 * was made is removed again.
 */
export async function createPod(options: CreatePodOptions): Promise<Pod> {
  const started = performance.now();
  assertPodName(options.name);
  const paths = [...new Set((options.paths ?? DEFAULT_POD_PATHS).map(normaliseTarget))];
  const volumes = [...new Set((options.volumes ?? []).map(normaliseTarget))];
  const notPaths = volumes.filter((v) => !paths.includes(v));
  if (notPaths.length > 0) throw new PodError('pod-invalid-spec', `volumes ${notPaths.join(', ')} are not among the pod's paths`);
  const network = await ensureSandboxNetwork({
    sandboxId: options.sandboxId,
    stateDir: options.stateDir,
    ...(options.subnet === undefined ? {} : { subnet: options.subnet }),
  });
  if (network.sandboxId !== options.sandboxId) {
    throw new PodError('pod-invalid-spec', `${options.stateDir} belongs to sandbox ${network.sandboxId}`);
  }
  if (await readPodRecord(options.stateDir, options.name)) {
    throw new PodError('pod-exists', `pod ${options.name} already exists`);
  }
  const clash = (await listPodRecords(options.stateDir)).find((p) => p.index === options.index);
  if (clash) {
    throw new PodError('pod-address-in-use', `pod ${clash.name} already has index ${options.index}`);
  }
  const pod: Pod = {
    sandboxId: options.sandboxId,
    stateDir: options.stateDir,
    name: options.name,
    index: options.index,
    app: options.app ?? appOfPod(options.name),
    namespace: options.namespace ?? network.namespace,
    ip: podAddress(parseSubnet(network.subnet), options.index),
    prefixLength: network.prefixLength,
    netns: netnsName(options.sandboxId, options.name),
    veth: vethName(options.sandboxId, options.index),
    nsFiles: {
      mnt: nsFile(options.stateDir, options.name, 'mnt'),
      uts: nsFile(options.stateDir, options.name, 'uts'),
      ipc: nsFile(options.stateDir, options.name, 'ipc'),
      pid: pidNsFile(options.stateDir, options.name),
    },
    paths,
    hostPaths: [...(options.hostPaths ?? [SANDBOX_CODE_ROOT])],
    volumes,
    createdAt: new Date().toISOString(),
  };
  // The record goes first, so a crash from here on leaves something destroyPod can work from.
  await writePodRecord(pod);
  try {
    await attachPodNetwork({ ...pod, bridge: network.bridge });
    // Before the mount namespace: its copy of the host's mounts carries the volumes.
    await mountPodVolumes(pod);
    await createPodNamespaces(pod);
    await updateHosts(pod.stateDir);
    await setUpPodFilesystem(pod);
    await ensurePodPidNamespace(pod);
  } catch (error) {
    await destroyPod(pod).catch((cleanup: unknown) =>
      log.warn({ pod: pod.name, err: cleanup }, 'could not undo a failed pod creation'),
    );
    throw error;
  }
  log.debug({ pod: pod.name, ip: pod.ip, ms: Math.round(performance.now() - started) }, 'pod created');
  return pod;
}

/**
 * Remove a pod: kill everything running in it, release its namespaces, delete its netns and veth
 * and its state, and drop it from the other pods' /etc/hosts. Safe to repeat.
 */
export async function destroyPod(pod: Pod): Promise<void> {
  const started = performance.now();
  const nsFiles = [...NAMESPACE_KINDS.map((kind) => pod.nsFiles[kind]), ...(pod.nsFiles.pid === undefined ? [] : [pod.nsFiles.pid])];
  await killProcesses({
    nsFiles: [`/run/netns/${pod.netns}`, ...nsFiles],
    shmSource: { exact: shmSource(pod.sandboxId, pod.name) },
  });
  for (const file of nsFiles) await unmountAllUnder(file);
  await deleteNetns(pod.netns);
  await deleteLink(pod.veth);
  await unmountPodVolumes(pod);
  const dir = podDir(pod.stateDir, pod.name);
  const stuck = await mountsUnder(dir);
  if (stuck.length > 0) {
    // never rm -rf through a mount: it would delete what the mount shows, not our state
    throw new PodError('pod-command-failed', `mounts remain under ${dir}: ${stuck.join(', ')}`);
  }
  await rm(dir, { recursive: true, force: true });
  for (const file of nsFiles) await rm(file, { force: true });
  await updateHosts(pod.stateDir);
  log.debug({ pod: pod.name, ms: Math.round(performance.now() - started) }, 'pod destroyed');
}

/** The pod called `name`, as recorded by the process that created it. */
export async function loadPod(stateDir: string, name: string): Promise<Pod> {
  const pod = await readPodRecord(stateDir, name);
  if (!pod) throw new PodError('pod-not-found', `no pod ${name} in ${stateDir}`);
  return pod;
}

/** Every pod of the sandbox, by index. */
export async function listPods(stateDir: string): Promise<Pod[]> {
  return listPodRecords(stateDir);
}

/** The host directory behind `target` in the pod (e.g. to read a pod's logs from outside). */
export function podPath(pod: Pick<Pod, 'stateDir' | 'name' | 'paths'>, target: string): string {
  const mount = pod.paths.find((p) => target === p || target.startsWith(`${p}/`));
  if (mount === undefined) {
    throw new PodError('pod-unsafe-path', `${target} is not under a per-pod path of ${pod.name}`);
  }
  return podSourcePath(pod.stateDir, pod.name, target);
}

/** The lowest index no pod of the sandbox uses. */
export async function nextFreeIndex(stateDir: string): Promise<number> {
  const used = new Set((await listPodRecords(stateDir)).map((p) => p.index));
  let index = 0;
  while (used.has(index)) index++;
  return index;
}

