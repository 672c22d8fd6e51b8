/**
 * One supervised service: Pebble's per-service state machine (initial → starting → running,
 * with terminating/killing on stop, backoff and exited after unexpected exits), driving a real
 * child process in its own process group.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import type { Logger } from '../../../src/logging.ts';
import { PebbleError } from '../errors.ts';
import { serviceBackoffDelay, serviceBackoffFactor, serviceBackoffLimit, serviceKillDelay, type Service } from '../plan/types.ts';
import { lookPath, parseServiceCommand } from '../util/command.ts';
import { MS } from '../util/go-duration.ts';
import { nowNs } from '../util/go-time.ts';
import { exitCodeOf, signalGroup, signalNumber, signalProcess, spawnProcess } from '../util/spawn.ts';
import { Deferred, type Timers } from '../util/timers.ts';
import { lookupUserId, normalizeUidGid } from '../util/users.ts';
import { LogBuffer } from './log-buffer.ts';

export type ServiceState = 'initial' | 'starting' | 'running' | 'terminating' | 'killing' | 'stopped' | 'backoff' | 'exited';
export type ServiceStatus = 'active' | 'inactive' | 'backoff' | 'error';

const OKAY_DELAY_MS = 1000;
const FAIL_DELAY_MS = 5000;

export function statusOf(state: ServiceState): ServiceStatus {
  switch (state) {
    case 'starting':
    case 'running':
      return 'active';
    case 'terminating':
    case 'killing':
    case 'stopped':
      return 'inactive';
    case 'backoff':
      return 'backoff';
    default:
      return 'error';
  }
}

export interface ServiceContext {
  pebbleEnv: Record<string, string>;
  /** Map a path as the workload sees it to the host path under rootDir. */
  hostPath: (path: string) => string;
  timers: Timers;
  logger: Logger;
  /** A shutdown action fired (Pebble would exit with success/failure). */
  onShutdown: (service: string, outcome: 'success' | 'failure') => void;
}

export class ServiceError extends PebbleError {
  constructor(message: string) {
    super('pebble-service', message);
  }
}

export class ServiceRuntime {
  state: ServiceState = 'initial';
  currentSince = 0n;
  restarting = false;
  readonly logs: LogBuffer;
  private child: ChildProcess | undefined;
  private exitPromise: Promise<void> | undefined;
  private backoffNum = 0;
  private backoffTime = 0;
  private resetTimer: NodeJS.Timeout | undefined;
  private started: Deferred<string | null> | undefined;
  private stopped: Deferred<string | null> | undefined;

  constructor(
    public config: Service,
    private readonly ctx: ServiceContext,
  ) {
    this.logs = new LogBuffer(config.name);
  }

