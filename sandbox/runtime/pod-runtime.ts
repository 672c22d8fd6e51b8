import type { ChildProcess } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import { errorMessage } from '../../src/errors.ts';
import type { Logger } from '../../src/logging.ts';
import type { UnitPrepared, UnitRuntime, UnitSpawnOptions, WorkloadAnswer, WorkloadProbe } from '../controller/runtime.ts';
import { createPod, DEFAULT_POD_PATHS, destroyPod, ensurePodPidNamespace, listPods, nextFreeIndex, runInPod, type Pod } from '../pods/index.ts';
import { killProcesses } from '../pods/pod-processes.ts';
import { SandboxError } from './errors.ts';
import { PebbleProcess } from './pebble-process.ts';
import { PebbleSupervisor, type RestartBackoff } from './pebble-supervisor.ts';
import { podNameOf, type SandboxPaths, unitOfPod } from './paths.ts';
import { unixGet } from './unix-http.ts';

/**
 * Units as pods (UnitRuntime): each unit gets a pod named `<app>-<n>` on the sandbox bridge, its
 * workload containers' Pebbles run inside it, and every dispatch of the unit runs inside it too,
 * so the charm sees its Pebble at the real path, its own hostname, and resolves its peers'
 * member names (`<app>-<k>.<app>-endpoints`) through the pod's /etc/hosts. Like the kubelet, it
 * starts a unit's Pebble again when it dies (see pebble-supervisor.ts).
 */

export interface PodRuntimeOptions {
  paths: SandboxPaths;
  sandboxId: string;
  /** Kubernetes namespace in the pods' DNS names (the model name). */
  namespace: string;
  /** The workload containers of an application's charm (metadata `containers`). */
  containers: (app: string) => string[];
  /** Where each storage of an application's charm lives in a pod (see storage.ts). */
  storage?: (app: string) => Record<string, string>;
  /** How long a released unit's Pebble gets to stop its services. */
  stopGraceMs?: number;
  /** How often dead Pebbles are looked for, and how soon they are started again. */
  superviseIntervalMs?: number;
  restartBackoff?: RestartBackoff;
  /** What a Kubernetes control plane adds to every pod (kubernetes.ts), with `--dcs kubernetes`. */
  cluster?: PodCluster;
  logger: Logger;
}

/**
 * The Kubernetes side of a pod: the environment its containers get, the paths it needs of its
 * own, and what the API server must know when it comes and goes (as the kubelet reports it).
 */
export interface PodCluster {
  /** Every container's environment on top of its own (KUBERNETES_SERVICE_HOST/_PORT). */
  readonly env: Readonly<Record<string, string>>;
  /** Per-pod paths (the service account directory). */
  readonly paths: readonly string[];
  /** A pod was made, or found again after a daemon restart: register it, write its files. */
  podStarted(pod: Pod): Promise<void>;
  podRemoved(pod: Pod): Promise<void>;
}

/**
 * A `/dev/shm` source prefix no mount has (mountinfo escapes newlines): kills select a pod's
 * processes by its namespaces alone, since pod `x-1`'s shm source name is a prefix of `x-10`'s.
 */
const NO_SHM_MARKER = '\n';

export class PodRuntime implements UnitRuntime {
  /** Pods by unit name; spawn() is synchronous, so they are kept in memory. */
  private readonly pods = new Map<string, Pod>();
  /** Pod creation and removal one at a time: indexes (addresses) are handed out in order. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly supervisor: PebbleSupervisor;

  constructor(private readonly options: PodRuntimeOptions) {
    this.supervisor = new PebbleSupervisor({
      pebbles: () => this.runningPebbles(),
      exclusive: (work) => this.serialise(work),
      intervalMs: options.superviseIntervalMs,
      backoff: options.restartBackoff,
      logger: options.logger,
    });
  }

  /** Restart Pebbles that die from now on (the kubelet's job); stop() ends that. */
  supervise(): void {
    this.supervisor.start();
  }

  async stop(): Promise<void> {
    await this.supervisor.stop();
  }

