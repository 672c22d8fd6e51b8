import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PodError } from './errors.ts';
import { hostsFile, isWithin, NAMESPACE_KINDS, nsDir, podSourcePath } from './layout.ts';
import { volumeDevice } from './volumes.ts';
import { isMountPoint, readMounts } from './mounts.ts';
import { shmSource } from './names.ts';
import type { Pod } from './records.ts';
import { runTool, tryTool } from './system.ts';

/**
 * What a PostgreSQL workload container has of its own on Kubernetes: the rock's paths
 * (src/workload/paths.ts) and the Pebble mount Juju adds (docs/hook-tools.md).
 */
export const DEFAULT_POD_PATHS: readonly string[] = [
  '/var/lib/postgresql/data',
  '/var/log/postgresql',
  '/var/lib/pgbackrest',
  '/var/log/pgbackrest',
  '/etc/patroni',
  // pgbackrest.conf (src/workload/paths.ts): each unit's holds its own S3 settings.
  '/etc/pgbackrest',
  // PostgreSQL's unix socket and its lock file (/var/run is a link to /run): shared, every pod's
  // postmaster would find another pod's lock and refuse to start.
  '/run/postgresql',
  '/charm/containers/postgresql',
  // The system trust store: the charm adds CAs there and runs update-ca-certificates (TLS), which
  // must change this pod's bundle, not the host's. Seeded with the host's bundle (SEEDED_PATHS).
  '/usr/local/share/ca-certificates',
  '/etc/ssl/certs',
  // Private as in any container: Patroni writes its pgpass to /tmp/pgpass, and a shared one let
  // one member's basebackup log in with another member's entry. A checkout or state dir under
  // /tmp (CI clones there) stays visible: see Pod.hostPaths.
  '/tmp',
];

/**
 * The sandbox's own code: pods run its tools (tsx, the Pebble stand-in) from the checkout, which
 * must stay reachable when a pod path (/tmp) hides the host's directory it lives in.
 */
export const SANDBOX_CODE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Pod paths that start as a copy of the host's (an image ships them filled). */
const SEEDED_PATHS = new Set(['/etc/ssl/certs']);

/** Pod paths every user may write to, as on a real system. */
const STICKY_PATHS = new Set(['/tmp', '/var/tmp', '/dev/shm']);

/** Kubernetes' default /dev/shm size for a pod. */
const SHM_SIZE = '64m';

/**
 * Create the pod's mount, UTS and IPC namespaces, kept alive by bind mounts of their nsfs files
 * under `pods/ns/` (so they outlive `unshare`). IPC is private as on Kubernetes, and so that
 * SysV segments of a killed PostgreSQL go away with the pod.
 */
export async function createPodNamespaces(pod: Pod): Promise<void> {
  await ensurePrivateNsDir(pod.stateDir);
  for (const kind of NAMESPACE_KINDS) {
    const file = pod.nsFiles[kind];
    if (await isMountPoint(file)) {
      throw new PodError('pod-exists', `namespace file ${file} is already in use`);
    }
    await writeFile(file, '');
  }
  await runTool('unshare', [
    `--mount=${pod.nsFiles.mnt}`,
    `--uts=${pod.nsFiles.uts}`,
    `--ipc=${pod.nsFiles.ipc}`,
    '--propagation',
    'private',
    'true',
  ]);
}

/**
 * Inside the pod's mount namespace: drop the namespace mounts copied from the host, mount the
 * per-pod directories, a private /dev/shm and the shared hosts file; then set the hostname.
 */
