import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../../src/errors.ts';
import { createLogger, type Logger } from '../../src/logging.ts';
import { HookToolAgent } from '../juju/agent.ts';
import { charmMetaFromYaml } from '../juju/charm-meta.ts';
import {
  type Action,
  addApplication,
  addRelation,
  addUnit,
  type ConfigValue,
  createModel,
  enqueueAction,
  getAction,
  getUnit,
  type Model,
  ModelStore,
  removeUnit as removeModelUnit,
  setConfig as setModelConfig,
  setLeader,
  status,
} from '../juju/model.ts';
import { installToolLinks } from '../juju/tool-links.ts';
import { type ControllerState, ControllerStateSchema, ControllerStateStore } from './controller-state.ts';
import { endOrphanedDispatches } from './controller-recovery.ts';
import { DebugLog, progressNote } from './debug-log.ts';
import { DispatchRunner } from './dispatch-runner.ts';
import { ControllerError } from './errors.ts';
import type { EventLog, ProgressEvent, ProgressListener } from './event-log.ts';
import { DEFAULT_API_ADDRESSES, DEFAULT_JUJU_VERSION, defaultBasePath } from './hook-environment.ts';
import { chooseLeader } from './leader-choice.ts';
import { Lifecycle, type UnitLifecycle } from './lifecycle.ts';
import type { RunningDispatch } from './orphans.ts';
import { type HookEvent, hookEvent } from './queued-event.ts';
import { ActionWaiters, type ControllerStatus, findRelation, restoreModelState, unitProgress } from './controller-support.ts';
import { HostRuntime, ImmediateWorkloadProbe, type ModelCluster, type UnitRuntime, type WorkloadNotices, type WorkloadProbe } from './runtime.ts';
import { NoticeWatcher } from './notice-watcher.ts';
import { type RetryPolicy, Scheduler } from './scheduler.ts';
import { type SecretTriggerState, SecretTriggers } from './secret-triggers.ts';
import { UnitCharmDirs } from './unit-charm-dir.ts';
import { WorkloadWatcher } from './workload-watcher.ts';

/**
 * The sandbox's Juju controller: the model and its store, the hook-tool agent, the per-unit
 * scheduler and the unit runtime, behind the operations the CLI offers (deploy, add-unit,
 * integrate, config, run...). Everything it knows is saved under the state dir, so a new
 * controller opened on the same dir carries on where the last one stopped.
 */

export interface ControllerOptions {
  stateDir: string;
  runtime?: UnitRuntime;
  probe?: WorkloadProbe;
  /** Name of a new model (an existing one keeps its own). */
  modelName?: string;
  updateStatusIntervalMs?: number;
  retry?: RetryPolicy;
  probeIntervalMs?: number;
  jujuVersion?: string;
  /** PATH after the hook-tool dir; must reach `node`. */
  basePath?: string;
  /** Variables for a unit's dispatches on top of its application's deploy-time env. */
  unitEnv?: (unit: string) => Record<string, string>;
  /** The model's Kubernetes control plane, if it has one (told of applications and trust). */
  cluster?: ModelCluster;
  /** How long stop() lets running hooks finish before killing them. */
  stopGraceMs?: number;
  /** Makes the choice of leaders repeatable (leader-choice.ts); default `$SANDBOX_LEADER_SEED`, else random. */
  leaderSeed?: string;
  /** The clock secret-rotate and secret-expired go by (a test may move it on). */
  secretClock?: () => Date;
  /** How often rotations and expiries are checked; 1 s by default. */
  secretCheckIntervalMs?: number;
  /** The workloads' Pebble notices, turned into `<container>-pebble-custom-notice` and check hooks (none without). */
  notices?: WorkloadNotices;
  /** How long one notice query waits, and how long after a failed one the next starts (30 s, 1 s). */
  noticeWaitMs?: number;
  noticeRetryMs?: number;
  logger?: Logger;
}

