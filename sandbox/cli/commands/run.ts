import { stringify as toYaml } from 'yaml';
import type { Action } from '../../juju/model.ts';
import { SandboxError } from '../../runtime/errors.ts';
import { actionParams, parse, parseDuration } from '../args.ts';
import type { CliContext } from '../context.ts';
import { jujuSince } from '../status-model.ts';

export const RUN_USAGE = 'run <unit> <action> [key=value ...] [--format plain|yaml|json] [--timeout 10m]';

const RESERVED = new Set(['stdout', 'stderr', 'return-code', 'Stdout', 'Stderr', 'Code']);

/**
 * `run`: queue the action, wait for it, and print it as `juju run` does: its results as YAML and
 * its stdout (plain), or the whole task (`--format yaml|json`). A failed action prints its message
 * and exits 1. An action in actions.yaml that the charm does not handle completes with no
 * results, as in Juju (the dispatcher ignores it); one missing from actions.yaml is refused.
 */
export async function runCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { format: { type: 'string' }, timeout: { type: 'string' } });
  const [unit, name, ...words] = positionals;
  if (unit === undefined || name === undefined) throw new SandboxError('sandbox-usage', `usage: ${RUN_USAGE}`);
  const format = values.format ?? 'plain';
  if (!['plain', 'yaml', 'json'].includes(format)) throw new SandboxError('sandbox-usage', '--format must be plain, yaml or json');
  const client = await ctx.daemon();
  const queued = await client.runAction(unit, name, actionParams(words), { wait: false });
  if (format === 'plain') ctx.output.note(`Running operation ${queued.id} with 1 task\n  - task ${queued.id} on unit-${unit.replace('/', '-')}\n\nWaiting for task ${queued.id}...`);
  const action = await waitFor(ctx, queued.id, parseDuration(values.timeout ?? '10m'));

  if (format === 'json' || format === 'yaml') {
    const document = { [unit]: taskDocument(action) };
    ctx.output.write(format === 'json' ? `${JSON.stringify(document)}\n` : toYaml(document));
  } else {
    const results = Object.fromEntries(Object.entries(action.results).filter(([key]) => !RESERVED.has(key)));
    if (Object.keys(results).length > 0) ctx.output.write(toYaml(results));
    for (const message of action.messages) ctx.output.note(message.message);
    const stdout = action.results['stdout'];
    if (typeof stdout === 'string' && stdout !== '') ctx.output.write(stdout.endsWith('\n') ? stdout : `${stdout}\n`);
    const stderr = action.results['stderr'];
    if (typeof stderr === 'string' && stderr.trim() !== '') ctx.output.note(stderr.trimEnd());
  }
  if (action.status === 'completed') return 0;
  ctx.output.note(`Action id ${action.id} ${action.status}: ${action.message || 'no message'}`);
  return 1;
}

async function waitFor(ctx: CliContext, id: string, timeoutMs: number): Promise<Action> {
  const client = await ctx.daemon();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const action = await client.getAction(id);
    if (action.status === 'completed' || action.status === 'failed' || action.status === 'aborted') return action;
    if (Date.now() >= deadline) {
      throw new SandboxError('sandbox-wait-timeout', `action ${id} is still ${action.status} after ${Math.round(timeoutMs / 1000)}s (it stays queued; see debug-log)`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The task as `juju run --format yaml` shows it. */
function taskDocument(action: Action): Record<string, unknown> {
  const results: Record<string, unknown> = { ...action.results };
  const code = results['return-code'];
  if (typeof code === 'string' && /^-?\d+$/.test(code)) results['return-code'] = Number(code);
  return {
    id: action.id,
    ...(action.messages.length === 0 ? {} : { log: action.messages.map((m) => `${jujuSince(m.timestamp)} ${m.message}`) }),
    ...(action.message === '' ? {} : { message: action.message }),
    results,
    status: action.status,
    timing: { completed: action.completedAt === null ? '' : jujuSince(action.completedAt), enqueued: jujuSince(action.enqueuedAt) },
    unit: action.unit,
  };
}
