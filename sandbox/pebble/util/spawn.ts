/**
 * Starting real processes the way Pebble does: an explicit environment, a working directory,
 * optional privilege drop to another uid/gid (Node passes them to setuid/setgid after clearing
 * supplementary groups), and a new session/process group so the whole tree can be signalled.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { constants } from 'node:os';
import { isCurrentUser, type UidGid } from './users.ts';

export interface SpawnRequest {
  argv: string[];
  /** argv[0] as the process sees it (the unresolved command name). */
  argv0?: string | undefined;
  env: Record<string, string>;
  cwd: string;
  ids?: UidGid | undefined;
  stdio: StdioOptions;
}

export function spawnProcess(req: SpawnRequest): ChildProcess {
  const [file, ...args] = req.argv;
  const drop = req.ids && !isCurrentUser(req.ids) ? req.ids : undefined;
  return spawn(file as string, args, {
    cwd: req.cwd,
    env: req.env,
    stdio: req.stdio,
    ...(req.argv0 !== undefined ? { argv0: req.argv0 } : {}),
    // detached = setsid(): its own session and process group, like Pebble's Setpgid/Setsid.
    detached: true,
    ...(drop ? { uid: drop.uid, gid: drop.gid } : {}),
  });
}

/** Signal numbers by name ("SIGTERM" → 15); undefined for unknown names. */
export function signalNumber(name: string): number | undefined {
  return (constants.signals as Record<string, number>)[name];
}

/** Exit code as Pebble's reaper reports it: 128 + signal for signalled processes. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const n = signal ? signalNumber(signal) : undefined;
  return n === undefined ? -1 : 128 + n;
}

/** Send a signal to a whole process group; false if the group is already gone. */
export function signalGroup(pid: number | undefined, signal: NodeJS.Signals): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Send a signal to one process; false if it is already gone. */
export function signalProcess(pid: number | undefined, signal: NodeJS.Signals | number): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}