export interface DeployOptions {
  app: string;
  charmDir: string;
  units?: number;
  config?: Record<string, ConfigValue>;
  /** Passed through to every dispatch of the application's units. */
  env?: Record<string, string>;
  trust?: boolean;
}

export type { ControllerStatus, UnitProgress } from './controller-support.ts';

export class Controller {
  private readonly runner: DispatchRunner;
  private readonly scheduler: Scheduler;
  private readonly lifecycle: Lifecycle;
  private readonly watcher: WorkloadWatcher;
  private readonly noticeWatcher: NoticeWatcher | null;
  private readonly actionWaiters: ActionWaiters;
  private readonly secretTriggers: SecretTriggers;
  private secretTimer: NodeJS.Timeout | null = null;
  /** By unit: the dispatch running there now (saved, see orphans.ts). */
  private readonly dispatches: Record<string, RunningDispatch> = {};
  private saveScheduled = false;
  private readonly unitCharmDirs: UnitCharmDirs;
  private stopped = false;

  private constructor(
    readonly stateDir: string,
    readonly model: Model,
    private readonly apps: ControllerState['apps'],
    private readonly agent: HookToolAgent,
    private readonly modelStore: ModelStore,
    private readonly stateStore: ControllerStateStore,
    readonly debugLog: DebugLog,
    private readonly options: ControllerOptions & { runtime: UnitRuntime; logger: Logger },
    records: Record<string, UnitLifecycle>,
    secretTriggerState: SecretTriggerState,
  ) {
    this.unitCharmDirs = new UnitCharmDirs(stateDir);
    this.runner = new DispatchRunner({
      agent,
      runtime: options.runtime,
      debugLog,
      environment: {
        jujuVersion: options.jujuVersion ?? DEFAULT_JUJU_VERSION,
        apiAddresses: DEFAULT_API_ADDRESSES,
        availabilityZone: '',
        toolsDir: path.join(stateDir, 'tools'),
        basePath: options.basePath ?? defaultBasePath(),
      },
      charmDir: (unit) => this.unitCharmDirs.ensure(unit, this.appSettings(getUnit(model, unit).app).charmDir),
      extraEnv: (unit) => ({ ...this.appSettings(getUnit(model, unit).app).env, ...options.unitEnv?.(unit) }),
      persist: () => this.persist(),
      tracker: {
        started: (unit, dispatch) => {
          this.dispatches[unit] = dispatch;
          void this.saveNow(); // at once: the controller may die any moment from now on
        },
        finished: (unit) => {
          delete this.dispatches[unit];
          this.persist();
        },
      },
    });
    this.scheduler = new Scheduler({
      run: (event, abort) => this.runner.run(event, abort),
      afterRun: (event, outcome) => {
        this.lifecycle.afterRun(event, outcome.ok, outcome.events);
        if (event.kind === 'hook') this.secretTriggers.afterHook(event, outcome.ok);
        if (event.kind === 'hook' && event.hook === 'start') void this.watcher.poll();
        this.actionWaiters.settle(this.model);
        this.persist();
      },
      periodicUnits: () => this.lifecycle.periodicUnits(),
      busy: () => this.lifecycle.awaitedWorkloads().length > 0 || this.watcher.downWorkloads().length > 0,
      onChange: () => this.persist(),
      retry: options.retry,
      updateStatusIntervalMs: options.updateStatusIntervalMs,
      logger: options.logger,
    });
    this.lifecycle = new Lifecycle({
      model,
      scheduler: this.scheduler,
      log: this.scheduler.log,
      records,
      chooseLeader: (app, candidates) => chooseLeader(app, candidates, this.leaderSeed),
      onUnitRemoved: (unit) => {
        options.runtime.releaseUnit?.(unit).catch((error: unknown) => options.logger.error({ unit, err: errorMessage(error) }, 'cannot release unit'));
        this.unitCharmDirs.remove(unit).catch((error: unknown) => options.logger.error({ unit, err: errorMessage(error) }, 'cannot remove the unit\'s charm dir'));
      },
    });
    this.watcher = new WorkloadWatcher({
      probe: options.probe ?? new ImmediateWorkloadProbe(),
      intervalMs: options.probeIntervalMs ?? 1_000,
      watched: () => this.lifecycle.watchedWorkloads(),
      onAnswer: (unit, container, bootId) => {
        if (!this.lifecycle.workloadReady(unit, container, bootId)) return;
        this.persist();
        this.scheduler.poke();
      },
      onDownChange: () => this.scheduler.poke(),
      logger: options.logger,
    });
    const noticeHooks = (container: string) => ['custom-notice', 'check-failed', 'check-recovered'].map((hook) => `${container}-pebble-${hook}`);
    this.noticeWatcher = options.notices
      ? new NoticeWatcher({
          notices: options.notices,
          watched: () => this.lifecycle.watchedWorkloads(),
          after: (unit, container) => this.lifecycle.records[unit]?.noticesAfter?.[container],
          onNotice: (unit, container, notice) => {
            const record = this.lifecycle.records[unit];
            if (!record || this.model.units[unit]?.life !== 'alive') return;
            record.noticesAfter = { ...record.noticesAfter, [container]: notice.lastRepeated };
            if (notice.hook === 'custom-notice') {
              this.scheduler.enqueue(hookEvent(unit, `${container}-pebble-custom-notice`, { workloadName: container, noticeId: notice.id, noticeType: notice.type, noticeKey: notice.key }));
            } else if (notice.hook !== null) {
              this.scheduler.enqueue(hookEvent(unit, `${container}-pebble-${notice.hook}`, { workloadName: container, ...(notice.checkName === undefined ? {} : { checkName: notice.checkName }) }));
            }
            this.persist();
          },
          pending: (unit, container) => this.scheduler.references((e) => e.kind === 'hook' && e.unit === unit && noticeHooks(container).includes(e.hook)),
          intervalMs: options.probeIntervalMs ?? 1_000,
          waitMs: options.noticeWaitMs,
          retryMs: options.noticeRetryMs,
          logger: options.logger,
        })
      : null;
    this.actionWaiters = new ActionWaiters();
    this.secretTriggers = new SecretTriggers({ model, enqueue: (event) => this.scheduler.enqueue(event), now: options.secretClock, restored: secretTriggerState });
    // What the controller decides outside dispatches goes to the units' debug logs too.
    this.scheduler.log.subscribe((event) => {
      const note = progressNote(event);
      if (note) debugLog.write(note);
    });
  }

