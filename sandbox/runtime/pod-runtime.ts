import type { ChildProcess } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import { errorMessage } from '../../src/errors.ts';
import type { Logger } from '../../src/logging.ts';
import type { UnitPrepared, UnitRuntime, UnitSpawnOptions, WorkloadProbe } from '../controller/runtime.ts';
import { createPod, DEFAULT_POD_PATHS, destroyPod, listPods, nextFreeIndex, runInPod, type Pod } from '../pods/index.ts';
import { SandboxError } from './errors.ts';
import { PebbleProcess } from './pebble-process.ts';
import { podNameOf, type SandboxPaths, unitOfPod } from './paths.ts';
import { unixGet } from './unix-http.ts';

/**
 * Units as pods (UnitRuntime): each unit gets a pod named `<app>-<n>` on the sandbox bridge, its
 * workload containers' Pebbles run inside it, and every dispatch of the unit runs inside it too,
 * so the charm sees its Pebble at the real path, its own hostname, and resolves its peers'
 * member names (`<app>-<k>.<app>-endpoints`) through the pod's /etc/hosts.
 */

export interface PodRuntimeOptions {
  paths: SandboxPaths;
  sandboxId: string;
  /** Kubernetes namespace in the pods' DNS names (the model name). */
  namespace: string;
  /** The workload containers of an application's charm (metadata `containers`). */
  containers: (app: string) => string[];
  /** How long a released unit's Pebble gets to stop its services. */
  stopGraceMs?: number;
  logger: Logger;
}

export class PodRuntime implements UnitRuntime {
  /** Pods by unit name; spawn() is synchronous, so they are kept in memory. */
  private readonly pods = new Map<string, Pod>();
  /** Pod creation and removal one at a time: indexes (addresses) are handed out in order. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: PodRuntimeOptions) {}

  /** After a daemon restart: know every existing pod again and start Pebbles that died. */
  async resume(): Promise<void> {
    for (const pod of await listPods(this.options.paths.stateDir)) {
      const unit = unitOfPod(pod);
      this.pods.set(unit, pod);
      for (const container of await this.containersOf(pod)) {
        const pebble = new PebbleProcess(this.options.paths, pod, container);
        if ((await pebble.pid()) === null) this.options.logger.warn({ unit, container }, 'pebble was not running; restarting it');
        await pebble.ensure(this.options.logger);
      }
    }
  }

  pod(unit: string): Pod | undefined {
    return this.pods.get(unit);
  }

  pebble(unit: string, container: string): PebbleProcess {
    const pod = this.pods.get(unit);
    if (!pod) throw new SandboxError('sandbox-unit-unknown', `unit ${unit} has no pod`);
    return new PebbleProcess(this.options.paths, pod, container);
  }

  prepareUnit(unit: string): Promise<UnitPrepared> {
    return this.serialise(async () => {
      const app = unit.slice(0, unit.lastIndexOf('/'));
      const containers = this.options.containers(app);
      const started = performance.now();
      const pod = await createPod({
        sandboxId: this.options.sandboxId,
        stateDir: this.options.paths.stateDir,
        name: podNameOf(unit),
        index: await nextFreeIndex(this.options.paths.stateDir),
        app,
        namespace: this.options.namespace,
        paths: [...new Set([...DEFAULT_POD_PATHS, ...containers.map((c) => `/charm/containers/${c}`)])],
      });
      this.pods.set(unit, pod);
      try {
        for (const container of containers) await new PebbleProcess(this.options.paths, pod, container).ensure(this.options.logger);
      } catch (error) {
        await this.destroy(unit, pod);
        throw error;
      }
      this.options.logger.info({ unit, pod: pod.name, ip: pod.ip, ms: Math.round(performance.now() - started) }, 'unit pod ready');
      return { address: pod.ip };
    });
  }

  spawn(unit: string, argv: readonly string[], options: UnitSpawnOptions): ChildProcess {
    const pod = this.pods.get(unit);
    if (!pod) throw new SandboxError('sandbox-unit-unknown', `unit ${unit} has no pod`);
    // nsenter execs the program itself, so this pid is the dispatch's; detached makes it lead
    // a process group, which a hook timeout signals as a whole.
    return runInPod(pod, argv, {
      cwd: options.cwd,
      env: options.env,
      extendEnv: false,
      detached: true,
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
    });
  }

  releaseUnit(unit: string): Promise<void> {
    return this.serialise(async () => {
      const pod = this.pods.get(unit);
      if (!pod) return;
      await this.destroy(unit, pod);
      this.options.logger.info({ unit, pod: pod.name }, 'unit pod removed');
    });
  }

  private async destroy(unit: string, pod: Pod): Promise<void> {
    for (const container of await this.containersOf(pod)) {
      try {
        await new PebbleProcess(this.options.paths, pod, container).stop(this.options.stopGraceMs ?? 30_000);
      } catch (error) {
        this.options.logger.warn({ unit, container, err: errorMessage(error) }, 'cannot stop pebble; the pod teardown kills it');
      }
    }
    await destroyPod(pod);
    await rm(this.options.paths.pebbleDir(pod.name), { recursive: true, force: true });
    this.pods.delete(unit);
  }

  /** The containers a pod runs Pebbles for: from the charm and from what the state dir has. */
  private async containersOf(pod: Pod): Promise<string[]> {
    let known: string[] = [];
    try {
      known = this.options.containers(pod.app);
    } catch {
      // the application may be gone from the model already
    }
    const onDisk = await readdir(this.options.paths.pebbleDir(pod.name)).catch(() => [] as string[]);
    return [...new Set([...known, ...onDisk])];
  }

  private serialise<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

/** WorkloadProbe: a container is ready once its Pebble answers GET /v1/system-info. */
export class PebbleProbe implements WorkloadProbe {
  constructor(private readonly runtime: PodRuntime) {}

  async pebbleReady(unit: string, container: string): Promise<boolean> {
    if (!this.runtime.pod(unit)) return false;
    const socket = await this.runtime.pebble(unit, container).socket();
    try {
      const response = await unixGet(socket, '/v1/system-info', 1_000);
      return response.status === 200;
    } catch {
      return false;
    }
  }
}
