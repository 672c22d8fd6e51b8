import { randomUUID } from 'node:crypto';
import { SandboxModelError } from '../errors.ts';
import { isValidApplicationName } from './names.ts';
import {
  type Application,
  type CharmMeta,
  CharmMetaSchema,
  type ConfigValue,
  type Model,
  ModelSchema,
  type Relation,
  type Status,
  type Unit,
} from './schema.ts';

/**
 * Building and changing the model's topology the way `juju deploy`, `add-unit`, `integrate` and
 * `config` do: the checks Juju makes are made here, so a sandbox cannot reach a state real Juju
 * would refuse. Scheduling the hooks these changes cause is the caller's job.
 */

export function status(value: string, message = '', now = new Date()): Status {
  return { status: value, message, since: now.toISOString(), data: {} };
}

export function createModel(options: { name: string; uuid?: string }): Model {
  return ModelSchema.parse({ name: options.name, uuid: options.uuid ?? randomUUID() });
}

export function getApplication(model: Model, name: string): Application {
  const app = model.applications[name];
  if (!app) throw new SandboxModelError(`application "${name}" not found`);
  return app;
}

export function getUnit(model: Model, name: string): Unit {
  const unit = model.units[name];
  if (!unit) throw new SandboxModelError(`unit "${name}" not found`);
  return unit;
}

export function getRelation(model: Model, id: number): Relation {
  const relation = model.relations.find((r) => r.id === id);
  if (!relation) throw new SandboxModelError(`relation ${id} not found`);
  return relation;
}

export interface AddApplicationOptions {
  name: string;
  charm: CharmMeta;
  config?: Record<string, ConfigValue>;
  trusted?: boolean;
}

/** Deploy an application. Like Juju, its peer relations exist from the start. */
export function addApplication(model: Model, options: AddApplicationOptions, now = new Date()): Application {
  if (!isValidApplicationName(options.name)) throw new SandboxModelError(`invalid application name "${options.name}"`);
  if (model.applications[options.name]) throw new SandboxModelError(`application "${options.name}" already exists`);
  const app: Application = {
    name: options.name,
    charm: CharmMetaSchema.parse(options.charm),
    config: {},
    leader: null,
    status: status('unknown', '', now),
    leaderSettings: {},
    nextUnitNumber: 0,
    nextStorageIndex: {},
    trusted: options.trusted ?? false,
  };
  model.applications[app.name] = app;
  if (options.config) setConfig(model, app.name, options.config);
  for (const [endpoint, def] of Object.entries(app.charm.endpoints)) {
    if (def.role !== 'peers') continue;
    model.relations.push(newRelation(model, def.interface, [{ app: app.name, name: endpoint }], now));
  }
  return app;
}

export interface AddUnitOptions {
  address?: string;
  /** Where storage is mounted in the charm container; Juju uses /var/lib/juju/storage. */
  storageRoot?: string;
}

/** Add a unit with one instance of each single-instance storage; the first unit leads. */
export function addUnit(model: Model, appName: string, options: AddUnitOptions = {}, now = new Date()): Unit {
  const app = getApplication(model, appName);
  const name = `${app.name}/${app.nextUnitNumber}`;
  app.nextUnitNumber += 1;
  const unit: Unit = {
    name,
    app: app.name,
    life: 'alive',
    workloadStatus: status('waiting', 'installing agent', now),
    agentStatus: status('allocating', '', now),
    workloadVersion: '',
    address: options.address ?? '127.0.0.1',
    openedPorts: [],
    state: {},
    storage: [],
    storageRoot: options.storageRoot ?? '/var/lib/juju/storage',
    createdAt: now.toISOString(),
  };
  for (const [storageName, def] of Object.entries(app.charm.storage)) {
    unit.storage.push(newStorageInstance(app, storageName, def.type, unit.storageRoot));
  }
  model.units[name] = unit;
  if (app.leader === null) app.leader = name;
  return unit;
}

/** A new storage instance `<name>/<index>`; indexes are unique per application. */
export function newStorageInstance(
  app: Application,
  storageName: string,
  kind: 'filesystem' | 'block',
  storageRoot: string,
): Unit['storage'][number] {
  const index = app.nextStorageIndex[storageName] ?? 0;
  app.nextStorageIndex[storageName] = index + 1;
  return { id: `${storageName}/${index}`, name: storageName, kind, location: `${storageRoot}/${storageName}/${index}` };
}

