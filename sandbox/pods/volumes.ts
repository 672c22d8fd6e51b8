import { mkdir, open, readdir, rm, statfs } from 'node:fs/promises';
import path from 'node:path';
import { PodError } from './errors.ts';
import { podDir, podSourcePath } from './layout.ts';
import { isMountPoint, readMounts } from './mounts.ts';
import type { Pod } from './records.ts';
import { runTool, tryTool } from './system.ts';

/**
 * A pod's storage volumes as Kubernetes gives them: a filesystem of its own per volume (a PVC),
 * so it can fill up without filling the host. Each is a sparse ext4 image under the pod's state
 * directory, loop-mounted on the host at the pod's directory for that path before the pod's
 * mount namespace is made (the namespace's copy carries it, the pod binds it to its path, and the
 * host sees the same files). `fillVolume` takes every free block, as a full disk would;
 * `freeVolume` gives them back.
 */

/** Apparent size of each volume; sparse, so the host spends only what is written. */
export const VOLUME_SIZE_BYTES = 4 * 1024 ** 3;
/** The files `fillVolume` writes at the volume's root, named so nobody mistakes them for data. */
export const FILLER_PREFIX = '.sandbox-disk-full';

export const volumeImage = (pod: Pick<Pod, 'stateDir' | 'name'>, target: string): string =>
  path.join(podDir(pod.stateDir, pod.name), 'volumes', `${target.replace(/^\//, '').replaceAll('/', '_')}.ext4`);

/**
 * mkfs.ext4 options: no blocks reserved for root (a full volume is full for every user), one
 * inode per 64 KiB (a data directory's files are large) so there is less to initialise.
 */
export function mkfsArgs(image: string, sizeBytes: number): string[] {
  return ['-q', '-F', '-m', '0', '-i', '65536', '-E', 'nodiscard', image, `${Math.floor(sizeBytes / 1024)}k`];
}

/** Make (first time) and mount each of the pod's volumes on the host. Before the pod's namespaces. */
export async function mountPodVolumes(pod: Pod): Promise<void> {
  for (const target of pod.volumes ?? []) {
    const mountPoint = podSourcePath(pod.stateDir, pod.name, target);
    if (await isMountPoint(mountPoint)) continue;
    const image = volumeImage(pod, target);
    await mkdir(path.dirname(image), { recursive: true });
    await mkdir(mountPoint, { recursive: true });
    const exists = await open(image, 'r').then(
      async (handle) => (await handle.close(), true),
      () => false,
    );
    if (!exists) await runTool('mkfs.ext4', mkfsArgs(image, VOLUME_SIZE_BYTES));
    // -o loop sets the loop device to clear itself once unmounted.
    await runTool('mount', ['-o', 'loop', image, mountPoint]);
  }
}

/**
 * The block device of the pod's volume at `target`, as the host has it mounted. The pod mounts
 * that device itself (the kernel shares one filesystem between both mounts): a bind would not do,
 * as the pod sees the state directory through a non-recursive bind that leaves submounts out.
 */
export async function volumeDevice(pod: Pod, target: string): Promise<string> {
  const mountPoint = podSourcePath(pod.stateDir, pod.name, target);
  const device = (await readMounts()).find((m) => m.mountPoint === mountPoint)?.source;
  if (device === undefined) throw new PodError('pod-command-failed', `the volume of pod ${pod.name} at ${target} is not mounted at ${mountPoint}`);
  return device;
}

/** Unmount the pod's volumes on the host (lazily: a pod's last process may still be exiting). */
export async function unmountPodVolumes(pod: Pod): Promise<void> {
  for (const target of pod.volumes ?? []) {
    const mountPoint = podSourcePath(pod.stateDir, pod.name, target);
    while (await isMountPoint(mountPoint)) {
      const result = await tryTool('umount', ['-l', mountPoint]);
      if (result.exitCode !== 0) throw new PodError('pod-command-failed', `cannot unmount ${mountPoint}: ${result.stderr.trim()}`);
    }
  }
}

/** The mount point on the host of the pod's volume at `target` (its only volume by default). */
export function volumeMountPoint(pod: Pod, target?: string): string {
  const volumes = pod.volumes ?? [];
  const chosen = target ?? volumes[0];
  if (chosen === undefined || !volumes.includes(chosen)) {
    throw new PodError('pod-invalid-spec', `pod ${pod.name} has no volume${target === undefined ? '' : ` at ${target}`} (its volumes: ${volumes.join(', ') || 'none'})`);
  }
  return podSourcePath(pod.stateDir, pod.name, chosen);
}

/** How much the first filler file takes: all but a margin that the block-by-block top-up takes. */
export function firstFillBytes(availableBytes: number, marginBytes = 8 * 1024 ** 2): number {
  return Math.max(0, availableBytes - marginBytes);
}

async function available(mountPoint: string): Promise<number> {
  const stats = await statfs(mountPoint);
  return Number(stats.bavail) * Number(stats.bsize);
}

/**
 * Take every free block of the volume: one preallocated file for nearly all of it, then 4 KiB
 * writes until the filesystem answers ENOSPC. Returns the bytes taken. Repeating tops it up.
 */
export async function fillVolume(pod: Pod, target?: string): Promise<number> {
  const mountPoint = volumeMountPoint(pod, target);
  if (!(await isMountPoint(mountPoint))) throw new PodError('pod-invalid-spec', `${mountPoint} is not mounted: pod ${pod.name} was made before pods had volumes`);
  const before = await available(mountPoint);
  const first = firstFillBytes(before);
  const stamp = `${process.pid}-${Date.now()}`;
  if (first > 0) await runTool('fallocate', ['-l', String(first), path.join(mountPoint, `${FILLER_PREFIX}-${stamp}-a`)]);
  const handle = await open(path.join(mountPoint, `${FILLER_PREFIX}-${stamp}-b`), 'w');
  const block = Buffer.alloc(4096);
  try {
    for (;;) {
      try {
        await handle.write(block);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
        throw error;
      }
    }
  } finally {
    await handle.close().catch(() => undefined);
  }
  return before - (await available(mountPoint));
}

/** Remove what `fillVolume` wrote; returns how many files it removed. */
export async function freeVolume(pod: Pod, target?: string): Promise<number> {
  const mountPoint = volumeMountPoint(pod, target);
  const fillers = (await readdir(mountPoint)).filter((f) => f.startsWith(FILLER_PREFIX));
  for (const file of fillers) await rm(path.join(mountPoint, file), { force: true });
  return fillers.length;
}

/** Bytes free on the pod's volume. */
export async function volumeAvailable(pod: Pod, target?: string): Promise<number> {
  return available(volumeMountPoint(pod, target));
}
