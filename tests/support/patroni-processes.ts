import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorCode } from '../../src/errors.ts';

/*
 * Process plumbing for the Patroni/etcd test stack. Everything here acts on PIDs the stack itself
 * started or on processes whose command line names the stack's own temp dir; nothing is killed by name.
 */

export interface LoggedProcess {
  pid: number;
  child: ChildProcess;
  /** Resolves with the exit code (or the signal name) when the process ends. */
  exited: Promise<number | string>;
}

/**
 * Start `command` detached (its own process group, so the group can be killed as a whole) with
 * stdout and stderr appended to `logFile`.
 */
export function spawnLogged(command: string, args: readonly string[], logFile: string, env?: NodeJS.ProcessEnv): LoggedProcess {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd], env: env ?? process.env });
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    const exited = new Promise<number | string>((resolve) => {
      child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
      child.once('error', (error) => resolve(error.message));
    });
    child.unref();
    return { pid: child.pid, child, exited };
  } finally {
    closeSync(fd);
  }
}

/** Alive and not a zombie (a re-parented postmaster may linger as a zombie nobody reaps). */
export function isAlive(pid: number): boolean {
  const state = statFields(pid)?.[0];
  return state !== undefined && state !== 'Z' && state !== 'X';
}

/** Send a signal, ignoring processes that are already gone. A negative pid means a process group. */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (error) {
    if (errorCode(error) !== 'ESRCH') throw error;
  }
}

/** Wait until none of `pids` is alive; false if some survived `timeoutMs`. */
export async function waitForExit(pids: readonly number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(isAlive)) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}

export function cmdlineOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return undefined;
  }
}

/** Live processes whose command line contains `needle` (the stack's unique temp dir). */
export function pidsMentioning(needle: string): number[] {
  return livePids().filter((pid) => pid !== process.pid && (cmdlineOf(pid)?.includes(needle) ?? false));
}

function livePids(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter(isAlive);
}

/** /proc/<pid>/stat fields after the command name: [state, ppid, pgrp, …]. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Live members of process group `pgid` (a detached child's group is its own pid). */
export function processGroupMembers(pgid: number): number[] {
  return livePids().filter((pid) => statFields(pid)?.[2] === String(pgid));
}

/** Live children of `pid` (a postmaster's backends and auxiliary processes). */
export function childrenOf(pid: number): number[] {
  return livePids().filter((child) => statFields(child)?.[1] === String(pid));
}

/**
 * The signal that ends a process fastest without leaking PostgreSQL's SysV shared memory:
 * a postmaster gets SIGQUIT (immediate shutdown, which still removes the segment), a standalone
 * backend (`--boot`/`--single`, run by initdb) SIGTERM, anything else (Patroni, runuser, initdb,
 * pg_basebackup) SIGKILL.
 */
export function fastStopSignal(pid: number, postgresBinary: string): NodeJS.Signals {
  const argv = cmdlineOf(pid)?.split(' ') ?? [];
  if (argv[0] !== postgresBinary) return 'SIGKILL';
  return argv.includes('--boot') || argv.includes('--single') ? 'SIGTERM' : 'SIGQUIT';
}

/** The postmaster PID from `<data>/postmaster.pid`, if that process still runs PostgreSQL on this data dir. */
export function postmasterPid(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(`${dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  return cmdlineOf(pid)?.includes(dataDir) ? pid : undefined;
}

/** The last `lines` lines of a log file, or a note that it is missing. */
export function tailOf(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return `(no ${file})`;
  }
}
