import { closeSync, openSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../src/logging.ts';
import { ensurePodPidNamespace, podPath, programPid, runInPod, type Pod } from '../pods/index.ts';
import { SandboxError } from './errors.ts';
import { PEBBLE_SCRIPT, pebbleSocketIn, type SandboxPaths, TSX_LOADER } from './paths.ts';
import { installPebbleCli } from './pebble-cli.ts';
import { findOwnProcess, removePid, terminate, writePid, outputFd } from './processes.ts';
import { reachableSocket } from './unix-http.ts';

/**
 * A unit's workload container: the sandbox Pebble, started INSIDE the unit's pod (its network,
 * mount, UTS, IPC and PID namespaces) and listening where Juju puts it for the charm,
 * `/charm/containers/<container>/pebble.socket`. Its state and log live in the state dir; it
 * runs detached, so workloads keep running while the daemon restarts, and is found again
 * through its pidfile.
 */

/** The environment of the workload container's Pebble, which its services inherit. */
function containerEnv(container: string, binDir: string): Record<string, string> {
  return {
    // binDir first: the `pebble` command (notify), as Juju's /charm/bin/pebble in a workload container.
    PATH: `${binDir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    LANG: 'C.UTF-8',
    HOME: '/root',
    PEBBLE: `/charm/containers/${container}`,
    PEBBLE_SOCKET: pebbleSocketIn(container),
    PEBBLE_LOG_LEVEL: 'info',
  };
}

export class PebbleProcess {
  readonly dir: string;

  constructor(
    private readonly paths: SandboxPaths,
    readonly pod: Pod,
    readonly container: string,
    /** On top of the container's own environment, e.g. the pod's KUBERNETES_SERVICE_HOST/_PORT. */
    private readonly extraEnv: Readonly<Record<string, string>> = {},
  ) {
    this.dir = paths.pebbleDir(pod.name, container);
  }

  get pidFile(): string {
    return path.join(this.dir, 'pebble.pid');
  }
  get logFile(): string {
    return path.join(this.dir, 'pebble.log');
  }
  get stateDir(): string {
    return path.join(this.dir, 'state');
  }
  /** The socket as the host sees it. */
  get hostSocket(): string {
    return podPath(this.pod, pebbleSocketIn(this.container));
  }

  /** A path this process can connect to (see reachableSocket). */
  async socket(): Promise<string> {
    return reachableSocket(this.hostSocket, { pid: await this.pid(), path: pebbleSocketIn(this.container) });
  }

  /** The running Pebble's pid, or null. */
  pid(): Promise<number | null> {
    return findOwnProcess(this.pidFile, [PEBBLE_SCRIPT, this.stateDir]);
  }

  /** Start it unless it runs; resolves with its pid (it may still be starting up). */
  async ensure(logger?: Logger): Promise<number> {
    const running = await this.pid();
    if (running !== null) return running;
    await mkdir(this.stateDir, { recursive: true, mode: 0o700 });
    await installPebbleCli(this.paths.binDir);
    // After the whole pod was killed its PID namespace takes no process until it is made again.
    await ensurePodPidNamespace(this.pod);
    const log = openSync(this.logFile, 'a', 0o600);
    let pid: number | undefined;
    try {
      const argv = [process.execPath, '--import', TSX_LOADER, PEBBLE_SCRIPT, '--socket', pebbleSocketIn(this.container), '--state', this.stateDir];
      const child = runInPod(this.pod, argv, {
        detached: true,
        cleanup: false,
        stdout: outputFd(log),
        stderr: outputFd(log),
        extendEnv: false,
        env: { ...containerEnv(this.container, this.paths.binDir), ...this.extraEnv },
      });
      child.unref();
      pid = child.pid;
    } finally {
      closeSync(log);
    }
    // The pidfile names Pebble itself, not nsenter (which passes no SIGTERM on).
    if (pid !== undefined) pid = await programPid(this.pod, pid);
    if (pid === undefined) throw new SandboxError('sandbox-pebble-failed', `cannot start Pebble in pod ${this.pod.name}; see ${this.logFile}`);
    await writePid(this.pidFile, pid);
    logger?.info({ pod: this.pod.name, container: this.container, pid }, 'pebble started');
    return pid;
  }

  /** SIGTERM (Pebble stops its services first), SIGKILL after `graceMs`. */
  async stop(graceMs = 30_000): Promise<void> {
    const pid = await this.pid();
    if (pid !== null) await terminate(pid, graceMs);
    await removePid(this.pidFile);
  }

  /** Stop it and delete its state dir and log. */
  async remove(graceMs?: number): Promise<void> {
    await this.stop(graceMs);
    await rm(this.dir, { recursive: true, force: true });
  }
}
