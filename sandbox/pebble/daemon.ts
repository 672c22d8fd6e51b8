/**
 * The Pebble daemon's parts wired together: notices, the task runner, the plan, services,
 * checks and exec, plus the small persisted state (notices, id counters) in the state dir.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger, type Logger } from '../../src/logging.ts';
import { CheckManager } from './checks/manager.ts';
import { PebbleStartError } from './errors.ts';
import { ExecManager } from './exec/manager.ts';
import { makeHostPath, type HostPath } from './files/paths.ts';
import { LokiForwarder } from './logs/loki-forwarder.ts';
import { PlanManager } from './plan/manager.ts';
import { ServiceManager } from './services/manager.ts';
import { StateEngine } from './state/engine.ts';
import { NoticeStore } from './state/notices.ts';
import { Timers } from './util/timers.ts';

export interface DaemonOptions {
  stateDir: string;
  rootDir?: string | undefined;
  env?: Record<string, string> | undefined;
  layersDir?: string | undefined;
  logger?: Logger | undefined;
  /** A service's shutdown/success-shutdown/failure-shutdown action fired. */
  onShutdown?: ((service: string, outcome: 'success' | 'failure') => void) | undefined;
}

export const PEBBLE_VERSION = '1.32.1';

export class Daemon {
  readonly logger: Logger;
  readonly bootId = randomUUID();
  readonly pebbleEnv: Record<string, string>;
  readonly hostPath: HostPath;
  readonly notices = new NoticeStore();
  readonly engine: StateEngine;
  readonly plans: PlanManager;
  readonly services: ServiceManager;
  readonly checks: CheckManager;
  readonly execs: ExecManager;
  readonly logForwarder: LokiForwarder;
  private readonly timers = new Timers();
  private readonly statePath: string;
  private persistTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: DaemonOptions) {
    this.logger = options.logger ?? createLogger({ level: process.env['PEBBLE_LOG_LEVEL'] ?? 'warn', base: { component: 'sandbox-pebble' } });
    this.pebbleEnv = { ...(options.env ?? (process.env as Record<string, string>)) };
    this.hostPath = makeHostPath(options.rootDir ?? '/');
    this.statePath = join(options.stateDir, 'state.json');
    this.engine = new StateEngine(this.notices, this.logger);
    this.plans = new PlanManager(join(options.stateDir, 'layers.json'));
    this.services = new ServiceManager(this.plans, this.engine, {
      pebbleEnv: this.pebbleEnv,
      hostPath: this.hostPath,
      timers: this.timers,
      logger: this.logger,
      onShutdown: (service, outcome) => {
        this.logger.warn({ service, outcome }, 'service requested a Pebble shutdown (ignored by the sandbox)');
        options.onShutdown?.(service, outcome);
      },
    });
    this.checks = new CheckManager(
      this.engine,
      this.plans,
      { pebbleEnv: this.pebbleEnv, hostPath: this.hostPath },
      (name) => this.services.checkFailed(name),
      this.logger,
    );
    this.execs = new ExecManager(this.engine, this.pebbleEnv, this.hostPath, this.logger);
    this.logForwarder = new LokiForwarder((names) => this.services.logBuffers(names), this.logger);
  }

  /** Load persisted state and the plan, then start the plan's checks. */
  start(): void {
    try {
      mkdirSync(this.options.stateDir, { recursive: true });
      if (existsSync(this.statePath)) {
        const saved = JSON.parse(readFileSync(this.statePath, 'utf8')) as {
          notices?: Parameters<NoticeStore['load']>[0];
          counters?: Parameters<StateEngine['loadCounters']>[0];
        };
        if (saved.notices) this.notices.load(saved.notices);
        if (saved.counters) this.engine.loadCounters(saved.counters);
      }
      this.plans.load(this.options.layersDir);
    } catch (err) {
      throw new PebbleStartError(`cannot load Pebble state: ${(err as Error).message}`, { cause: err });
    }
    this.notices.onChange = () => this.schedulePersist();
    this.engine.onCountersChanged = () => this.schedulePersist();
    this.plans.onPlanChanged((plan) => this.checks.planChanged(plan));
    this.checks.planChanged(this.plans.plan());
    this.plans.onPlanChanged((plan) => this.logForwarder.planChanged(plan));
    this.logForwarder.planChanged(this.plans.plan());
  }

  private schedulePersist(): void {
    if (this.persistTimer) return;
    this.persistTimer = setTimeout(() => {
      this.persistTimer = undefined;
      this.persist();
    }, 50);
  }

  private persist(): void {
    const tmp = `${this.statePath}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify({ notices: this.notices.toJSON(), counters: this.engine.getCounters() }));
      renameSync(tmp, this.statePath);
    } catch (err) {
      this.logger.warn({ err }, 'cannot persist Pebble state');
    }
  }

  /** Stop checks, execs and services (SIGTERM, then SIGKILL after kill-delay), persist state. */
  async stop(): Promise<void> {
    this.timers.clearAll();
    this.logForwarder.stop();
    this.execs.closeAll();
    await Promise.all([this.engine.stop(), this.services.terminateAll()]);
    this.notices.wakeAll();
    if (this.persistTimer) clearTimeout(this.persistTimer);
    this.persistTimer = undefined;
    this.persist();
  }
}
