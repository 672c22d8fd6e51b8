import { setTimeout as sleep } from 'node:timers/promises';
import { listPods } from '../../pods/index.ts';
import { SandboxError } from '../../runtime/errors.ts';
import { podNameOf } from '../../runtime/paths.ts';
import { formatDuration, parse, parseDuration, positiveInt } from '../args.ts';
import type { CliContext } from '../context.ts';
import { activeAndIdle, type Condition, lastSeq, settled, watch } from '../progress.ts';

export const ADD_UNIT_USAGE = 'add-unit [app] [-n N] [--wait] [--timeout 15m]';
export const REMOVE_UNIT_USAGE = 'remove-unit <unit> [--force] [--timeout 15m]';
export const RESOLVE_USAGE = 'resolve <unit> [--no-retry]';

/** `add-unit`: new units (pods, Pebbles) and their install..start hooks, followed until settled. */
export async function addUnitCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { 'num-units': { type: 'string', short: 'n' }, wait: { type: 'boolean' }, timeout: { type: 'string' } });
  if (positionals.length > 1) throw new SandboxError('sandbox-usage', `usage: ${ADD_UNIT_USAGE}`);
  const app = await ctx.application(positionals[0]);
  const client = await ctx.daemon();
  const since = await lastSeq(client);
  const started = Date.now();
  const units = await client.addUnit(app, positiveInt(values['num-units'], 'num-units', 1));
  ctx.output.note(`added ${units.join(', ')}`);
  await watch(client, ctx.output, {
    since,
    timeoutMs: parseDuration(values.timeout ?? '15m'),
    until: values.wait ? activeAndIdle([app]) : settled,
    describe: values.wait ? `every unit of ${app} to be active and idle` : 'the model to settle',
    apps: [app],
    debugLogDir: ctx.paths.debugLogDir,
  });
  ctx.output.note(`${values.wait ? 'all units active and idle' : 'settled'} after ${formatDuration(Date.now() - started)}`);
  return 0;
}

/** `remove-unit`: departed/stop/remove hooks, then the unit leaves the model and its pod goes. */
export async function removeUnitCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { force: { type: 'boolean' }, timeout: { type: 'string' } });
  const [unit] = positionals;
  if (unit === undefined || positionals.length > 1) throw new SandboxError('sandbox-usage', `usage: ${REMOVE_UNIT_USAGE}`);
  const client = await ctx.daemon();
  const since = await lastSeq(client);
  const started = Date.now();
  const timeoutMs = parseDuration(values.timeout ?? '15m');
  await client.removeUnit(unit, { force: values.force === true });
  ctx.output.note(`removing ${unit}`);
  const gone: Condition = (status) => settled(status) && status.model.units[unit] === undefined;
  await watch(client, ctx.output, { since, timeoutMs, until: gone, describe: `${unit} to leave the model`, debugLogDir: ctx.paths.debugLogDir });
  // The pod is destroyed in the background once the unit has left: wait for it too.
  const pod = podNameOf(unit);
  const deadline = started + timeoutMs;
  while ((await listPods(ctx.paths.stateDir)).some((p) => p.name === pod)) {
    if (Date.now() >= deadline) throw new SandboxError('sandbox-wait-timeout', `pod ${pod} still exists; see ${ctx.paths.daemonLog}`);
    await sleep(200);
  }
  ctx.output.note(`${unit} removed (pod ${pod} destroyed) after ${formatDuration(Date.now() - started)}`);
  return 0;
}

/**
 * `juju resolved` (alias `resolve`): retry the unit's failed hook now, or with `--no-retry` skip
 * it as if it had run (the uniter's nextOpHookError: ResolvedRetryHooks runs the hook again,
 * ResolvedNoHooks commits it without running it). Like Juju it returns at once; a unit not in
 * error is refused with Juju's message.
 */
export async function resolveCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { 'no-retry': { type: 'boolean' } });
  const [unit] = positionals;
  if (unit === undefined || positionals.length > 1) throw new SandboxError('sandbox-usage', `usage: ${RESOLVE_USAGE}`);
  const client = await ctx.daemon();
  if (!(await client.resolve(unit, { retry: values['no-retry'] !== true }))) {
    throw new SandboxError('sandbox-not-in-error', `unit "${unit}" is not in an error state`);
  }
  return 0;
}
