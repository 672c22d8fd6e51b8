import { z } from 'zod';
import type { ModelEvent } from '../juju/engine/index.ts';
import {
  compareUnitNames,
  enterScope,
  getRelation,
  leaveScope,
  localEndpoint,
  markRelationDying,
  type Model,
  type Relation,
  remoteApplication,
  removeRelation,
  removeUnit,
  setLeader,
} from '../juju/model.ts';
import { ControllerError } from './errors.ts';
import type { EventLog } from './event-log.ts';
import { type HookEvent, hookEvent, type QueuedEvent } from './queued-event.ts';
import type { Scheduler } from './scheduler.ts';

/**
 * Juju's event order: which hooks a deploy, add-unit, integrate, remove-relation, remove-unit or
 * config change causes on which units, and what a finished hook leads to (a unit that ran
 * `start` waits for its workload, then joins its relations; `remove` takes it out of the model).
 * Each unit's progress is kept as data so that it survives a controller restart.
 */

export const UnitLifecycleSchema = z.object({
  /** starting: until `start` ran; awaiting-workload: until every container's Pebble answered. */
  phase: z.enum(['starting', 'awaiting-workload', 'ready', 'dying']),
  /** Relations whose relation-created hook ran on this unit. */
  created: z.array(z.number().int().nonnegative()).default([]),
  /** Containers whose pebble-ready hook has been queued. */
  workloadsReady: z.array(z.string()).default([]),
  /** The boot id of each ready container's Pebble: a new one means the container restarted. */
  workloadBootIds: z.record(z.string(), z.string()).default({}),
  /** By container: the last-repeated time of the last Pebble notice queued as a hook (notice-watcher.ts). */
  noticesAfter: z.record(z.string(), z.string()).optional(),
});
export type UnitLifecycle = z.infer<typeof UnitLifecycleSchema>;

export interface LifecycleOptions {
  model: Model;
  scheduler: Scheduler;
  log: EventLog;
  records: Record<string, UnitLifecycle>;
  /** A unit left the model (its `remove` hook ran). */
  onUnitRemoved?: (unit: string) => void;
  /** Which of the live units leads next (leader-choice.ts); the lowest-numbered by default. */
  chooseLeader?: (app: string, candidates: string[]) => string | undefined;
}

const PAIRED = ['-relation-joined', '-relation-changed'];

export class Lifecycle {
  readonly records: Record<string, UnitLifecycle>;

  constructor(private readonly options: LifecycleOptions) {
    this.records = options.records;
  }

  private get model(): Model {
    return this.options.model;
  }

  private enqueue(events: HookEvent[]): void {
    for (const event of events) this.options.scheduler.enqueue(event);
  }

  /** Hooks a new unit runs on deploy/add-unit, in Juju's order. */
  deployUnit(unitName: string): void {
    const unit = this.model.units[unitName];
    if (!unit) throw new ControllerError(`unit "${unitName}" not found`);
    const app = this.model.applications[unit.app]!;
    this.records[unitName] = { phase: 'starting', created: [], workloadsReady: [], workloadBootIds: {} };
    const events: HookEvent[] = unit.storage.map((s) => hookEvent(unitName, `${s.name}-storage-attached`, { storageId: s.id }));
    events.push(hookEvent(unitName, 'install'));
    for (const relation of this.model.relations) {
      if (relation.life === 'alive' && localEndpoint(relation, unit.app)) events.push(this.relationHook(unitName, relation, 'created'));
    }
    events.push(hookEvent(unitName, app.leader === unitName ? 'leader-elected' : 'leader-settings-changed'));
    events.push(hookEvent(unitName, 'config-changed'), hookEvent(unitName, 'start'));
    this.enqueue(events);
  }

  /** `juju integrate`: relation-created on every unit of both sides; joins follow. */
  related(relation: Relation): void {
    for (const unit of Object.values(this.model.units)) {
      if (unit.life !== 'alive' || !localEndpoint(relation, unit.app) || !this.records[unit.name]) continue;
      this.enqueue([this.relationHook(unit.name, relation, 'created')]);
    }
  }

  /** `juju config`: config-changed on every live unit (coalesced with a pending one). */
  configChanged(appName: string): void {
    for (const unit of Object.values(this.model.units)) {
      if (unit.app === appName && unit.life === 'alive') this.enqueue([hookEvent(unit.name, 'config-changed')]);
    }
  }

