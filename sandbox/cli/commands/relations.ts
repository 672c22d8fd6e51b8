import { SandboxError } from '../../runtime/errors.ts';
import { formatDuration, parse, parseDuration } from '../args.ts';
import type { CliContext } from '../context.ts';
import { lastSeq, settled, watch } from '../progress.ts';

export const RELATE_USAGE = 'relate <app>[:endpoint] <app>[:endpoint] [--timeout 15m]';
export const REMOVE_RELATION_USAGE = 'remove-relation <app>[:endpoint] <app>[:endpoint] | <relation-id>';

/** `relate` (alias `integrate`): relation-created, joined and changed on both sides. */
export async function relateCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { timeout: { type: 'string' } });
  const [first, second] = positionals;
  if (first === undefined || second === undefined || positionals.length > 2) throw new SandboxError('sandbox-usage', `usage: ${RELATE_USAGE}`);
  const client = await ctx.daemon();
  const since = await lastSeq(client);
  const started = Date.now();
  const id = await client.relate(first, second);
  ctx.output.note(`related ${first} and ${second} (relation ${id})`);
  await followToSettled(ctx, since, values.timeout, started);
  return 0;
}

/** `remove-relation`: departed on every unit in scope, then broken. */
export async function removeRelationCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { timeout: { type: 'string' } });
  const client = await ctx.daemon();
  let target: number | [string, string];
  if (positionals.length === 1 && /^\d+$/.test(positionals[0]!)) target = Number(positionals[0]);
  else if (positionals.length === 2) target = [positionals[0]!, positionals[1]!];
  else throw new SandboxError('sandbox-usage', `usage: ${REMOVE_RELATION_USAGE}`);
  const since = await lastSeq(client);
  const started = Date.now();
  await client.removeRelation(target);
  ctx.output.note(`removing relation ${Array.isArray(target) ? target.join(' ') : target}`);
  await followToSettled(ctx, since, values.timeout, started);
  return 0;
}

async function followToSettled(ctx: CliContext, since: number, timeout: string | undefined, started: number): Promise<void> {
  await watch(await ctx.daemon(), ctx.output, {
    since,
    timeoutMs: parseDuration(timeout ?? '15m'),
    until: settled,
    describe: 'the model to settle',
    debugLogDir: ctx.paths.debugLogDir,
  });
  ctx.output.note(`settled after ${formatDuration(Date.now() - started)}`);
}
