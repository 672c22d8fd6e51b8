/**
 * The service manager: service status for the API, start/stop tasks (one per service, chained
 * within a lane), replan's change detection, signals, and on-check-failure dispatch.
 */
import type { PlanManager } from '../plan/manager.ts';
import { startOrder, stopOrder } from '../plan/order.ts';
import { canonical, type Service } from '../plan/types.ts';
import type { Task } from '../state/change.ts';
import type { StateEngine } from '../state/engine.ts';
import { formatRfc3339Nano } from '../util/go-time.ts';
import type { LogBuffer } from './log-buffer.ts';
import { ServiceError, ServiceRuntime, statusOf, type ServiceContext } from './service.ts';

export interface ServiceInfo {
  name: string;
  startup: 'enabled' | 'disabled';
  current: string;
  'current-since'?: string;
}

const LAST_LOG_LINES = 20;

function abortPromise(signal: AbortSignal): Promise<'aborted'> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve('aborted');
    else signal.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
}

export class ServiceManager {
  private readonly runtimes = new Map<string, ServiceRuntime>();

  constructor(
    private readonly plans: PlanManager,
    private readonly engine: StateEngine,
    private readonly ctx: ServiceContext,
  ) {}

  private get planServices(): Record<string, Service> {
    return this.plans.plan().services;
  }

  /** GET /v1/services: plan services sorted by name; unknown names skipped. */
  infos(names: string[]): ServiceInfo[] {
    return Object.keys(this.planServices)
      .filter((name) => names.length === 0 || names.includes(name))
      .sort()
      .map((name) => {
        const config = this.planServices[name] as Service;
        const runtime = this.runtimes.get(name);
        const info: ServiceInfo = {
          name,
          startup: config.startup === 'enabled' ? 'enabled' : 'disabled',
          current: runtime ? statusOf(runtime.state) : 'inactive',
        };
        if (runtime && runtime.currentSince !== 0n) info['current-since'] = formatRfc3339Nano(runtime.currentSince);
        return info;
      });
  }

  defaultServiceNames(): string[] {
    const enabled = Object.values(this.planServices)
      .filter((s) => s.startup === 'enabled')
      .map((s) => s.name);
    return startOrder(this.planServices, enabled).flat();
  }

  startOrder(names: string[]): string[][] {
    return startOrder(this.planServices, names);
  }

  stopOrder(names: string[]): string[][] {
    return stopOrder(this.planServices, names);
  }

  /** Services to stop (config changed since start) and to start (changed or enabled). */
  replan(): { stopLanes: string[][]; startLanes: string[][] } {
    const needsRestart = new Set<string>();
    for (const [name, runtime] of this.runtimes) {
      const config = this.planServices[name];
      if (config) {
        if (canonical(config) === canonical(runtime.config)) continue;
        runtime.config = structuredClone(config);
      }
      needsRestart.add(name);
    }
    const start = Object.values(this.planServices)
      .filter((s) => needsRestart.has(s.name) || s.startup === 'enabled')
      .map((s) => s.name);
    const stopLanes = stopOrder(this.planServices, [...needsRestart].filter((n) => this.planServices[n]));
    return { stopLanes, startLanes: startOrder(this.planServices, start) };
  }

  private laneTasks(lanes: string[][], kind: 'start' | 'stop'): Task[] {
    const tasks: Task[] = [];
    for (const lane of lanes) {
      const laneId = this.engine.newLane();
      let previous: Task | undefined;
      for (const name of lane) {
        const verb = kind === 'start' ? 'Start' : 'Stop';
        const handler = kind === 'start' ? this.doStart.bind(this, name) : this.doStop.bind(this, name);
        const task = this.engine.newTask(kind, `${verb} service "${name}"`, (t, signal) => handler(t, signal));
        task.lanes.push(laneId);
        if (previous) task.waitFor(previous);
        previous = task;
        tasks.push(task);
      }
    }
    return tasks;
  }