/** Remove a unit outright: it leaves every relation scope and loses leadership. */
export function removeUnit(model: Model, unitName: string): void {
  const unit = getUnit(model, unitName);
  for (const relation of model.relations) relation.scope = relation.scope.filter((u) => u !== unitName);
  const app = getApplication(model, unit.app);
  if (app.leader === unitName) app.leader = null;
  delete model.units[unitName];
}

export function setLeader(model: Model, appName: string, unitName: string | null): void {
  const app = getApplication(model, appName);
  if (unitName !== null && getUnit(model, unitName).app !== appName) {
    throw new SandboxModelError(`unit "${unitName}" is not a unit of "${appName}"`);
  }
  app.leader = unitName;
}

function newRelation(model: Model, iface: string, endpoints: Relation['endpoints'], now: Date): Relation {
  const relation: Relation = {
    id: model.nextRelationId,
    interface: iface,
    endpoints,
    life: 'alive',
    appData: Object.fromEntries(endpoints.map((e) => [e.app, {}])),
    unitData: {},
    scope: [],
    createdAt: now.toISOString(),
    joinedAt: null,
  };
  model.nextRelationId += 1;
  return relation;
}

interface EndpointRef {
  app: string;
  name: string;
}

function resolveEndpoint(model: Model, spec: string, other: string): EndpointRef {
  const [appName, endpoint] = spec.split(':', 2);
  const app = getApplication(model, appName ?? '');
  if (endpoint !== undefined) {
    if (!app.charm.endpoints[endpoint]) throw new SandboxModelError(`application "${app.name}" has no "${endpoint}" relation`);
    return { app: app.name, name: endpoint };
  }
  // Without an endpoint name, pick the only non-peer endpoint that can talk to the other side.
  const otherApp = getApplication(model, other.split(':', 1)[0] ?? '');
  const otherInterfaces = new Set(Object.values(otherApp.charm.endpoints).filter((e) => e.role !== 'peers').map((e) => e.interface));
  const candidates = Object.entries(app.charm.endpoints).filter(([, e]) => e.role !== 'peers' && otherInterfaces.has(e.interface));
  if (candidates.length !== 1) {
    throw new SandboxModelError(`cannot infer endpoint of "${app.name}" for "${other}": ${candidates.length} candidates`);
  }
  return { app: app.name, name: candidates[0]![0] };
}

/** Relate two applications (`app` or `app:endpoint` each), checking what `juju integrate` checks. */
export function addRelation(model: Model, first: string, second: string, now = new Date()): Relation {
  const a = resolveEndpoint(model, first, second);
  const b = resolveEndpoint(model, second, first);
  const defA = getApplication(model, a.app).charm.endpoints[a.name]!;
  const defB = getApplication(model, b.app).charm.endpoints[b.name]!;
  if (defA.role === 'peers' || defB.role === 'peers') throw new SandboxModelError('peer relations are created by Juju, not integrated');
  if (defA.interface !== defB.interface) {
    throw new SandboxModelError(`interfaces differ: ${a.app}:${a.name} is ${defA.interface}, ${b.app}:${b.name} is ${defB.interface}`);
  }
  if (defA.role === defB.role) throw new SandboxModelError(`both endpoints have role "${defA.role}"`);
  const uses = (r: Relation, ref: EndpointRef) => r.endpoints.some((e) => e.app === ref.app && e.name === ref.name);
  if (model.relations.some((r) => uses(r, a) && uses(r, b))) {
    throw new SandboxModelError(`relation ${a.app}:${a.name} ${b.app}:${b.name} already exists`);
  }
  for (const [ref, def] of [[a, defA], [b, defB]] as const) {
    const existing = model.relations.filter((r) => uses(r, ref));
    if (def.limit !== undefined && existing.length >= def.limit) {
      throw new SandboxModelError(`endpoint ${ref.app}:${ref.name} is at its limit of ${def.limit} relations`);
    }
  }
  const relation = newRelation(model, defA.interface, [a, b], now);
  model.relations.push(relation);
  return relation;
}