  /**
   * A container of a unit answered (with its Pebble's boot id when the probe knows it). The
   * first time: queue its pebble-ready, and once all have answered, join relations. Later, a
   * new boot id means the container restarted: pebble-ready fires again, as in Juju. Returns
   * whether anything changed.
   */
  workloadReady(unitName: string, container: string, bootId?: string): boolean {
    const record = this.records[unitName];
    if (record === undefined || record.phase === 'dying') return false;
    const pebbleReady = hookEvent(unitName, `${container}-pebble-ready`, { workloadName: container });
    if (record.workloadsReady.includes(container)) {
      const known = record.workloadBootIds[container];
      if (bootId === undefined || known === bootId) return false;
      record.workloadBootIds[container] = bootId;
      if (known === undefined) return true; // first seen (e.g. saved by an older controller)
      this.options.log.add({ unit: unitName, type: 'model', what: `workload container ${container} restarted` });
      this.enqueue([pebbleReady]);
      return true;
    }
    record.workloadsReady.push(container);
    if (bootId !== undefined) record.workloadBootIds[container] = bootId;
    if (record.phase === 'ready') return true; // a unit taken over as ready: its hook already ran
    // Not a barrier: Juju's workload resolver offers pebble-ready whenever the agent is idle,
    // even before config-changed and start (hook-priority.ts); nothing waits for it.
    this.enqueue([pebbleReady]);
    if (record.phase === 'awaiting-workload' && this.allWorkloadsAnswered(unitName)) record.phase = 'ready';
    return true;
  }

  /** Containers of units waiting for their workloads (`awaited`) or running them, for the probe. */
  watchedWorkloads(): Array<{ unit: string; container: string; awaited: boolean }> {
    const result: Array<{ unit: string; container: string; awaited: boolean }> = [];
    for (const [unit, record] of Object.entries(this.records)) {
      if (record.phase === 'dying') continue;
      for (const container of Object.keys(this.appOf(unit)?.charm.containers ?? {})) {
        result.push({ unit, container, awaited: record.phase !== 'ready' && !record.workloadsReady.includes(container) });
      }
    }
    return result;
  }

  /** Containers of units waiting for their first pebble-ready. */
  awaitedWorkloads(): Array<{ unit: string; container: string }> {
    return this.watchedWorkloads().filter((w) => w.awaited).map(({ unit, container }) => ({ unit, container }));
  }

  /** Units update-status fires on. */
  periodicUnits(): string[] {
    return Object.entries(this.records)
      .filter(([unit, r]) => r.phase !== 'starting' && r.phase !== 'dying' && this.model.units[unit])
      .map(([unit]) => unit);
  }

  /** React to a finished hook: its committed changes' hooks, joins, leaving the model. */
  afterRun(event: QueuedEvent, ok: boolean, events: ModelEvent[]): void {
    this.modelEvents(events);
    if (ok && event.kind === 'hook') this.afterHook(event);
    this.reapRelations();
  }

  private afterHook(event: HookEvent): void {
    const record = this.records[event.unit];
    if (!record) return;
    if (event.hook.endsWith('-relation-created') && event.relationId !== undefined) {
      const relation = this.model.relations.find((r) => r.id === event.relationId);
      if (!relation) return;
      if (relation.life === 'dying' || record.phase === 'dying') {
        this.enqueue([this.relationHook(event.unit, relation, 'broken')]); // removed while it was being created
      } else if (!record.created.includes(relation.id)) {
        record.created.push(relation.id);
        this.join(event.unit);
      }
    } else if (event.hook === 'start' && record.phase === 'starting') {
      record.phase = this.allWorkloadsAnswered(event.unit) ? 'ready' : 'awaiting-workload';
    } else if (event.hook === 'remove' && record.phase === 'dying') {
      this.leaveModel(event.unit);
    }
  }

