import { type ChildProcess, spawn } from 'node:child_process';

/**
 * Where a unit's processes run. The controller only ever starts `dispatch` through this seam, so
 * the same scheduler drives plain host processes (tests) and per-unit pods (the sandbox).
 */

export interface UnitSpawnOptions {
  /** The complete environment: nothing is inherited from the controller. */
  env: Record<string, string>;
  cwd: string;
}

export interface UnitPrepared {
  /** The unit's address (what network-get reports); the model keeps its default when absent. */
  address?: string;
  /**
   * Where each storage (by name) is mounted as the unit's charm sees it, e.g. pgdata →
   * `/var/lib/postgresql/data` (what storage-get reports); the model's default otherwise.
   */
  storage?: Record<string, string>;
}

export interface UnitRuntime {
  /**
   * Start `argv` for `unit` with stdout and stderr piped (stdin ignored). Runtimes should make
   * the process a process-group leader so that a hook timeout ends everything the hook started.
   */
  spawn(unit: string, argv: readonly string[], options: UnitSpawnOptions): ChildProcess;
  /** Called once before a new unit's first hook (e.g. to create its pod). */
  prepareUnit?(unit: string): Promise<UnitPrepared>;
  /** Called once after a unit has left the model (e.g. to destroy its pod). */
  releaseUnit?(unit: string): Promise<void>;
  /**
   * Chaos: SIGKILL every process of these units (all units when undefined), as a node restart
   * would; the runtime brings their workload containers back. Resolves with how many died.
   */
  killUnits?(units?: readonly string[]): Promise<number>;
}

/** One Service of the model's namespace, as `status` shows it. */
export interface ServiceStatus {
  name: string;
  namespace: string;
  /** `ClusterIP` or `Headless`. */
  type: string;
  clusterIP: string;
  selector: Record<string, string>;
  /** `5432/tcp`... */
  ports: string[];
  /** The pods behind it (its Endpoints' addresses). */
  endpoints: { pod: string; ip: string }[];
}

/**
 * The Kubernetes control plane of the model (the API stand-in), when the sandbox has one: what
 * it must learn of applications and of `juju trust`, and the Services it shows in `status`.
 */
export interface ModelCluster {
  /** Deployed, or found again in the model by a new controller; idempotent. */
  applicationDeployed(app: string, trusted: boolean): void;
  /** `juju trust <app> --scope=cluster` (or `--remove`). */
  trustChanged(app: string, trusted: boolean): void;
  services(): ServiceStatus[];
}

/** What the probe learnt about a unit's workload container. */
export interface WorkloadAnswer {
  /** Its Pebble answers `GET /v1/system-info`. */
  ready: boolean;
  /**
   * That Pebble's boot id: a new one means the container restarted, and Juju fires
   * `<container>-pebble-ready` again. Probes that cannot tell leave it out.
   */
  bootId?: string;
}

/** Whether a unit's workload container can be talked to yet, and which Pebble answered. */
export interface WorkloadProbe {
  probe(unit: string, container: string): Promise<WorkloadAnswer>;
}

/** A Pebble notice as the notice watcher needs it (canonical/pebble client.Notice). */
export interface WorkloadNotice {
  id: string;
  type: string;
  key: string;
  /** RFC 3339 with nanoseconds, as Pebble sends it; the next query's `after`. */
  lastRepeated: string;
  /**
   * The hook Juju runs for it: a custom notice's, or, for a check's change-update notice,
   * check-failed (a `perform-check` change in Error) or check-recovered (a `recover-check` change
   * Done), with the check's name; null for any other change-update (only `after` moves on).
   */
  hook: 'custom-notice' | 'check-failed' | 'check-recovered' | null;
  checkName?: string;
}

/** Long-polls a unit's workload Pebble for custom and change-update notices (`GET /v1/notices`). */
export interface WorkloadNotices {
  /**
   * The container's custom and change-update notices repeated after `after` (every one when undefined), waiting
   * up to `waitMs` for the first to arrive; rejects when its Pebble does not answer.
   */
  wait(unit: string, container: string, options: { after?: string; waitMs: number; signal: AbortSignal }): Promise<WorkloadNotice[]>;
}

/** Units are plain child processes of the controller, in their own process group. */
export class HostRuntime implements UnitRuntime {
  spawn(_unit: string, argv: readonly string[], options: UnitSpawnOptions): ChildProcess {
    const [command, ...args] = argv;
    if (command === undefined) throw new TypeError('no command to spawn');
    return spawn(command, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  }
}

/** A probe for charms without a real workload: every container is ready at once. */
export class ImmediateWorkloadProbe implements WorkloadProbe {
  async probe(): Promise<WorkloadAnswer> {
    return { ready: true };
  }
}

/**
 * Signal a dispatch and everything it started: the whole process group when the child leads
 * one (a pid only names a group while its leader is that very process), else the child alone.
 */
export function signalProcessTree(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
    return;
  } catch {
    // Not a group leader (or already gone): fall back to the process itself.
  }
  try {
    child.kill(signal);
  } catch {
    // Already gone.
  }
}