  /** After a daemon restart: know every existing pod again and start Pebbles that died. */
  async resume(): Promise<void> {
    for (const pod of await listPods(this.options.paths.stateDir)) {
      const unit = unitOfPod(pod);
      this.pods.set(unit, pod);
      await this.options.cluster?.podStarted(pod);
      for (const container of await this.containersOf(pod)) {
        const pebble = this.pebbleOf(pod, container);
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
    return this.pebbleOf(pod, container);
  }

  prepareUnit(unit: string): Promise<UnitPrepared> {
    return this.serialise(async () => {
      const app = unit.slice(0, unit.lastIndexOf('/'));
      const containers = this.options.containers(app);
      const storage = this.options.storage?.(app) ?? {};
      const started = performance.now();
      const pod = await createPod({
        sandboxId: this.options.sandboxId,
        stateDir: this.options.paths.stateDir,
        name: podNameOf(unit),
        index: await nextFreeIndex(this.options.paths.stateDir),
        app,
        namespace: this.options.namespace,
        paths: [
          ...new Set([...DEFAULT_POD_PATHS, ...containers.map((c) => `/charm/containers/${c}`), ...Object.values(storage), ...(this.options.cluster?.paths ?? [])]),
        ],
        // Each storage is a filesystem of its own, as a PVC: it fills up alone (chaos disk-full).
        volumes: Object.values(storage),
      });
      this.pods.set(unit, pod);
      try {
        // Before any container starts: Patroni asks the API server for its own pod at once.
        await this.options.cluster?.podStarted(pod);
        for (const container of containers) await this.pebbleOf(pod, container).ensure(this.options.logger);
      } catch (error) {
        await this.destroy(unit, pod);
        throw error;
      }
      this.options.logger.info({ unit, pod: pod.name, ip: pod.ip, ms: Math.round(performance.now() - started) }, 'unit pod ready');
      return { address: pod.ip, storage };
    });
  }

  spawn(unit: string, argv: readonly string[], options: UnitSpawnOptions): ChildProcess {
    const pod = this.pods.get(unit);
    if (!pod) throw new SandboxError('sandbox-unit-unknown', `unit ${unit} has no pod`);
    // This pid is nsenter's (entering the PID namespace forks); detached makes it lead a process
    // group that the dispatch joins, which a hook timeout signals as a whole.
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

  /** SIGKILL everything in these units' pods (all pods when undefined) at once. */
  killUnits(units?: readonly string[]): Promise<number> {
    return this.serialise(async () => {
      const pods = (units ?? [...this.pods.keys()]).map((unit) => {
        const pod = this.pods.get(unit);
        if (!pod) throw new SandboxError('sandbox-unit-unknown', `unit ${unit} has no pod`);
        return pod;
      });
      if (pods.length === 0) return 0;
      const nsFiles = pods.flatMap((p) => [`/run/netns/${p.netns}`, p.nsFiles.mnt, p.nsFiles.uts, p.nsFiles.ipc]);
      const killed = await killProcesses({ nsFiles, shmSource: { exact: NO_SHM_MARKER } });
      // The pod sandbox comes back at once (hooks may be dispatched into it before its Pebble is).
      for (const pod of pods) await ensurePodPidNamespace(pod);
      this.options.logger.warn({ pods: pods.map((p) => p.name), killed }, 'killed every process in the pods');
      return killed;
    });
  }

  /** The Pebbles of every pod, as the charms' metadata lists their containers. */
  private runningPebbles(): Array<{ unit: string; pebble: PebbleProcess }> {
    return [...this.pods].flatMap(([unit, pod]) => {
      let containers: string[] = [];
      try {
        containers = this.options.containers(pod.app);
      } catch {
        // the application is gone from the model: its pods are on their way out
      }
      return containers.map((container) => ({ unit, pebble: this.pebbleOf(pod, container) }));
    });
  }

  private async destroy(unit: string, pod: Pod): Promise<void> {
    for (const container of await this.containersOf(pod)) {
      try {
        await this.pebbleOf(pod, container).stop(this.options.stopGraceMs ?? 30_000);
      } catch (error) {
        this.options.logger.warn({ unit, container, err: errorMessage(error) }, 'cannot stop pebble; the pod teardown kills it');
      }
    }
    await destroyPod(pod);
    await this.options.cluster?.podRemoved(pod);
    await rm(this.options.paths.pebbleDir(pod.name), { recursive: true, force: true });
    this.pods.delete(unit);
  }

  private pebbleOf(pod: Pod, container: string): PebbleProcess {
    return new PebbleProcess(this.options.paths, pod, container, this.options.cluster?.env);
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

/** WorkloadProbe: a container is ready once its Pebble answers GET /v1/system-info (with its boot id). */
export class PebbleProbe implements WorkloadProbe {
  constructor(private readonly runtime: PodRuntime) {}

  async probe(unit: string, container: string): Promise<WorkloadAnswer> {
    if (!this.runtime.pod(unit)) return { ready: false };
    const socket = await this.runtime.pebble(unit, container).socket();
    try {
      const response = await unixGet(socket, '/v1/system-info', 1_000);
      if (response.status !== 200) return { ready: false };
      const bootId = (JSON.parse(response.body) as { result?: { 'boot-id'?: unknown } }).result?.['boot-id'];
      return typeof bootId === 'string' ? { ready: true, bootId } : { ready: true };
    } catch {
      return { ready: false };
    }
  }
}
