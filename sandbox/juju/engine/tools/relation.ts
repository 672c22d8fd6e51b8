import { parse as parseYaml } from 'yaml';
import { errorMessage } from '../../../../src/errors.ts';
import { compareUnitNames, isValidApplicationName, isValidUnitName, unitApplication } from '../../model/names.ts';
import type { Relation } from '../../model/schema.ts';
import { localEndpoint, remoteApplication } from '../../model/topology.ts';
import { type HookTool, type Invocation, relationFlag, relationIdOrFail } from '../command.ts';
import { HookToolRunError, HookToolUsageError } from '../errors.ts';
import { checkEmpty, parseKeyValues } from '../flags.ts';
import { applyDelta, recordDelta } from '../pending.ts';

/** relation-ids, relation-list, relation-get, relation-set, relation-model-get (docs/hook-tools.md). */

const ALL_FORMATS = ['smart', 'yaml', 'json'] as const;
/** quota.MaxRelationSettingsSize in recent Juju. */
const MAX_SETTINGS_BYTES = 16 * 1024 * 1024;

export const relationIds: HookTool = {
  name: 'relation-ids',
  formats: ALL_FORMATS,
  run(inv) {
    const { ctx } = inv;
    const hookRelation = ctx.hookRelationId();
    let endpoint = hookRelation === undefined ? '' : (localEndpoint(ctx.relation(hookRelation), ctx.unit.app)?.name ?? '');
    const [given, ...rest] = inv.args;
    if (given !== undefined) endpoint = given;
    else if (endpoint === '') throw new HookToolUsageError('no endpoint name specified');
    checkEmpty(rest);
    const ids = ctx
      .relations()
      .filter((r) => localEndpoint(r, ctx.unit.app)?.name === endpoint && r.life === 'alive' && !ctx.isBrokenHookRelation(r))
      .map((r) => ctx.fakeRelationId(r))
      .sort();
    inv.write(ids);
  },
};

/** Remote units currently in scope (the other peers, for a peer relation). */
function remoteUnitsInScope(inv: Invocation, relation: Relation): string[] {
  const { ctx } = inv;
  const remoteApp = remoteApplication(relation, ctx.unit.app);
  return relation.scope.filter((u) => u !== ctx.unit.name && inv.ctx.model.units[u]?.app === remoteApp).sort(compareUnitNames);
}

export const relationList: HookTool = {
  name: 'relation-list',
  formats: ALL_FORMATS,
  flags: (ctx) => [relationFlag(ctx), { names: ['app'], kind: 'bool' }],
  run(inv) {
    const id = relationIdOrFail(inv);
    checkEmpty(inv.args);
    const relation = inv.ctx.relation(id);
    if (inv.flags['app'] === true) inv.write(remoteApplication(relation, inv.ctx.unit.app));
    else inv.write(remoteUnitsInScope(inv, relation));
  },
};

/** Which bucket relation-get reads, following Juju's defaults (remote unit, else remote app). */
function relationGetTarget(inv: Invocation, rest: string[]): { name: string; app: boolean } {
  const { ctx } = inv;
  let app = inv.flags['app'] === true;
  const supplied = rest.shift();
  if (supplied !== undefined) {
    if (app) return { name: isValidUnitName(supplied) ? unitApplication(supplied) : supplied, app };
    if (!isValidUnitName(supplied)) {
      if (isValidApplicationName(supplied)) throw new HookToolUsageError(`expected unit name, got application name ${JSON.stringify(supplied)}`);
      throw new HookToolUsageError(`invalid unit name ${JSON.stringify(supplied)}`);
    }
    return { name: supplied, app };
  }
  const remoteUnit = ctx.env.remoteUnit || undefined;
  const remoteApp = ctx.env.remoteApp || undefined;
  if (app) {
    if (!remoteApp) throw new HookToolUsageError('no unit or application specified');
    return { name: remoteApp, app };
  }
  if (remoteUnit) return { name: remoteUnit, app: false };
  if (remoteApp) return { name: remoteApp, app: true };
  throw new HookToolUsageError('no unit or application specified');
}