export async function setUpPodFilesystem(pod: Pod): Promise<void> {
  await dropCopiedNamespaceMounts(pod);
  const mounted: string[] = [];
  for (const target of orderedTargets(pod.paths)) {
    const source = podSourcePath(pod.stateDir, pod.name, target);
    await mkdir(source, { recursive: true });
    if (STICKY_PATHS.has(target)) await chmod(source, 0o1777);
    if (SEEDED_PATHS.has(target) && (await readdir(source)).length === 0) await tryTool('cp', ['-a', `${target}/.`, source]);
    // A mount point must exist: inside an earlier pod mount it is made in that pod's tree, on
    // the host it is created empty when missing (the host directory's content is never touched).
    await mkdir(whereTargetLives(pod, target, mounted), { recursive: true });
    await keepHostPathsVisible(pod, target, source);
    if (pod.volumes?.includes(target) === true) {
      // a volume (volumes.ts): its own filesystem, the device the host mounted for it
      await inPod(pod, ['mount', '-t', 'ext4', await volumeDevice(pod, target), target]);
    } else {
      // --rbind: carries along the state dir mount just made inside `source`
      await inPod(pod, ['mount', '--rbind', source, target]);
    }
    mounted.push(target);
  }
  await inPod(pod, ['mount', '-t', 'tmpfs', '-o', `mode=1777,size=${SHM_SIZE}`, shmSource(pod.sandboxId, pod.name), '/dev/shm']);
  await inPod(pod, ['mount', '--bind', hostsFile(pod.stateDir), '/etc/hosts']);
  await runTool('nsenter', [`--uts=${pod.nsFiles.uts}`, '--', 'hostname', pod.name]);
}

/**
 * The new mount namespace starts as a copy of the host's, including the nsfs mounts that keep
 * other pods' (and other sandboxes') namespaces alive and /run/netns. Holding those copies would
 * keep those namespaces alive after their owners delete them, so the pod lets go of them.
 */
async function dropCopiedNamespaceMounts(pod: Pod): Promise<void> {
  const points = (await readMounts())
    .filter((m) => m.fsType === 'nsfs' || isWithin(m.mountPoint, '/run/netns') || m.mountPoint === nsDir(pod.stateDir))
    .map((m) => m.mountPoint)
    .sort((a, b) => b.length - a.length);
  if (points.length === 0) return;
  // Mount namespace files are never copied (the kernel skips them), so some "not mounted" is expected.
  await tryTool('nsenter', [`--mount=${pod.nsFiles.mnt}`, '--', 'umount', '-l', ...new Set(points)]);
}

/**
 * The sandbox state dir (sockets, charm files) and `pod.hostPaths` may live below a pod path
 * (typically /tmp); the pod must still reach them, so each is bound into the pod's copy (outer
 * ones first) before that copy hides the host's.
 */
async function keepHostPathsVisible(pod: Pod, target: string, source: string): Promise<void> {
  const kept = [...new Set([...pod.hostPaths, pod.stateDir].map((p) => path.resolve(p)))]
    .filter((p) => isWithin(p, target) && p !== target)
    .sort((a, b) => a.length - b.length);
  for (const hostPath of kept) {
    const inside = path.join(source, path.relative(target, hostPath));
    await mkdir(inside, { recursive: true });
    await inPod(pod, ['mount', '--bind', hostPath, inside]);
  }
}

/** Outer paths first, so a nested path is mounted on top of its parent's per-pod directory. */
function orderedTargets(paths: readonly string[]): string[] {
  return [...paths].sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
}

/** Where `target` resolves inside the pod before it is mounted, seen from the host. */
function whereTargetLives(pod: Pod, target: string, mounted: readonly string[]): string {
  const outer = [...mounted].reverse().find((m) => isWithin(target, m));
  if (outer === undefined) return target;
  return path.join(podSourcePath(pod.stateDir, pod.name, outer), path.relative(outer, target));
}

async function inPod(pod: Pod, argv: string[]): Promise<void> {
  await runTool('nsenter', [`--mount=${pod.nsFiles.mnt}`, '--', ...argv]);
}

/**
 * `unshare` refuses to bind a namespace file onto a shared mount (on systemd hosts `/` is
 * shared), so the ns dir is bind-mounted onto itself and made private, like `ip netns` does.
 */
const privateNsDirs = new Map<string, Promise<void>>();

function ensurePrivateNsDir(stateDir: string): Promise<void> {
  const dir = nsDir(stateDir);
  let pending = privateNsDirs.get(dir);
  if (!pending) {
    pending = makePrivateDir(dir).finally(() => privateNsDirs.delete(dir));
    privateNsDirs.set(dir, pending);
  }
  return pending;
}

async function makePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  if (!(await isMountPoint(dir))) await runTool('mount', ['--bind', dir, dir]);
  await runTool('mount', ['--make-private', dir]);
}