/** The endpoint of `relation` that belongs to `appName` (its own side). */
export function localEndpoint(relation: Relation, appName: string): EndpointRef | undefined {
  return relation.endpoints.find((e) => e.app === appName);
}

/** The application on the other side of `relation` from `appName` (itself for peers). */
export function remoteApplication(relation: Relation, appName: string): string {
  return relation.endpoints.find((e) => e.app !== appName)?.app ?? appName;
}

/** The CIDR of a single address, as juju/juju's network.FormatAsCIDR writes it (`/32`, `/128`). */
export function addressCidr(address: string): string {
  return address.includes(':') ? `${address}/128` : `${address}/32`;
}

/**
 * Enter a unit into a relation's scope. Juju's UniterAPI.EnterScope
 * (juju/juju apiserver/facades/agent/uniter/uniter.go) writes the unit's addresses into its own
 * bag as it enters: `private-address` and `ingress-address` are the unit's ingress address, and
 * `egress-subnets` is, with no egress-subnets configured, that address as a CIDR
 * (NetworkInfoBase.getEgressFromIngress in apiserver/facades/agent/uniter/networkinfo.go). Keys
 * the unit already wrote (in relation-created) stay.
 */
export function enterScope(model: Model, relationId: number, unitName: string, now: Date = new Date()): void {
  const relation = getRelation(model, relationId);
  const unit = getUnit(model, unitName);
  if (!localEndpoint(relation, unit.app)) throw new SandboxModelError(`unit "${unitName}" is not in relation ${relationId}`);
  if (!relation.scope.includes(unitName)) relation.scope.push(unitName);
  // The joining unit's uniter sets the relation's status to joined (juju/juju
  // worker/uniter/relation/statetracker.go, joinRelation: SetStatus(relation.Joined)).
  relation.joinedAt ??= now.toISOString();
  relation.unitData[unitName] = {
    ...relation.unitData[unitName],
    'private-address': unit.address,
    'ingress-address': unit.address,
    'egress-subnets': addressCidr(unit.address),
  };
}

export function leaveScope(model: Model, relationId: number, unitName: string): void {
  const relation = getRelation(model, relationId);
  relation.scope = relation.scope.filter((u) => u !== unitName);
}

/** Mark a relation as being removed (hooks then run -departed and -broken). */
export function markRelationDying(model: Model, relationId: number): void {
  getRelation(model, relationId).life = 'dying';
}

export function removeRelation(model: Model, relationId: number): void {
  getRelation(model, relationId);
  model.relations = model.relations.filter((r) => r.id !== relationId);
  // Grants made in the context of a relation end with it.
  for (const secret of Object.values(model.secrets)) secret.grants = secret.grants.filter((g) => g.relationId !== relationId);
}

function coerceConfigValue(option: string, type: string, value: ConfigValue): ConfigValue {
  const bad = () => new SandboxModelError(`option "${option}" expected ${type}, got ${JSON.stringify(value)}`);
  switch (type) {
    case 'int': {
      const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isInteger(n)) throw bad();
      return n;
    }
    case 'float': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n !== 'number' || Number.isNaN(n)) throw bad();
      return n;
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      throw bad();
    default:
      if (typeof value !== 'string') throw bad();
      return value;
  }
}

/**
 * Set (or, with null, reset to the default) configuration values, as `juju config` does.
 * Returns the option names whose effective value changed, so the caller can fire config-changed.
 */
export function setConfig(model: Model, appName: string, values: Record<string, ConfigValue | null>): string[] {
  const app = getApplication(model, appName);
  const before = effectiveConfig(app);
  const next = { ...app.config };
  for (const [key, value] of Object.entries(values)) {
    const option = app.charm.config[key];
    if (!option) throw new SandboxModelError(`unknown option "${key}"`);
    if (value === null) delete next[key];
    else next[key] = coerceConfigValue(key, option.type, value);
  }
  app.config = next;
  const after = effectiveConfig(app);
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => before[k] !== after[k]).sort();
}

/** Every option that is set or has a non-null default, as config-get prints it. */
export function effectiveConfig(app: Application): Record<string, ConfigValue> {
  const result: Record<string, ConfigValue> = {};
  for (const [key, option] of Object.entries(app.charm.config)) {
    const value = app.config[key] ?? option.default;
    if (value !== undefined && value !== null) result[key] = value;
  }
  return result;
}
