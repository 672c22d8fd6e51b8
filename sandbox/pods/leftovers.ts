import { access } from 'node:fs/promises';
import path from 'node:path';
import { isWithin, nsDir, podsRoot } from './layout.ts';
import { readMounts } from './mounts.ts';
import { namePrefix } from './names.ts';
import { listSandboxLinks, listSandboxNetns } from './network.ts';
import { findProcesses, type PodProcess, type ProcessSelector } from './pod-processes.ts';

/** What of a sandbox still exists on this machine. Empty everywhere once it is destroyed. */
export interface Leftovers {
  processes: PodProcess[];
  /** `ip netns` names with the sandbox prefix. */
  netns: string[];
  /** Root-namespace links (bridge, veths) with the sandbox prefix. */
  links: string[];
  /** Host mount points under the pod state dir, or named after the sandbox. */
  mounts: string[];
  /** `<stateDir>/pods`, if it is still there. */
  stateDirs: string[];
}

export function isClean(leftovers: Leftovers): boolean {
  return Object.values(leftovers).every((list: unknown[]) => list.length === 0);
}

/**
 * Everything that carries the sandbox's name prefix or lives under its state dir, found from
 * the machine itself (names, mounts, /proc), not from the sandbox's records: it works after a
 * crash. Without `stateDir`, only what carries the name prefix is found.
 */
export async function listLeftovers(sandboxId: string, stateDir?: string): Promise<Leftovers> {
  const selector = await sandboxSelector(sandboxId, stateDir);
  const root = stateDir === undefined ? undefined : podsRoot(stateDir);
  const prefix = namePrefix(sandboxId);
  const mounts = (await readMounts())
    .filter(
      (m) =>
        (root !== undefined && isWithin(m.mountPoint, root)) ||
        (isWithin(m.mountPoint, '/run/netns') && path.basename(m.mountPoint).startsWith(prefix)) ||
        m.source.startsWith(prefix),
    )
    .map((m) => m.mountPoint);
  return {
    processes: await findProcesses(selector),
    netns: await listSandboxNetns(sandboxId),
    links: await listSandboxLinks(sandboxId),
    mounts: [...new Set(mounts)],
    stateDirs: root !== undefined && (await exists(root)) ? [root] : [],
  };
}

/** How to find every process of the sandbox: its netns, its ns files, the pods' /dev/shm marker. */
export async function sandboxSelector(sandboxId: string, stateDir?: string): Promise<ProcessSelector> {
  const netnsFiles = (await listSandboxNetns(sandboxId)).map((name) => `/run/netns/${name}`);
  const dir = stateDir === undefined ? undefined : nsDir(stateDir);
  const nsFiles =
    dir === undefined
      ? []
      : (await readMounts()).filter((m) => m.fsType === 'nsfs' && path.dirname(m.mountPoint) === dir).map((m) => m.mountPoint);
  return { nsFiles: [...netnsFiles, ...nsFiles], shmSource: { prefix: `${namePrefix(sandboxId)}shm-` } };
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