  /** Open (or create) the controller in `stateDir` and resume whatever was in progress. */
  static async open(options: ControllerOptions): Promise<Controller> {
    const stateDir = path.resolve(options.stateDir);
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    const logger = options.logger ?? createLogger({ base: { component: 'sandbox-controller' } });
    const modelStore = new ModelStore(stateDir);
    const stateStore = new ControllerStateStore(stateDir);
    const model = (await modelStore.load()) ?? createModel({ name: options.modelName ?? 'sandbox' });
    const state = (await stateStore.load()) ?? ControllerStateSchema.parse({});
    restoreModelState(model, state);
    const debugLog = new DebugLog(path.join(stateDir, 'logs'));
    await installToolLinks(path.join(stateDir, 'tools'));
    let controller: Controller | undefined;
    const agent = await HookToolAgent.start({
      socketPath: path.join(stateDir, 'agent.socket'),
      model,
      store: modelStore,
      logger,
      onLog: (entry) => {
        const running = controller?.scheduler.runningEvents()[entry.unit];
        const hook = running === undefined ? '' : running.kind === 'hook' ? running.hook : `action:${running.name}`;
        debugLog.write({ time: entry.timestamp, unit: entry.unit, hook, stream: 'juju-log', level: entry.level, line: entry.message });
      },
    });
    const runtime = options.runtime ?? new HostRuntime();
    controller = new Controller(stateDir, model, state.apps, agent, modelStore, stateStore, debugLog, { ...options, runtime, logger }, state.units, state.secretTriggers);
    controller.scheduler.restore(state.queues);
    // The cluster knows every application (and its trust) before any of their hooks runs again.
    for (const app of Object.values(model.applications)) options.cluster?.applicationDeployed(app.name, app.trusted);
    // Before any hook runs again: end what the last controller left running of them.
    await endOrphanedDispatches(state.dispatches, { log: controller.scheduler.log, logger });
    await controller.saveNow();
    controller.scheduler.start();
    controller.watcher.start();
    controller.noticeWatcher?.start();
    controller.secretTimer = setInterval(() => controller.checkSecrets(), options.secretCheckIntervalMs ?? 1_000);
    return controller;
  }