  get name(): string {
    return this.config.name;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  transition(state: ServiceState, restarting = false): void {
    if (statusOf(this.state) !== statusOf(state)) this.currentSince = nowNs();
    this.state = state;
    this.restarting = restarting;
  }

  /** Reset backoff when a start is requested for a backing-off/stopped/exited service. */
  resetForStart(): void {
    this.backoffNum = 0;
    this.backoffTime = 0;
    this.transition('initial');
  }

  /** Start from the initial state; resolves (via the returned deferred) after the okay delay. */
  start(): Deferred<string | null> {
    if (this.state !== 'initial') throw new ServiceError(`cannot start service while ${this.state}`);
    this.started = new Deferred();
    try {
      this.startInternal();
    } catch (err) {
      this.transition('stopped');
      throw err;
    }
    this.transition('starting');
    this.ctx.timers.after(OKAY_DELAY_MS, () => this.okayWaitElapsed());
    return this.started;
  }

  private buildEnvironment(uid: number | undefined): Record<string, string> {
    const env: Record<string, string> = { ...this.ctx.pebbleEnv, ...(this.config.environment ?? {}) };
    if (uid !== undefined && (!this.config.environment?.['HOME'] || !this.config.environment?.['USER'])) {
      const entry = lookupUserId(uid);
      if (entry) {
        if (!this.config.environment?.['HOME']) env['HOME'] = entry.home;
        if (!this.config.environment?.['USER']) env['USER'] = entry.name;
      }
    }
    return env;
  }

  private startInternal(): void {
    const { base, extra } = parseServiceCommand(this.name, this.config.command ?? '');
    const argv = [...base, ...extra];
    const ids = normalizeUidGid(this.config);
    const env = this.buildEnvironment(ids?.uid);
    const workingDir = this.config.workingDir;
    const cwd = this.ctx.hostPath(workingDir ?? '/');
    if (workingDir && !(existsSync(cwd) && statSync(cwd).isDirectory())) {
      throw new ServiceError(`cannot start service: chdir ${workingDir}: no such file or directory`);
    }
    const name = argv[0] ?? '';
    const resolved = lookPath(name, this.ctx.pebbleEnv['PATH']);
    if (!resolved) {
      throw new ServiceError(
        name.includes('/')
          ? `cannot start service: fork/exec ${name}: no such file or directory`
          : `cannot start service: exec: "${name}": executable file not found in $PATH`,
      );
    }
    let child: ChildProcess;
    try {
      child = spawnProcess({ argv: [resolved, ...argv.slice(1)], argv0: name, env, cwd, ids, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      throw new ServiceError(`cannot start service: ${(err as Error).message}`);
    }
    this.ctx.logger.info({ service: this.name, pid: child.pid }, `service "${this.name}" starting: ${this.config.command}`);
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => this.logs.write(chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.logs.write(chunk));
    child.stdout?.on('end', () => this.logs.flush());
    let reported = false;
    this.exitPromise = new Promise((resolve) => {
      const report = (code: number) => {
        if (reported) return;
        reported = true;
        resolve();
        if (this.child === child) this.exited(code);
      };
      child.on('exit', (code, signal) => report(exitCodeOf(code, signal)));
      child.on('error', (err) => {
        this.ctx.logger.warn({ err, service: this.name }, 'service process error');
        if (child.pid === undefined) report(127);
      });
    });
    this.ctx.timers.cancel(this.resetTimer);
    this.resetTimer = this.ctx.timers.after(serviceBackoffLimit(this.config) / MS, () => this.backoffResetElapsed());
  }

  private okayWaitElapsed(): void {
    if (this.state !== 'starting') return;
    this.started?.resolve(null);
    this.transition('running');
  }

  private action(success: boolean): { action: string; onType: string } {
    const action = (success ? this.config.onSuccess : this.config.onFailure) || 'restart';
    return { action, onType: success ? 'on-success' : 'on-failure' };
  }

  private exited(exitCode: number): void {
    this.ctx.timers.cancel(this.resetTimer);
    const { action, onType } = this.action(exitCode === 0);
    if (this.state === 'starting') this.started?.resolve(`exited quickly with code ${exitCode}, will ${action}`);
    switch (this.state) {
      case 'starting':
      case 'running':
        this.ctx.logger.info({ service: this.name, exitCode }, `service "${this.name}" stopped unexpectedly`);
        if (action === 'ignore') this.transition(exitCode === 0 ? 'stopped' : 'exited');
        else if (action === 'restart') this.doBackoff(action, onType);
        else {
          const success = action === 'success-shutdown' || (action === 'shutdown' && exitCode === 0);
          this.ctx.onShutdown(this.name, success ? 'success' : 'failure');
          this.transition('exited');
        }
        return;
      case 'terminating':
      case 'killing':
        if (this.restarting) this.doBackoff('restart', 'on-check-failure');
        else {
          this.stopped?.resolve(null);
          this.transition('stopped');
        }
        return;
      case 'stopped':
        return; // SIGKILL after an aborted start
      default:
        this.ctx.logger.error({ service: this.name, state: this.state }, 'service exited in an unexpected state');
    }
  }

  private doBackoff(action: string, onType: string): void {
    this.backoffNum += 1;
    const config = this.config;
    if (this.backoffTime === 0) this.backoffTime = serviceBackoffDelay(config);
    else if (this.backoffTime < serviceBackoffLimit(config)) {
      this.backoffTime = Math.min(this.backoffTime * serviceBackoffFactor(config), serviceBackoffLimit(config));
    }
    const jitter = Math.random() * 0.1 * this.backoffTime;
    this.ctx.logger.info(
      { service: this.name, backoff: this.backoffNum },
      `service "${this.name}" ${onType} action is "${action}", waiting before restart`,
    );
    this.transition('backoff');
    this.ctx.timers.after((this.backoffTime + jitter) / MS, () => this.backoffTimeElapsed());
  }

  private backoffTimeElapsed(): void {
    if (this.state !== 'backoff') return;
    try {
      this.startInternal();
    } catch (err) {
      this.ctx.logger.warn({ err, service: this.name }, 'cannot restart service after backoff');
      return;
    }
    this.transition('running');
  }

  private backoffResetElapsed(): void {
    if (this.state !== 'running') return;
    this.backoffNum = 0;
    this.backoffTime = 0;
  }

  /** Begin stopping; the returned deferred resolves with null or an error message. */
  stop(): Deferred<string | null> {
    this.stopped = new Deferred();
    if (this.state === 'starting') this.started?.resolve('stopped before the 1s okay delay');
    switch (this.state) {
      case 'starting':
      case 'running':
        signalGroup(this.pid, 'SIGTERM');
        this.transition('terminating');
        this.ctx.timers.after(serviceKillDelay(this.config) / MS, () => this.terminateTimeElapsed());
        break;
      case 'backoff':
        this.stopped.resolve(null);
        this.transition('stopped');
        break;
      default:
        throw new ServiceError(`cannot stop service while ${this.state}`);
    }
    return this.stopped;
  }

  private terminateTimeElapsed(): void {
    if (this.state !== 'terminating') return;
    signalGroup(this.pid, 'SIGKILL');
    this.transition('killing', this.restarting);
    this.ctx.timers.after(FAIL_DELAY_MS, () => this.killTimeElapsed());
  }

  private killTimeElapsed(): void {
    if (this.state !== 'killing') return;
    if (!this.restarting) this.stopped?.resolve('process still running after SIGTERM and SIGKILL');
    this.transition('stopped');
  }

  /** Abort of a start task: kill the whole group at once. */
  abortStart(): void {
    this.transition('stopped');
    signalGroup(this.pid, 'SIGKILL');
  }

  sendSignal(name: string): void {
    if (this.state === 'starting' || this.state === 'running') {
      if (signalNumber(name) === undefined) throw new ServiceError(`invalid signal name "${name}"`);
      signalProcess(this.pid, name as NodeJS.Signals);
      return;
    }
    if (this.state === 'initial') throw new ServiceError(`invalid in state "${this.state}"`);
    throw new ServiceError('service is not running');
  }

  /** on-check-failure handling for one of this service's checks. */
  checkFailed(action: string): void {
    if (this.state !== 'running' && this.state !== 'backoff' && this.state !== 'exited') return;
    if (action === 'shutdown' || action === 'success-shutdown') {
      this.ctx.onShutdown(this.name, action === 'shutdown' ? 'failure' : 'success');
    } else if (action === 'restart') {
      if (this.state === 'running') {
        signalGroup(this.pid, 'SIGTERM');
        this.transition('terminating', true);
        this.ctx.timers.after(serviceKillDelay(this.config) / MS, () => this.terminateTimeElapsed());
      } else if (this.state === 'exited') {
        this.doBackoff(action, 'on-check-failure');
      }
    }
  }

  /** Server shutdown: SIGTERM the group, SIGKILL after kill-delay, wait for the exit. */
  async terminate(): Promise<void> {
    const exit = this.exitPromise;
    const alive = this.child && this.child.exitCode === null && this.child.signalCode === null;
    this.transition('stopped');
    // Release start/stop tasks still waiting on this service.
    this.started?.resolve('pebble is stopping');
    this.stopped?.resolve(null);
    if (!alive || !exit) {
      // The leader is gone but descendants may linger in its process group.
      signalGroup(this.pid, 'SIGKILL');
      return;
    }
    signalGroup(this.pid, 'SIGTERM');
    const timeout = (ms: number) => new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms).unref());
    if ((await Promise.race([exit, timeout(serviceKillDelay(this.config) / MS)])) === 'timeout') {
      signalGroup(this.pid, 'SIGKILL');
      await Promise.race([exit, timeout(FAIL_DELAY_MS)]);
    }
  }
}
