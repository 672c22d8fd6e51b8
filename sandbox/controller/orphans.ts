import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { QueuedEventSchema } from './queued-event.ts';

/**
 * Dispatches a controller was running when it died keep running (they lead their own process
 * groups), and their hooks run again under the next controller. So that the old and the new
 * run never overlap, each running dispatch is recorded, and the next controller kills what is
 * left of it first. A recorded pid may have been reused since, so a process only counts as the
 * old dispatch's when it is in that process group, started no earlier than the dispatch, during
 * the same boot, and carries the dispatch's JUJU_CONTEXT_ID (which everything a hook starts
 * inherits; a process that cleared its environment is not recognised).
 */

export const RunningDispatchSchema = z.object({
  /** The dispatch's pid, also its process group id (runtimes make it a group leader). */
  pid: z.number().int().positive(),
  /** Start time in clock ticks after boot (/proc/<pid>/stat field 22). */
  startTicks: z.number().int().nonnegative(),
  bootId: z.string(),
  contextId: z.string(),
  event: QueuedEventSchema,
  startedAt: z.string(),
});
export type RunningDispatch = z.infer<typeof RunningDispatchSchema>;

interface ProcStat {
  state: string;
  pgrp: number;
  startTicks: number;
}

async function procStat(pid: number): Promise<ProcStat | null> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', pgrp: Number(fields[2]), startTicks: Number(fields[19]) };
  } catch {
    return null;
  }
}

let bootIdCache: Promise<string> | undefined;

export function bootId(): Promise<string> {
  bootIdCache ??= readFile('/proc/sys/kernel/random/boot_id', 'utf8').then((text) => text.trim(), () => 'unknown');
  return bootIdCache;
}

/** What identifies a just-started dispatch later on, or null when it is already gone. */
export async function identifyDispatch(pid: number): Promise<{ startTicks: number; bootId: string } | null> {
  const stat = await procStat(pid);
  if (stat === null || !Number.isFinite(stat.startTicks)) return null;
  return { startTicks: stat.startTicks, bootId: await bootId() };
}

async function carriesContext(pid: number, contextId: string): Promise<boolean> {
  try {
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8');
    return environ.split('\0').includes(`JUJU_CONTEXT_ID=${contextId}`);
  } catch {
    return false;
  }
}

/** The live processes that are left of a recorded dispatch. */
export async function findOrphans(record: RunningDispatch): Promise<number[]> {
  if (record.bootId !== (await bootId())) return []; // the machine rebooted: nothing survived
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    const stat = await procStat(pid);
    if (stat === null || stat.pgrp !== record.pid || stat.state === 'Z' || stat.startTicks < record.startTicks) continue;
    if (await carriesContext(pid, record.contextId)) found.push(pid);
  }
  return found;
}

/** SIGKILL what is left of a dispatch (again, while it forks) until nothing is; returns the count. */
export async function killOrphans(record: RunningDispatch, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const killed = new Set<number>();
  for (;;) {
    const alive = await findOrphans(record);
    if (alive.length === 0 || Date.now() > deadline) return killed.size;
    for (const pid of alive) {
      try {
        process.kill(pid, 'SIGKILL');
        killed.add(pid);
      } catch {
        // gone already
      }
    }
    await sleep(20);
  }
}