  /** `juju deploy`: the application, its units, and each unit's install..start sequence. */
  async deploy(options: DeployOptions): Promise<string[]> {
    this.assertRunning();
    const charmDir = path.resolve(options.charmDir);
    const read = (file: string) => readFile(path.join(charmDir, file), 'utf8').catch(() => undefined);
    const metadata = await read('metadata.yaml');
    if (metadata === undefined) throw new ControllerError(`no metadata.yaml in ${charmDir}`);
    const charm = charmMetaFromYaml({ metadata, config: await read('config.yaml'), actions: await read('actions.yaml') });
    addApplication(this.model, { name: options.app, charm, config: options.config, trusted: options.trust });
    this.apps[options.app] = { charmDir, env: options.env ?? {} };
    this.options.cluster?.applicationDeployed(options.app, options.trust ?? false);
    this.scheduler.log.add({ unit: '', type: 'model', what: `deployed ${options.app} from ${charmDir}` });
    return this.addUnit(options.app, options.units ?? 1);
  }

  private get leaderSeed(): string | undefined {
    return this.options.leaderSeed ?? process.env['SANDBOX_LEADER_SEED'];
  }

  /** `juju add-unit`. */
  async addUnit(appName: string, count = 1): Promise<string[]> {
    this.assertRunning();
    this.appSettings(appName);
    const names: string[] = [];
    const hadLeader = this.model.applications[appName]?.leader !== null;
    for (let i = 0; i < count; i++) {
      const unit = addUnit(this.model, appName);
      try {
        const prepared = await this.options.runtime.prepareUnit?.(unit.name);
        if (prepared?.address) unit.address = prepared.address;
        for (const storage of unit.storage) storage.location = prepared?.storage?.[storage.name] ?? storage.location;
      } catch (error) {
        removeModelUnit(this.model, unit.name);
        this.persist();
        throw new ControllerError(`cannot prepare unit ${unit.name}`, { cause: error });
      }
      this.scheduler.log.add({ unit: unit.name, type: 'model', what: 'unit added' });
      names.push(unit.name);
    }
    // The model made the first new unit leader; in Juju whichever agent claims first leads.
    const leader = hadLeader ? undefined : chooseLeader(appName, names, this.leaderSeed);
    if (leader !== undefined) {
      setLeader(this.model, appName, leader);
      this.scheduler.log.add({ unit: leader, type: 'model', what: 'elected leader' });
    }
    for (const name of names) this.lifecycle.deployUnit(name);
    this.persist();
    return names;
  }

  /** `juju remove-unit`; `force` skips the unit's own hooks (the others still see it depart). */
  async removeUnit(unitName: string, options: { force?: boolean } = {}): Promise<void> {
    this.assertRunning();
    getUnit(this.model, unitName);
    this.lifecycle.removeUnit(unitName);
    if (options.force) {
      this.scheduler.drop((e) => e.unit === unitName, 'unit removed with --force');
      // Its pod goes, and a hook it runs (however long it has hung: Juju has no hook timeout) with it.
      this.scheduler.abortRunning(unitName);
      await this.scheduler.whenNotRunning(unitName);
      if (this.model.units[unitName]) this.lifecycle.leaveModel(unitName);
      this.actionWaiters.settle(this.model);
    }
    this.persist();
  }