  /** Hooks caused by a committed hook's changes (relation-set, secret-set, storage-add...). */
  private modelEvents(events: ModelEvent[]): void {
    for (const e of events) {
      if (this.model.units[e.unit]?.life !== 'alive' || !this.records[e.unit]) continue;
      switch (e.kind) {
        case 'relation-changed': {
          const relation = this.model.relations.find((r) => r.id === e.relationId);
          if (!relation || relation.life !== 'alive') continue;
          const remoteUnit = e.remoteUnit ?? undefined;
          this.enqueue([this.relationHook(e.unit, relation, 'changed', remoteUnit)]);
          break;
        }
        case 'secret-changed':
          // No JUJU_SECRET_REVISION: Juju's contextFactory.HookContext sets it only where
          // hook.SecretHookRequiresRevision (secret-remove, secret-expired).
          this.enqueue([hookEvent(e.unit, e.hook, { secretId: e.secretId, secretLabel: e.label ?? undefined })]);
          break;
        case 'secret-remove':
          this.enqueue([hookEvent(e.unit, e.hook, { secretId: e.secretId, secretLabel: e.label ?? undefined, secretRevision: e.revision })]);
          break;
        case 'leader-settings-changed':
          this.enqueue([hookEvent(e.unit, e.hook)]);
          break;
        case 'storage-attached':
          this.enqueue([hookEvent(e.unit, e.hook, { storageId: e.storageId })]);
          break;
      }
    }
  }

  /**
   * Enter the scope of every created relation and pair joined/changed with the units there. A
   * unit enters scope once its relation-created ran, right after install (the created-relations
   * resolver's SynchronizeScopes joins it), so the others see it join then; its own joined hooks
   * are relation hooks and wait for config-changed and start (hook-priority.ts). When the remote
   * application's bag already holds data, the unit first gets relation-changed for it with no
   * remote unit: nextHookForRelation (relation/resolver.go) runs application changes before
   * joins, and only a non-leader hears of its own application's peer bag this way.
   */
  private join(unitName: string): void {
    const record = this.records[unitName];
    if (!record || record.phase === 'dying') return;
    for (const id of record.created) {
      const relation = this.model.relations.find((r) => r.id === id);
      if (!relation || relation.life !== 'alive' || relation.scope.includes(unitName)) continue;
      enterScope(this.model, id, unitName);
      const app = this.model.units[unitName]?.app ?? '';
      const peer = relation.endpoints.length === 1;
      const remoteApp = peer ? app : remoteApplication(relation, app);
      const bag = remoteApp === undefined ? {} : (relation.appData[remoteApp] ?? {});
      if (Object.keys(bag).length > 0 && (!peer || this.model.applications[app]?.leader !== unitName)) {
        this.enqueue([this.relationHook(unitName, relation, 'changed')]);
      }
      for (const other of relation.scope) {
        if (!this.sees(relation, unitName, other)) continue;
        this.enqueue([this.relationHook(unitName, relation, 'joined', other), this.relationHook(unitName, relation, 'changed', other)]);
        this.enqueue([this.relationHook(other, relation, 'joined', unitName), this.relationHook(other, relation, 'changed', unitName)]);
      }
    }
  }

  /**
   * `juju remove-unit`. The others see it depart at once: state's cleanupDyingUnit
   * (juju/juju state/cleanup.go) calls PrepareLeaveScope for each relation it joined. The unit
   * itself detaches its storage first (the storage resolver comes before nextOp), then works
   * through its relations (relation/resolver.go, relationsResolver.NextOp): each non-peer
   * relation departs every remote unit and breaks, then the peer relations depart last and never
   * break ("you cannot depart peer relations", nextHookForRelation); then stop and remove. A
   * join the other side has not run yet is dropped instead of departed.
   */
  removeUnit(unitName: string): void {
    const unit = this.model.units[unitName];
    const record = this.records[unitName];
    if (!unit || !record) throw new ControllerError(`unit "${unitName}" not found`);
    if (record.phase === 'dying') return;
    unit.life = 'dying';
    record.phase = 'dying';
    const events: HookEvent[] = unit.storage.map((storage) => hookEvent(unitName, `${storage.name}-storage-detaching`, { storageId: storage.id }));
    const own = { regular: [] as HookEvent[], peer: [] as HookEvent[] };
    const departed = new Set<number>();
    for (const relation of this.model.relations) {
      if (!relation.scope.includes(unitName)) continue;
      departed.add(relation.id);
      const mine = relation.endpoints.length === 1 ? own.peer : own.regular;
      for (const other of [...relation.scope].sort(compareUnitNames)) {
        if (!this.sees(relation, unitName, other)) continue;
        if (!this.dropPendingJoin(other, relation.id, unitName)) events.push(this.relationHook(other, relation, 'departed', unitName, unitName));
        if (!this.dropPendingJoin(unitName, relation.id, other)) mine.push(this.relationHook(unitName, relation, 'departed', other, unitName));
      }
      if (relation.endpoints.length > 1 && record.created.includes(relation.id)) mine.push(this.relationHook(unitName, relation, 'broken'));
      leaveScope(this.model, relation.id, unitName);
    }
    this.options.scheduler.drop((e) => e.unit === unitName && e.kind === 'hook' && e.hook.endsWith('-relation-created'), 'unit is dying');
    for (const id of record.created) {
      const relation = this.model.relations.find((r) => r.id === id);
      // Created but not yet in scope (it had not started): broken all the same, peers excepted.
      if (relation && !departed.has(id) && relation.endpoints.length > 1) own.regular.push(this.relationHook(unitName, relation, 'broken'));
    }
    record.created = [];
    events.push(...own.regular, ...own.peer, hookEvent(unitName, 'stop'), hookEvent(unitName, 'remove'));
    this.enqueue(events);
  }