function readBucket(inv: Invocation, relation: Relation, target: { name: string; app: boolean }): Record<string, string> {
  const { ctx } = inv;
  if (!target.app) {
    if (target.name === ctx.unit.name) return ctx.ownUnitSettings(relation);
    const owner = ctx.model.units[target.name]?.app ?? unitApplication(target.name);
    if (!localEndpoint(relation, owner)) throw new HookToolRunError('permission denied');
    return { ...(relation.unitData[target.name] ?? {}) };
  }
  if (target.name === ctx.unit.app) {
    if (ctx.isLeader()) return ctx.ownAppSettings(relation);
    // The controller lets any unit read its own application's bucket of a peer relation, and
    // only the leader that of a provides/requires relation.
    if (relation.endpoints.length !== 1) throw new HookToolRunError('permission denied');
    return { ...(relation.appData[ctx.unit.app] ?? {}) };
  }
  if (!localEndpoint(relation, target.name)) throw new HookToolRunError('permission denied');
  return { ...(relation.appData[target.name] ?? {}) };
}

export const relationGet: HookTool = {
  name: 'relation-get',
  formats: ALL_FORMATS,
  flags: (ctx) => [relationFlag(ctx), { names: ['app'], kind: 'bool' }],
  run(inv) {
    const id = relationIdOrFail(inv);
    const rest = [...inv.args];
    let key = rest.shift() ?? '';
    if (key === '-') key = '';
    const target = relationGetTarget(inv, rest);
    checkEmpty(rest);
    const settings = readBucket(inv, inv.ctx.relation(id), target);
    inv.write(key === '' ? settings : (settings[key] ?? null));
  },
};

/** Juju reads `--file` as YAML into map[string]string: scalars become strings, nesting is an error. */
export function parseSettingsYaml(text: string): Record<string, string> {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw new HookToolRunError(`yaml: ${errorMessage(error)}`, { cause: error });
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new HookToolRunError('yaml: unmarshal errors: cannot unmarshal into map[string]string');
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(doc)) {
    if (value !== null && typeof value === 'object') throw new HookToolRunError(`yaml: unmarshal errors: cannot unmarshal ${Array.isArray(value) ? '!!seq' : '!!map'} into string`);
    result[key] = value === null || value === undefined ? '' : String(value);
  }
  return result;
}

function bucketSize(settings: Record<string, string>): number {
  return Object.entries(settings).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
}

export const relationSet: HookTool = {
  name: 'relation-set',
  flags: (ctx) => [relationFlag(ctx), { names: ['file'], kind: 'string' }, { names: ['app'], kind: 'bool' }, { names: ['format'], kind: 'string' }],
  run(inv) {
    const { ctx } = inv;
    const id = relationIdOrFail(inv);
    const overrides = parseKeyValues(inv.args);
    if (inv.flags['format'] !== undefined) inv.warn('--format flag deprecated for command "relation-set"');
    const file = inv.flags['file'] as string | undefined;
    const settings = { ...(file === undefined ? {} : parseSettingsYaml(inv.readFile(file))), ...overrides };
    const relation = ctx.relation(id);
    const app = inv.flags['app'] === true;
    if (app && !ctx.isLeader()) throw new HookToolRunError('cannot write relation settings');
    const deltas = app ? ctx.pending.appSettings : ctx.pending.unitSettings;
    const delta = new Map(deltas.get(relation.id) ?? []);
    recordDelta(delta, settings, true);
    const base = app ? (relation.appData[ctx.unit.app] ?? {}) : (relation.unitData[ctx.unit.name] ?? {});
    if (bucketSize(applyDelta(base, delta)) > MAX_SETTINGS_BYTES) {
      throw new HookToolRunError(`cannot write relation settings: settings exceed the ${MAX_SETTINGS_BYTES} byte limit`);
    }
    deltas.set(relation.id, delta);
  },
};

export const relationModelGet: HookTool = {
  name: 'relation-model-get',
  formats: ALL_FORMATS,
  flags: (ctx) => [relationFlag(ctx)],
  run(inv) {
    const id = relationIdOrFail(inv);
    checkEmpty(inv.args);
    inv.ctx.relation(id);
    inv.write({ uuid: inv.ctx.model.uuid });
  },
};
