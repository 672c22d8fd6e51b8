import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../../src/errors.ts';
import { ControllerClient } from '../controller/controller-client.ts';
import { CONTROLLER_SOCKET } from '../controller/protocol.ts';
import { SandboxError } from './errors.ts';
import { DAEMON_SCRIPT, type SandboxPaths, TSX_LOADER } from './paths.ts';
import { findOwnProcess, isAlive, removePid, spawnDetached, tailOf, terminate, waitForExit } from './processes.ts';

/**
 * Finding, starting and stopping the sandbox daemon from the CLI. The daemon runs detached with
 * its log in the state dir; a CLI that finds it dead starts a new one, which resumes from the
 * state dir.
 */

export function controllerSocket(paths: SandboxPaths): string {
  return path.join(paths.stateDir, CONTROLLER_SOCKET);
}

/** The live daemon of this state dir, or null. */
export function findDaemon(paths: SandboxPaths): Promise<number | null> {
  return findOwnProcess(paths.daemonPid, [DAEMON_SCRIPT, paths.stateDir]);
}

/** A client of the running daemon, or null when none answers at once. */
export async function tryConnect(paths: SandboxPaths): Promise<ControllerClient | null> {
  try {
    const client = await ControllerClient.connect(controllerSocket(paths));
    await client.ping();
    return client;
  } catch {
    return null;
  }
}

export interface ConnectResult {
  client: ControllerClient;
  /** The daemon was not running and has been started (from the state dir). */
  started: boolean;
}

/** Connect to the daemon, starting it (and waiting for it) when it is not running. */
export async function connectOrStart(paths: SandboxPaths, timeoutMs = 120_000): Promise<ConnectResult> {
  const client = await tryConnect(paths);
  if (client) return { client, started: false };
  let pid = await findDaemon(paths);
  const started = pid === null;
  if (pid === null) pid = await spawnDaemon(paths);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const connected = await tryConnect(paths);
    if (connected) return { client: connected, started };
    if (!(await isAlive(pid))) {
      // Another CLI may have started a daemon at the same moment and ours stood back: use it.
      const other = await findDaemon(paths);
      if (other === null) {
        throw new SandboxError('sandbox-daemon-failed', `the sandbox daemon exited while starting; ${paths.daemonLog} ends with:\n${await tailOf(paths.daemonLog, 15)}`);
      }
      pid = other;
    }
    if (Date.now() >= deadline) {
      throw new SandboxError('sandbox-daemon-failed', `the sandbox daemon (pid ${pid}) did not answer within ${timeoutMs} ms; see ${paths.daemonLog}`);
    }
    await sleep(100);
  }
}

/** Start the daemon in the background (own session, output appended to daemon.log). */
async function spawnDaemon(paths: SandboxPaths): Promise<number> {
  const pid = spawnDetached(process.execPath, ['--import', TSX_LOADER, DAEMON_SCRIPT, '--state', paths.stateDir], paths.daemonLog, { cwd: paths.stateDir });
  if (pid === undefined) throw new SandboxError('sandbox-daemon-failed', 'cannot start the sandbox daemon');
  return pid;
}

/** Ask the daemon to stop (hooks finish or are killed after its grace), SIGKILL if it will not. */
export async function stopDaemon(paths: SandboxPaths, graceMs = 45_000): Promise<boolean> {
  const pid = await findDaemon(paths);
  const client = await tryConnect(paths);
  if (client) {
    try {
      await client.shutdown();
    } catch (error) {
      if (pid === null) throw new SandboxError('sandbox-daemon-failed', `cannot stop the daemon: ${errorMessage(error)}`);
    } finally {
      client.close();
    }
  }
  if (pid !== null) {
    if (client === null || !(await waitForExit(pid, graceMs))) await terminate(pid, 5_000);
  }
  await removePid(paths.daemonPid);
  return pid !== null || client !== null;
}
