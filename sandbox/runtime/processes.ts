import { closeSync, openSync } from 'node:fs';
import { open, readFile, rm, writeFile } from 'node:fs/promises';
import { execa } from 'execa';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Processes the sandbox leaves running between CLI invocations (the daemon, etcd, each unit's
 * Pebble) are found again through pidfiles. A pid alone may have been reused, so a process only
 * counts as ours when its command line still carries a marker (its state dir, its script).
 */

export async function readPid(file: string): Promise<number | null> {
  try {
    const pid = Number((await readFile(file, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

export async function writePid(file: string, pid: number): Promise<void> {
  await writeFile(file, `${pid}\n`, { mode: 0o600 });
}

export async function removePid(file: string, pid?: number): Promise<void> {
  if (pid !== undefined && (await readPid(file)) !== pid) return; // someone else's now
  await rm(file, { force: true });
}

/** The process's argv, or null when it is gone. */
export async function commandLine(pid: number): Promise<string[] | null> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((part) => part !== '');
  } catch {
    return null;
  }
}

/** Alive and not a zombie. */
export async function isAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** The live process in `pidFile` whose command line contains every marker, or null. */
export async function findOwnProcess(pidFile: string, markers: readonly string[]): Promise<number | null> {
  const pid = await readPid(pidFile);
  if (pid === null || !(await isAlive(pid))) return null;
  const argv = await commandLine(pid);
  if (argv === null) return null;
  const joined = argv.join(' ');
  return markers.every((m) => joined.includes(m)) ? pid : null;
}

export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (await isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function terminate(pid: number, graceMs: number): Promise<void> {
  signal(pid, 'SIGTERM');
  if (await waitForExit(pid, graceMs)) return;
  signal(pid, 'SIGKILL');
  await waitForExit(pid, 5_000);
}

/** The last `lines` lines of a text file ('' if it cannot be read). */
export async function tailOf(file: string, lines = 20): Promise<string> {
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, 64 * 1024);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      return buffer.toString('utf8').split('\n').filter((l) => l !== '').slice(-lines).join('\n');
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
}

/**
 * An open file as a child's stdout/stderr. execa passes a single integer straight to the child
 * (so a detached process keeps writing after we exit); its types only list fds up to 9.
 */
export function outputFd(fd: number): 3 {
  return fd as 3;
}

/**
 * Starts `file argv` in its own session with stdin closed and stdout/stderr appended to
 * `logFile`, not waited for, so it keeps running after this process exits; its pid, or undefined
 * when it could not be started. Used for what the sandbox leaves running: the daemon, etcd, s3rver.
 */
export function spawnDetached(
  file: string,
  argv: readonly string[],
  logFile: string,
  options: { cwd?: string; env?: Record<string, string>; extendEnv?: boolean } = {},
): number | undefined {
  const log = openSync(logFile, 'a', 0o600);
  try {
    const child = execa(file, argv, {
      detached: true,
      cleanup: false,
      reject: false,
      stdin: 'ignore',
      stdout: outputFd(log),
      stderr: outputFd(log),
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(options.env === undefined ? {} : { env: options.env }),
      ...(options.extendEnv === undefined ? {} : { extendEnv: options.extendEnv }),
    });
    child.unref();
    return child.pid;
  } finally {
    closeSync(log);
  }
}