  /** Take a unit out of the model now, and hand leadership on if it led. */
  leaveModel(unitName: string): void {
    const unit = this.model.units[unitName];
    this.options.scheduler.forget(unitName);
    delete this.records[unitName];
    if (!unit) return;
    for (const action of Object.values(this.model.actions)) {
      if (action.unit === unitName && action.status === 'pending') {
        action.status = 'aborted';
        action.message = 'unit removed';
        action.completedAt = new Date().toISOString();
      }
    }
    removeUnit(this.model, unitName);
    this.options.log.add({ unit: unitName, type: 'model', what: 'unit removed' });
    this.electLeader(unit.app);
    this.options.onUnitRemoved?.(unitName);
    this.reapRelations();
  }

  /** `juju remove-relation`: departed for every remote unit on every unit in scope, then broken. */
  removeRelation(relationId: number): void {
    const relation = getRelation(this.model, relationId);
    if (relation.endpoints.length === 1) throw new ControllerError('peer relations cannot be removed');
    if (relation.life === 'dying') return;
    markRelationDying(this.model, relationId);
    // A unit in error on this relation's hook stays there until it is resolved: the relation
    // resolver offers nothing while a hook is pending (relationsResolver.NextOp wants
    // operation.Continue), and a retried or skipped joined commits with its changed still due
    // (nextHookForRelation's ChangedPending), so both stay queued, ahead of departed and broken.
    const failed = this.options.scheduler.failedEvents().filter((e) => e.kind === 'hook' && e.relationId === relationId);
    const keep = (e: HookEvent) =>
      failed.includes(e) ||
      failed.some((f) => f.kind === 'hook' && f.hook.endsWith('-relation-joined') && e.hook.endsWith('-relation-changed') && f.unit === e.unit && f.remoteUnit === e.remoteUnit);
    const dropped = this.options.scheduler.drop((e) => e.kind === 'hook' && e.relationId === relationId && !keep(e), 'relation is being removed');
    const unjoined = new Set(dropped.flatMap((e) => (e.kind === 'hook' && e.hook.endsWith('-relation-joined') ? [`${e.unit}>${e.remoteUnit}`] : [])));
    const events: HookEvent[] = [];
    for (const unit of relation.scope) {
      for (const other of relation.scope) {
        if (this.sees(relation, unit, other) && !unjoined.has(`${unit}>${other}`)) events.push(this.relationHook(unit, relation, 'departed', other, other));
      }
    }
    for (const unit of [...relation.scope]) leaveScope(this.model, relationId, unit);
    for (const [unit, record] of Object.entries(this.records)) {
      if (!record.created.includes(relationId)) continue;
      record.created = record.created.filter((id) => id !== relationId);
      events.push(this.relationHook(unit, relation, 'broken'));
    }
    this.enqueue(events);
    this.reapRelations();
  }

  /** Juju's event for a unit's Pebble notices and checks (the sandbox's Pebble reports them). */
  workloadEvent(unitName: string, hook: string, fields: Omit<HookEvent, 'kind' | 'unit' | 'hook'>): void {
    if (this.model.units[unitName]?.life !== 'alive') throw new ControllerError(`unit "${unitName}" is not alive`);
    this.enqueue([hookEvent(unitName, hook, fields)]);
  }

