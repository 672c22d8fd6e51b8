import { readdir, readFile, readlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { PodError } from './errors.ts';
import { readMounts } from './mounts.ts';

/** How to recognise the processes of one pod, or of a whole sandbox. */
export interface ProcessSelector {
  /** Namespace files (`/run/netns/<name>`, `pods/ns/<pod>.mnt`…) still mounted on the host. */
  nsFiles: readonly string[];
  /**
   * Which `/dev/shm` tmpfs source names mark a pod: a process whose mount namespace has such a
   * mount is inside a pod even when the namespace files are gone (a half-finished destroy). One
   * pod matches its exact name (`…shm-pg-1` must not catch `…shm-pg-10`), a sandbox its prefix.
   */
  shmSource: { exact: string } | { prefix: string };
}

export interface PodProcess {
  pid: number;
  command: string;
}

const NS_LINKS = ['net', 'mnt', 'uts', 'ipc', 'pid'] as const;

/** Processes inside the selected namespaces. This process is never included. */
export async function findProcesses(selector: ProcessSelector): Promise<PodProcess[]> {
  const wanted = await namespaceIds(selector.nsFiles);
  const ownMnt = await readlink('/proc/self/ns/mnt').catch(() => '');
  const markedMnt = new Map<string, boolean>(); // mnt ns id → carries the shm marker
  const found: PodProcess[] = [];
  for (const pid of await listPids()) {
    if (pid === process.pid) continue;
    const links = await Promise.all(NS_LINKS.map((ns) => readlink(`/proc/${pid}/ns/${ns}`).catch(() => '')));
    let match = links.some((link) => link !== '' && wanted.has(link));
    const mnt = links[1] ?? '';
    if (!match && mnt !== '' && mnt !== ownMnt) {
      let marked = markedMnt.get(mnt);
      if (marked === undefined) {
        const mounts = await readMounts(pid);
        marked = mounts.some((m) => ('exact' in selector.shmSource ? m.source === selector.shmSource.exact : m.source.startsWith(selector.shmSource.prefix)));
        markedMnt.set(mnt, marked);
      }
      match = marked;
    }
    if (match) found.push({ pid, command: await commandOf(pid) });
  }
  return found;
}

/**
 * SIGKILL every selected process until none is left: processes may fork while being killed, and
 * a sandbox being torn down has nothing worth a graceful shutdown. Throws if some survive.
 */
export async function killProcesses(selector: ProcessSelector, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const killed = new Set<number>();
  for (;;) {
    const alive = await findProcesses(selector);
    if (alive.length === 0) return killed.size;
    if (Date.now() > deadline) {
      throw new PodError(
        'pod-processes-survived',
        `processes survived SIGKILL: ${alive.map((p) => `${p.pid} (${p.command})`).join(', ')}`,
      );
    }
    for (const { pid } of alive) {
      try {
        process.kill(pid, 'SIGKILL');
        killed.add(pid);
      } catch {
        // already gone
      }
    }
    await sleep(20);
  }
}

/**
 * The ids (`net:[4026532…]`, the form /proc/<pid>/ns/* links take) of the namespaces whose files
 * are live nsfs mounts; mountinfo's root field of such a mount is exactly that id. A file that is
 * no longer mounted is skipped: its inode says nothing about any namespace.
 */
async function namespaceIds(files: readonly string[]): Promise<Set<string>> {
  const wanted = new Set(files);
  const ids = new Set<string>();
  for (const mount of await readMounts()) {
    if (mount.fsType === 'nsfs' && wanted.has(mount.mountPoint)) ids.add(mount.root);
  }
  return ids;
}

async function listPids(): Promise<number[]> {
  return (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
}

async function commandOf(pid: number): Promise<string> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter(Boolean).join(' ') || `[${pid}]`;
  } catch {
    return `[${pid}]`;
  }
}
