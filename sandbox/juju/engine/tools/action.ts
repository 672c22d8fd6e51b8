import type { HookTool } from '../command.ts';
import { HookToolUsageError } from '../errors.ts';
import { checkEmpty } from '../flags.ts';

/**
 * action-get, action-set, action-log, action-fail. They write the action record at once: Juju
 * reports results and messages when the action finishes, whatever the exit status
 * (docs/hook-tools.md#what-a-failed-hook-undoes).
 */

const ALL_FORMATS = ['smart', 'yaml', 'json'] as const;
/** charm.GetActionNameRule(): lowercase alphanumerics and hyphens, alphanumeric at both ends. */
const KEY_RULE = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const RESERVED_KEYS = new Set(['stdout', 'stdout-encoding', 'stderr', 'stderr-encoding']);
const DEFAULT_FAIL_MESSAGE = 'action failed without reason given, check action for errors';

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export const actionGet: HookTool = {
  name: 'action-get',
  formats: ALL_FORMATS,
  run(inv) {
    const [path, ...rest] = inv.args;
    checkEmpty(rest);
    const params = inv.ctx.action().params;
    if (path === undefined) {
      inv.write(params);
      return;
    }
    let value: unknown = params;
    for (const key of path.split('.')) value = isMap(value) && Object.hasOwn(value, key) ? value[key] : undefined;
    inv.write(value ?? null);
  },
};

export const actionSet: HookTool = {
  name: 'action-set',
  run(inv) {
    const entries: Array<[string[], string]> = [];
    for (const arg of inv.args) {
      const eq = arg.indexOf('=');
      if (eq < 0) throw new HookToolUsageError(`argument ${JSON.stringify(arg)} must be of the form key...=value`);
      const keys = arg.slice(0, eq).split('.');
      for (const key of keys) {
        if (!KEY_RULE.test(key)) {
          throw new HookToolUsageError(
            `key ${JSON.stringify(key)} must start and end with lowercase alphanumeric, and contain only lowercase alphanumeric, hyphens and periods`,
          );
        }
        if (RESERVED_KEYS.has(key)) throw new HookToolUsageError(`cannot set reserved action key "${key}"`);
      }
      entries.push([keys, arg.slice(eq + 1)]);
    }
    const action = inv.ctx.action();
    for (const [keys, value] of entries) {
      // Nested keys merge into existing maps (foo.bar=1 then foo.baz=2 keeps both).
      let target = action.results;
      for (const key of keys.slice(0, -1)) {
        const next = target[key];
        target = isMap(next) ? next : (target[key] = {});
      }
      target[keys[keys.length - 1]!] = value;
    }
    inv.ctx.changedImmediately();
  },
};

export const actionLog: HookTool = {
  name: 'action-log',
  run(inv) {
    if (inv.args.length === 0) throw new HookToolUsageError('no message specified');
    const action = inv.ctx.action();
    action.messages.push({ timestamp: inv.ctx.now().toISOString(), message: inv.args.join(' ') });
    inv.ctx.changedImmediately();
  },
};

export const actionFail: HookTool = {
  name: 'action-fail',
  run(inv) {
    const [message = DEFAULT_FAIL_MESSAGE, ...rest] = inv.args;
    checkEmpty(rest);
    const action = inv.ctx.action();
    action.message = message;
    action.failed = true;
    inv.ctx.changedImmediately();
  },
};