  /**
   * Leadership moves from the live leader to `to` (or another live unit), as when the leader's
   * lease expires; see Lifecycle.moveLeadership. Returns the new leader.
   */
  moveLeadership(appName: string, to?: string): string {
    this.assertRunning();
    const leader = this.lifecycle.moveLeadership(appName, to);
    this.persist();
    return leader;
  }

  /** `juju config app key=value...` (null resets); returns the options whose value changed. */
  setConfig(appName: string, values: Record<string, ConfigValue | null>): string[] {
    this.assertRunning();
    const changed = setModelConfig(this.model, appName, values);
    if (changed.length > 0) this.lifecycle.configChanged(appName);
    this.persist();
    return changed;
  }

  /**
   * `juju trust <app> [--scope=cluster]` (`trusted: false` is `--remove`): the application's
   * service account may then use the whole API. Trust is an application setting, and the uniter
   * runs config-changed when its hash changes as for any setting (TrustHash next to ConfigHash in
   * worker/uniter/resolver.go, https://github.com/juju/juju), which is how a charm Blocked on a
   * 403 learns that it may retry. Returns whether the setting changed.
   */
  trust(appName: string, trusted = true): boolean {
    this.assertRunning();
    const app = this.model.applications[appName];
    if (!app) throw new ControllerError(`application "${appName}" not found`);
    this.options.cluster?.trustChanged(appName, trusted);
    if (app.trusted === trusted) return false;
    app.trusted = trusted;
    this.scheduler.log.add({ unit: '', type: 'model', what: `${trusted ? 'trusted' : 'removed trust from'} ${appName}` });
    this.lifecycle.configChanged(appName);
    this.persist();
    return true;
  }

  /** `juju integrate a b` (`app` or `app:endpoint` each); returns the relation id. */
  relate(first: string, second: string): number {
    this.assertRunning();
    const relation = addRelation(this.model, first, second);
    this.scheduler.log.add({ unit: '', type: 'model', what: `related ${first} ${second} (relation ${relation.id})` });
    this.lifecycle.related(relation);
    this.persist();
    return relation.id;
  }

  /** `juju remove-relation`, by id or by the two endpoints. */
  removeRelation(target: number | [string, string]): void {
    this.assertRunning();
    const relation = findRelation(this.model, target);
    this.scheduler.log.add({ unit: '', type: 'model', what: `removing relation ${relation.id}` });
    this.lifecycle.removeRelation(relation.id);
    this.persist();
  }

  /** Queue an action; it runs in order with the unit's hooks. */
  enqueueAction(unitName: string, name: string, params: Record<string, unknown> = {}): Action {
    this.assertRunning();
    if (this.model.units[unitName]?.life !== 'alive') throw new ControllerError(`unit "${unitName}" is not alive`);
    const action = enqueueAction(this.model, unitName, name, params);
    this.scheduler.enqueue({ kind: 'action', unit: unitName, actionId: action.id, name });
    this.persist();
    return structuredClone(action);
  }

  /** `juju run unit action`: queue it and resolve with the finished action record. */
  async runAction(unitName: string, name: string, params: Record<string, unknown> = {}, options: { timeoutMs?: number } = {}): Promise<Action> {
    const action = this.enqueueAction(unitName, name, params);
    return this.waitForAction(action.id, options);
  }

  waitForAction(id: string, options: { timeoutMs?: number } = {}): Promise<Action> {
    getAction(this.model, id);
    const wait = this.actionWaiters.wait(id, options.timeoutMs);
    this.actionWaiters.settle(this.model);
    return wait;
  }

  getAction(id: string): Action {
    return structuredClone(getAction(this.model, id));
  }