  startTasks(lanes: string[][]): Task[] {
    return this.laneTasks(lanes, 'start');
  }

  stopTasks(lanes: string[][]): Task[] {
    return this.laneTasks(lanes, 'stop');
  }

  private serviceForStart(config: Service): { runtime?: ServiceRuntime; log?: string } {
    let runtime = this.runtimes.get(config.name);
    if (!runtime) {
      runtime = new ServiceRuntime(structuredClone(config), this.ctx);
      this.runtimes.set(config.name, runtime);
      return { runtime };
    }
    runtime.config = structuredClone(config);
    switch (runtime.state) {
      case 'initial':
      case 'starting':
      case 'running':
        return { log: `Service "${config.name}" already started.` };
      case 'backoff':
      case 'stopped':
      case 'exited':
        runtime.resetForStart();
        return { runtime };
      default:
        return { runtime };
    }
  }

  private async doStart(name: string, task: Task, signal: AbortSignal): Promise<void> {
    const config = this.planServices[name];
    if (!config) throw new ServiceError(`cannot find service "${name}" in plan`);
    const { runtime, log } = this.serviceForStart(config);
    if (log) task.logf(log);
    if (!runtime) return;
    const started = runtime.start();
    const result = await Promise.race([started.promise, abortPromise(signal)]);
    if (result === 'aborted') {
      runtime.abortStart();
      throw new ServiceError('start aborted, sent SIGKILL to process');
    }
    if (result !== null) {
      const lines = runtime.logs.lastLines(LAST_LOG_LINES + 1);
      if (lines.length > LAST_LOG_LINES) lines[0] = '(...)';
      if (lines.length > 0) task.logf(`Most recent service output:\n${lines.map((l) => `    ${l}`).join('\n')}`);
      throw new ServiceError(`service start attempt: ${result}`);
    }
  }

  private serviceForStop(name: string): { runtime?: ServiceRuntime; log?: string } {
    const runtime = this.runtimes.get(name);
    if (!runtime) return { log: `Service "${name}" has never been started.` };
    switch (runtime.state) {
      case 'terminating':
      case 'killing':
        return { log: `Service "${name}" already stopping.` };
      case 'stopped':
        return { log: `Service "${name}" already stopped.` };
      case 'exited':
        runtime.transition('stopped');
        return { log: `Service "${name}" had already exited.` };
      default:
        return { runtime };
    }
  }

  private async doStop(name: string, task: Task): Promise<void> {
    const { runtime, log } = this.serviceForStop(name);
    if (log) task.logf(log);
    if (!runtime) return;
    const result = await runtime.stop().promise;
    if (result !== null) throw new ServiceError(`cannot stop service: ${result}`);
  }

  /** POST /v1/signals; errors for all services joined with "; ". */
  sendSignal(names: string[], signal: string): void {
    const errors: string[] = [];
    for (const name of names) {
      const runtime = this.runtimes.get(name);
      if (!runtime) {
        errors.push(`cannot send signal to "${name}": service is not running`);
        continue;
      }
      try {
        runtime.sendSignal(signal);
      } catch (err) {
        errors.push(`cannot send signal to "${name}": ${(err as Error).message}`);
      }
    }
    if (errors.length > 0) throw new ServiceError(errors.join('; '));
  }

  /** A check hit its failure threshold: apply every service's on-check-failure action for it. */
  checkFailed(checkName: string): void {
    for (const runtime of this.runtimes.values()) {
      const action = runtime.config.onCheckFailure?.[checkName];
      if (action) runtime.checkFailed(action);
    }
  }

  logBuffers(names: string[]): LogBuffer[] {
    return [...this.runtimes.values()].filter((r) => names.includes(r.name)).map((r) => r.logs);
  }

  /** Stop every process (server shutdown). */
  async terminateAll(): Promise<void> {
    await Promise.all([...this.runtimes.values()].map((r) => r.terminate()));
  }
}
