import type { HookContext } from '../context.ts';
import type { HookTool } from '../command.ts';
import { HookToolRunError, HookToolUsageError } from '../errors.ts';
import { checkEmpty, type FlagDef, parseKeyValues } from '../flags.ts';
import { parseSettingsYaml } from './relation.ts';

/**
 * state-get/-set/-delete (controller-side unit state) and storage-get/-list/-add. State and
 * storage-add are transactional; reads see this hook's pending state.
 */

const ALL_FORMATS = ['smart', 'yaml', 'json'] as const;
/** quota.MaxCharmStateKeySize / MaxCharmStateValueSize. */
const MAX_KEY_BYTES = 256;
const MAX_VALUE_BYTES = 64 * 1024;

export const stateGet: HookTool = {
  name: 'state-get',
  formats: ALL_FORMATS,
  flags: () => [{ names: ['strict'], kind: 'bool' }],
  run(inv) {
    let [key = '', ...rest] = inv.args;
    if (key === '-') key = '';
    checkEmpty(rest);
    const state = inv.ctx.unitState();
    if (key === '') {
      // Juju's GetCharmState returns nil for an empty state, which prints as null.
      inv.write(Object.keys(state).length === 0 ? null : state);
      return;
    }
    if (!Object.hasOwn(state, key)) {
      if (inv.flags['strict'] === true) throw new HookToolRunError(`${JSON.stringify(key)} not found`);
      inv.write(null); // docs/hook-tools.md: a missing key prints null

      return;
    }
    inv.write(state[key]);
  },
};

export const stateSet: HookTool = {
  name: 'state-set',
  flags: () => [{ names: ['file'], kind: 'string' }],
  run(inv) {
    const overrides = parseKeyValues(inv.args);
    const file = inv.flags['file'] as string | undefined;
    const values = { ...(file === undefined ? {} : parseSettingsYaml(inv.readFile(file))), ...overrides };
    for (const [key, value] of Object.entries(values)) {
      if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new HookToolRunError(`max allowed key length (${MAX_KEY_BYTES}) exceeded`);
      if (Buffer.byteLength(value) > MAX_VALUE_BYTES) throw new HookToolRunError(`max allowed value length (${MAX_VALUE_BYTES}) exceeded`);
    }
    // Unlike relation-set, an empty value is stored, not deleted.
    for (const [key, value] of Object.entries(values)) inv.ctx.pending.state.set(key, value);
  },
};

export const stateDelete: HookTool = {
  name: 'state-delete',
  run(inv) {
    const [key, ...rest] = inv.args;
    if (key === undefined) throw new HookToolUsageError('no key specified');
    checkEmpty(rest);
    if (Object.hasOwn(inv.ctx.unitState(), key)) inv.ctx.pending.state.set(key, null);
  },
};

/** -s <name>/<index>: must name a storage instance attached to this unit. */
function storageFlag(ctx: HookContext): FlagDef {
  return {
    names: ['s'],
    kind: 'string',
    parse(value) {
      if (!/^[a-z][a-z0-9-]*\/\d+$/.test(value)) throw new Error(`invalid storage ID ${JSON.stringify(value)}`);
      if (!ctx.unit.storage.some((s) => s.id === value)) throw new Error(`storage ${JSON.stringify(value)} not found`);
      return value;
    },
  };
}

export const storageGet: HookTool = {
  name: 'storage-get',
  formats: ALL_FORMATS,
  flags: (ctx) => [storageFlag(ctx)],
  run(inv) {
    const { ctx } = inv;
    const id = (inv.flags['s'] as string | undefined) ?? (ctx.unit.storage.some((s) => s.id === ctx.env.storageId) ? ctx.env.storageId : undefined);
    if (id === undefined) throw new HookToolUsageError('no storage instance specified');
    const [key = '', ...rest] = inv.args;
    checkEmpty(rest);
    const instance = ctx.unit.storage.find((s) => s.id === id);
    if (!instance) throw new HookToolRunError(`storage ${JSON.stringify(id)} not found`);
    const values: Record<string, string> = { kind: instance.kind, location: instance.location };
    if (key === '') inv.write(values);
    else if (Object.hasOwn(values, key)) inv.write(values[key]);
    else throw new HookToolRunError(`invalid storage attribute ${JSON.stringify(key)}`);
  },
};

export const storageList: HookTool = {
  name: 'storage-list',
  formats: ALL_FORMATS,
  run(inv) {
    const [name, ...rest] = inv.args;
    checkEmpty(rest);
    inv.write(inv.ctx.unit.storage.filter((s) => name === undefined || s.name === name).map((s) => s.id));
  },
};

export const storageAdd: HookTool = {
  name: 'storage-add',
  run(inv) {
    if (inv.args.length === 0) throw new HookToolUsageError('storage add requires a storage directive');
    const adds: Array<{ name: string; count: number }> = [];
    for (const arg of inv.args) {
      const [name = '', countText = '1', ...extra] = arg.split('=');
      const count = Number(countText);
      if (extra.length > 0 || !/^\d+$/.test(countText) || count < 1) throw new HookToolUsageError(`cannot parse storage directive ${JSON.stringify(arg)}`);
      adds.push({ name, count });
    }
    for (const { name } of adds) {
      if (!inv.ctx.app.charm.storage[name]) throw new HookToolRunError(`charm storage ${JSON.stringify(name)} not found`);
    }
    inv.ctx.pending.storageAdds.push(...adds);
  },
};
