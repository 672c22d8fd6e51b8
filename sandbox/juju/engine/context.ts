import { randomBytes } from 'node:crypto';
import { SandboxModelError } from '../errors.ts';
import type { Action, Application, Model, Relation, Unit } from '../model/schema.ts';
import { localEndpoint } from '../model/topology.ts';
import { commitPending, commitRefusal, obsoleteRevisionEvents, type ModelEvent } from './commit.ts';
import { HookToolRunError, NOT_LEADER } from './errors.ts';
import { applyDelta, emptyPending, type PendingChanges } from './pending.ts';

/**
 * One dispatch's view of the model: which unit runs, for which event (the JUJU_* values), and
 * the transactional changes its hook tools made so far. Tools read through it so that a hook
 * sees its own pending relation data and unit state; commit() applies the pending changes and
 * says which hooks they cause elsewhere, discard() drops them.
 */

export interface HookEnv {
  unit: string;
  /** JUJU_HOOK_NAME ('' for actions). */
  hookName?: string;
  relationId?: number;
  remoteUnit?: string;
  remoteApp?: string;
  departingUnit?: string;
  actionId?: string;
  storageId?: string;
  workloadName?: string;
  secretId?: string;
  secretLabel?: string;
  secretRevision?: number;
}

export interface LogEntry {
  unit: string;
  level: string;
  message: string;
  timestamp: string;
}

export interface HookContextOptions {
  now?: () => Date;
  /** Called after every change that is not transactional (status-set, action-set...), e.g. to save. */
  onImmediateChange?: (model: Model) => void;
  /** Receives juju-log lines. */
  onLog?: (entry: LogEntry) => void;
}

export interface CommitReport {
  /** Hooks the changes cause on other units (or this one), for the scheduler to fire later. */
  events: ModelEvent[];
  /** Set when the controller refused the changes (none was applied): the hook fails with it. */
  error?: string;
}

export class HookContext {
  readonly id: string;
  readonly pending: PendingChanges = emptyPending();
  /** Events caused by immediate changes (leader-set); reported by commit and discard alike. */
  private readonly immediateEvents: ModelEvent[] = [];
  /** Secrets whose consumer pins moved during this hook; their old revisions may be obsolete. */
  readonly touchedSecrets = new Set<string>();
  readonly logs: LogEntry[] = [];
  private finished = false;

  constructor(
    readonly model: Model,
    readonly env: HookEnv,
    private readonly options: HookContextOptions = {},
  ) {
    if (!model.units[env.unit]) throw new SandboxModelError(`unit "${env.unit}" not found`);
    this.id = `${env.unit}-${env.hookName || (env.actionId ? `action-${env.actionId}` : 'hook')}-${randomBytes(8).toString('hex')}`;
  }

  now(): Date {
    return this.options.now?.() ?? new Date();
  }

  get unit(): Unit {
    const unit = this.model.units[this.env.unit];
    if (!unit) throw new HookToolRunError(`unit "${this.env.unit}" not found`);
    return unit;
  }

  get app(): Application {
    const app = this.model.applications[this.unit.app];
    if (!app) throw new HookToolRunError(`application "${this.unit.app}" not found`);
    return app;
  }

  isLeader(): boolean {
    return this.app.leader === this.env.unit;
  }

  requireLeader(): void {
    if (!this.isLeader()) throw new HookToolRunError(NOT_LEADER);
  }

  /** The running action, or Juju's "not running an action" error. */
  action(): Action {
    const action = this.env.actionId === undefined ? undefined : this.model.actions[this.env.actionId];
    if (!action) throw new HookToolRunError('not running an action');
    return action;
  }

  /** Relations this unit's application takes part in (Juju's ctx.relations). */
  relations(): Relation[] {
    return this.model.relations.filter((r) => localEndpoint(r, this.unit.app));
  }

  /** A relation by id, or Juju's `relation not found` (what ops keys RelationNotFoundError on). */
  relation(id: number): Relation {
    const relation = this.relations().find((r) => r.id === id);
    if (!relation) throw new HookToolRunError('relation not found');
    return relation;
  }

  /** The hook's relation id, if this is a relation hook and the relation still exists. */
  hookRelationId(): number | undefined {
    const id = this.env.relationId;
    return id !== undefined && this.relations().some((r) => r.id === id) ? id : undefined;
  }

  isBrokenHookRelation(relation: Relation): boolean {
    return relation.id === this.env.relationId && (this.env.hookName ?? '').endsWith('-relation-broken');
  }

  /** `<endpoint>:<id>`, Juju's FakeId. */
  fakeRelationId(relation: Relation): string {
    return `${localEndpoint(relation, this.unit.app)?.name ?? relation.interface}:${relation.id}`;
  }

  /** This unit's bucket including what this hook set. */
  ownUnitSettings(relation: Relation): Record<string, string> {
    return applyDelta(relation.unitData[this.env.unit] ?? {}, this.pending.unitSettings.get(relation.id));
  }

  /** This application's bucket including what this hook set (leaders only may read it locally). */
  ownAppSettings(relation: Relation): Record<string, string> {
    return applyDelta(relation.appData[this.unit.app] ?? {}, this.pending.appSettings.get(relation.id));
  }

  /** Unit state (state-get) including this hook's pending changes. */
  unitState(): Record<string, string> {
    return applyDelta(this.unit.state, this.pending.state);
  }

  /** A non-transactional change happened: let the owner persist it. */
  changedImmediately(events: ModelEvent[] = []): void {
    this.immediateEvents.push(...events);
    this.options.onImmediateChange?.(this.model);
  }

  log(level: string, message: string): void {
    const entry = { unit: this.env.unit, level, message, timestamp: this.now().toISOString() };
    this.logs.push(entry);
    this.options.onLog?.(entry);
  }

  /** Apply the pending changes (the hook exited 0), unless the controller refuses them. */
  commit(): CommitReport {
    const refusal = commitRefusal(this);
    if (refusal !== null) return { ...this.discard(), error: refusal };
    this.finish();
    const events = commitPending(this);
    return { events: [...this.immediateEvents, ...events] };
  }

  /** Drop the pending changes (the hook failed); immediate changes stay, as in Juju. */
  discard(): CommitReport {
    this.finish();
    return { events: [...this.immediateEvents, ...obsoleteRevisionEvents(this.model, this.touchedSecrets)] };
  }

  get isFinished(): boolean {
    return this.finished;
  }

  private finish(): void {
    if (this.finished) throw new SandboxModelError(`hook context ${this.id} already finished`);
    this.finished = true;
  }
}

export function createHookContext(model: Model, env: HookEnv, options: HookContextOptions = {}): HookContext {
  return new HookContext(model, env, options);
}