  /** `juju resolved`: retry the unit's failed hook now, or with `retry: false` skip it. */
  resolve(unitName: string, options: { retry?: boolean } = {}): boolean {
    const unit = getUnit(this.model, unitName);
    if (options.retry !== false) return this.scheduler.retryNow(unitName);
    if (!this.scheduler.resolve(unitName)) return false;
    if (unit.agentStatus.status === 'error') unit.agentStatus = status('idle');
    this.persist();
    return true;
  }

  /**
   * Chaos: kill every process of these units' pods (all when undefined), as a node restart
   * would. The runtime restarts their Pebbles; pebble-ready fires again once they answer.
   */
  async killUnits(units?: readonly string[]): Promise<number> {
    this.assertRunning();
    for (const unit of units ?? []) getUnit(this.model, unit);
    const kill = this.options.runtime.killUnits;
    if (!kill) throw new ControllerError('this runtime cannot kill units');
    const killed = await kill.call(this.options.runtime, units);
    await this.watcher.recheck(); // so that the dead Pebbles keep the model from settling at once
    return killed;
  }

  /** Fire a workload hook reported by the unit's Pebble (custom notice, check failed/recovered). */
  emitWorkloadEvent(unitName: string, hook: string, fields: Omit<HookEvent, 'kind' | 'unit' | 'hook'>): void {
    this.assertRunning();
    this.lifecycle.workloadEvent(unitName, hook, fields);
    this.persist();
  }

  status(): ControllerStatus {
    const waiting = [...this.lifecycle.awaitedWorkloads(), ...this.watcher.downWorkloads()];
    const units = unitProgress(this.lifecycle.records, this.scheduler.snapshot(), this.scheduler.runningEvents(), waiting);
    const services = this.options.cluster?.services();
    return { model: structuredClone(this.model), units, ...(services === undefined ? {} : { services }) };
  }

  settled(options: { timeoutMs?: number } = {}): Promise<void> {
    return this.scheduler.settled(options);
  }

  get eventLog(): EventLog {
    return this.scheduler.log;
  }

  events(since = 0): ProgressEvent[] {
    return this.scheduler.log.since(since);
  }

  subscribe(listener: ProgressListener): () => void {
    return this.scheduler.log.subscribe(listener);
  }

  /** Queue the secret-rotate and secret-expired hooks that are due (secret-triggers.ts). */
  checkSecrets(): void {
    if (!this.stopped) this.secretTriggers.check();
  }

  /** Stop: let running hooks finish (then kill them), save everything, close the agent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.secretTimer) clearInterval(this.secretTimer);
    await this.watcher.stop();
    await this.noticeWatcher?.stop();
    await this.scheduler.stop(this.options.stopGraceMs);
    this.actionWaiters.rejectAll(new ControllerError('controller stopped'));
    await this.saveNow();
    await this.agent.close();
    await this.debugLog.close();
  }

  private appSettings(appName: string): ControllerState['apps'][string] {
    const settings = this.apps[appName];
    if (!settings) throw new ControllerError(`application "${appName}" was not deployed by this controller`);
    return settings;
  }

  private assertRunning(): void {
    if (this.stopped) throw new ControllerError('controller stopped');
  }

  /** Save soon: many changes in one turn of the event loop become one save. */
  private persist(): void {
    if (this.saveScheduled || this.stopped) return;
    this.saveScheduled = true;
    setImmediate(() => {
      this.saveScheduled = false;
      void this.saveNow();
    });
  }

  private async saveNow(): Promise<void> {
    const state: ControllerState = {
      version: 1,
      apps: this.apps,
      units: this.lifecycle.records,
      queues: this.scheduler.snapshot(),
      dispatches: this.dispatches,
      secretTriggers: this.secretTriggers.state(),
    };
    try {
      await Promise.all([this.modelStore.save(this.model), this.stateStore.save(structuredClone(state))]);
    } catch (error) {
      this.options.logger.error({ err: errorMessage(error) }, 'cannot save controller state');
    }
  }
}