  /**
   * Leadership moves away from a live leader, as when its lease expires (its agent stopped
   * renewing it) and another unit claims it: `to`, or whichever other live unit claims first.
   * The new leader gets leader-elected. The old one gets no hook: Juju 3.6 has a leader-deposed
   * hook kind, but its resolver (worker/uniter/leadership/resolver.go) only queues
   * NewResignLeadership, whose Execute (worker/uniter/operation/leader.go, resignLeadership)
   * logs "we should run a leader-deposed hook here, but we can't yet" and runs none; from then
   * on is-leader answers False. Returns the new leader.
   */
  moveLeadership(appName: string, to?: string): string {
    const app = this.model.applications[appName];
    if (!app) throw new ControllerError(`application "${appName}" not found`);
    const candidates = Object.values(this.model.units)
      .filter((u) => u.app === appName && u.life === 'alive' && u.name !== app.leader && this.records[u.name])
      .map((u) => u.name)
      .sort(compareUnitNames);
    const leader = to ?? (this.options.chooseLeader ? this.options.chooseLeader(appName, candidates) : candidates[0]);
    if (leader === undefined || !candidates.includes(leader)) throw new ControllerError(`no other live unit of "${appName}" can take leadership${to === undefined ? '' : ` (asked for "${to}")`}`);
    const old = app.leader;
    setLeader(this.model, appName, leader);
    if (old !== null) this.options.log.add({ unit: old, type: 'model', what: 'lost leadership (Juju runs no leader-deposed hook)' });
    this.options.log.add({ unit: leader, type: 'model', what: 'elected leader' });
    this.enqueue([hookEvent(leader, 'leader-elected')]);
    return leader;
  }

  /** Give leadership to one of the live units (whichever claims first) when the application has none. */
  private electLeader(appName: string): void {
    const app = this.model.applications[appName];
    if (!app || app.leader !== null) return;
    const candidates = Object.values(this.model.units).filter((u) => u.app === appName && u.life === 'alive').map((u) => u.name).sort(compareUnitNames);
    const leader = this.options.chooseLeader ? this.options.chooseLeader(appName, candidates) : candidates[0];
    if (leader === undefined) return;
    setLeader(this.model, appName, leader);
    this.options.log.add({ unit: leader, type: 'model', what: 'elected leader' });
    this.enqueue([hookEvent(leader, 'leader-elected')]);
  }

  /** Relations being removed leave the model once no unit has a hook for them left. */
  private reapRelations(): void {
    for (const relation of [...this.model.relations]) {
      if (relation.life !== 'dying') continue;
      if (this.options.scheduler.references((e) => e.kind === 'hook' && e.relationId === relation.id)) continue;
      removeRelation(this.model, relation.id);
      this.options.log.add({ unit: '', type: 'model', what: `relation ${relation.id} removed` });
    }
  }

  /** Drop a pending (not yet run) joined/changed of `unit` for `remote`; true if a joined was dropped. */
  private dropPendingJoin(unit: string, relationId: number, remote: string): boolean {
    const dropped = this.options.scheduler.drop(
      (e) => e.kind === 'hook' && e.unit === unit && e.relationId === relationId && e.remoteUnit === remote && PAIRED.some((suffix) => e.hook.endsWith(suffix)),
      `${remote} departed`,
    );
    return dropped.some((e) => e.kind === 'hook' && e.hook.endsWith('-relation-joined'));
  }

  /** Whether `unit` sees `other` in `relation` (other peers, or units of the other application). */
  private sees(relation: Relation, unit: string, other: string): boolean {
    if (unit === other) return false;
    return relation.endpoints.length === 1 || this.model.units[unit]?.app !== this.model.units[other]?.app;
  }

  private relationHook(unit: string, relation: Relation, kind: string, remoteUnit?: string, departingUnit?: string): HookEvent {
    const app = this.model.units[unit]?.app ?? unit.slice(0, unit.lastIndexOf('/'));
    const name = localEndpoint(relation, app)?.name ?? relation.interface;
    return hookEvent(unit, `${name}-relation-${kind}`, {
      relationId: relation.id,
      relationName: name,
      remoteApp: remoteUnit ? remoteUnit.slice(0, remoteUnit.lastIndexOf('/')) : remoteApplication(relation, app),
      ...(remoteUnit === undefined ? {} : { remoteUnit }),
      ...(departingUnit === undefined ? {} : { departingUnit }),
    });
  }

  private allWorkloadsAnswered(unitName: string): boolean {
    const record = this.records[unitName];
    return Object.keys(this.appOf(unitName)?.charm.containers ?? {}).every((c) => record?.workloadsReady.includes(c));
  }

  private appOf(unitName: string) {
    const unit = this.model.units[unitName];
    return unit ? this.model.applications[unit.app] : undefined;
  }
}
