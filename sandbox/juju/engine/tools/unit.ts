import { effectiveConfig } from '../../model/topology.ts';
import type { Status } from '../../model/schema.ts';
import type { HookTool } from '../command.ts';
import type { ModelEvent } from '../commit.ts';
import { HookToolRunError, HookToolUsageError, NOT_LEADER } from '../errors.ts';
import { checkEmpty, parseKeyValues } from '../flags.ts';

/**
 * Tools about the unit and its application: config-get, is-leader, leader-get/-set, status-get,
 * status-set, application-version-set and juju-log. Status, version, log and leader settings are
 * immediate (docs/hook-tools.md#what-a-failed-hook-undoes): they change the model during the call.
 */

const ALL_FORMATS = ['smart', 'yaml', 'json'] as const;
const SETTABLE_STATUSES = ['maintenance', 'blocked', 'waiting', 'active'];

export const configGet: HookTool = {
  name: 'config-get',
  formats: ALL_FORMATS,
  flags: () => [{ names: ['a', 'all'], kind: 'bool' }],
  run(inv) {
    const all = inv.flags['a'] === true;
    const [key, ...rest] = inv.args;
    if (key !== undefined && key !== '' && all) throw new HookToolUsageError(`cannot use argument --all together with key ${JSON.stringify(key)}`);
    checkEmpty(rest);
    const app = inv.ctx.app;
    const settings: Record<string, unknown> = effectiveConfig(app);
    if (key !== undefined && key !== '') {
      inv.write(settings[key] ?? null);
      return;
    }
    if (all) for (const option of Object.keys(app.charm.config)) settings[option] ??= null;
    inv.write(settings);
  },
};

export const isLeader: HookTool = {
  name: 'is-leader',
  formats: ALL_FORMATS,
  run(inv) {
    checkEmpty(inv.args);
    inv.write(inv.ctx.isLeader());
  },
};

export const leaderGet: HookTool = {
  name: 'leader-get',
  formats: ALL_FORMATS,
  run(inv) {
    let [key = '', ...rest] = inv.args;
    if (key === '-') key = '';
    else if (key.includes('=')) throw new HookToolUsageError(`invalid key ${JSON.stringify(key)}`);
    checkEmpty(rest);
    const settings = inv.ctx.app.leaderSettings;
    inv.write(key === '' ? { ...settings } : (settings[key] ?? null));
  },
};

export const leaderSet: HookTool = {
  name: 'leader-set',
  run(inv) {
    const { ctx } = inv;
    const changes = parseKeyValues(inv.args);
    if (!ctx.isLeader()) throw new HookToolRunError('cannot write leadership settings: cannot write settings: not the leader');
    const app = ctx.app;
    const next = { ...app.leaderSettings };
    for (const [key, value] of Object.entries(changes)) {
      if (value === '') delete next[key];
      else next[key] = value;
    }
    app.leaderSettings = next;
    // Written straight to the controller; the other units hear about it at once.
    const events: ModelEvent[] = Object.values(ctx.model.units)
      .filter((u) => u.app === app.name && u.name !== ctx.unit.name)
      .map((u) => ({ kind: 'leader-settings-changed', hook: 'leader-settings-changed', unit: u.name }));
    ctx.changedImmediately(events);
  },
};

function details(status: Status, includeData: boolean): Record<string, unknown> {
  return includeData ? { status: status.status, message: status.message, 'status-data': { ...status.data } } : { status: status.status };
}

export const statusGet: HookTool = {
  name: 'status-get',
  formats: ALL_FORMATS,
  flags: () => [
    { names: ['include-data'], kind: 'bool' },
    { names: ['application'], kind: 'bool' },
  ],
  run(inv) {
    checkEmpty(inv.args);
    const { ctx } = inv;
    const includeData = inv.flags['include-data'] === true;
    if (inv.flags['application'] !== true) {
      const status = ctx.unit.workloadStatus;
      inv.write(!includeData && inv.format === 'smart' ? status.status : details(status, includeData));
      return;
    }
    if (!ctx.isLeader()) throw new HookToolRunError(`finding application status: ${NOT_LEADER}`);
    const app = ctx.app;
    if (!includeData && inv.format === 'smart') {
      inv.write(app.status.status);
      return;
    }
    const units = Object.fromEntries(
      Object.values(ctx.model.units)
        .filter((u) => u.app === app.name)
        .map((u) => [u.name, details(u.workloadStatus, includeData)]),
    );
    // Juju nests `units` inside `application-status` (docs/hook-tools.md).
    inv.write({ 'application-status': { ...details(app.status, includeData), units } });
  },
};

export const statusSet: HookTool = {
  name: 'status-set',
  flags: () => [{ names: ['application'], kind: 'bool' }],
  run(inv) {
    const { ctx } = inv;
    const [value, message = '', ...rest] = inv.args;
    if (value === undefined) throw new HookToolUsageError('invalid args, require <status> [message]');
    if (!SETTABLE_STATUSES.includes(value)) {
      throw new HookToolUsageError(`invalid status ${JSON.stringify(value)}, expected one of [${SETTABLE_STATUSES.join(' ')}]`);
    }
    checkEmpty(rest);
    const status: Status = { status: value, message, since: ctx.now().toISOString(), data: {} };
    if (inv.flags['application'] === true) {
      ctx.requireLeader();
      ctx.app.status = status;
    } else {
      ctx.unit.workloadStatus = status;
    }
    ctx.changedImmediately();
  },
};

export const applicationVersionSet: HookTool = {
  name: 'application-version-set',
  run(inv) {
    const [version, ...rest] = inv.args;
    if (version === undefined) throw new HookToolUsageError('no version specified');
    checkEmpty(rest);
    inv.ctx.unit.workloadVersion = version;
    inv.ctx.changedImmediately();
  },
};

const LOG_LEVELS = new Set(['TRACE', 'DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL']);

export const jujuLog: HookTool = {
  name: 'juju-log',
  flags: () => [
    { names: ['debug'], kind: 'bool' },
    { names: ['l', 'log-level'], kind: 'string' },
    { names: ['format'], kind: 'string' },
  ],
  run(inv) {
    const { ctx } = inv;
    if (inv.args.length === 0) throw new HookToolUsageError('no message specified');
    if (inv.flags['format'] !== undefined) inv.warn('--format flag deprecated for command "juju-log"');
    let level = 'INFO';
    if (inv.flags['debug'] === true) level = 'DEBUG';
    else if (inv.flags['l'] !== undefined) {
      const requested = String(inv.flags['l']).toUpperCase();
      if (LOG_LEVELS.has(requested)) level = requested;
      else if (requested === 'WARN') level = 'WARNING';
      else ctx.log('WARNING', `Specified log level of ${JSON.stringify(inv.flags['l'])} is not valid`);
    }
    const relationId = ctx.hookRelationId();
    const prefix = relationId === undefined ? '' : `${ctx.fakeRelationId(ctx.relation(relationId))}: `;
    ctx.log(level, `${prefix}${inv.args.join(' ')}`);
  },
};
