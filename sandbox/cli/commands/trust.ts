import { SandboxError } from '../../runtime/errors.ts';
import { formatDuration, parse, parseDuration } from '../args.ts';
import type { CliContext } from '../context.ts';
import { lastSeq, settled, watch } from '../progress.ts';

export const TRUST_USAGE = 'trust <app> [--scope=cluster] [--remove] [--timeout 15m]';

/**
 * `trust` as `juju trust` (https://juju.is/docs/juju/juju-trust): the application's service
 * account may use the Kubernetes API stand-in (the sandbox grants the cluster scope, the one the
 * charm asks for); `--remove` takes it back. Its units then run config-changed, as Juju's do when
 * the trust setting changes, and the verb follows the hooks until the model settles.
 */
export async function trustCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    scope: { type: 'string' },
    remove: { type: 'boolean' },
    timeout: { type: 'string' },
  });
  const [app] = positionals;
  if (app === undefined || positionals.length > 1) throw new SandboxError('sandbox-usage', `usage: ${TRUST_USAGE}`);
  if (values.scope !== undefined && values.scope !== 'cluster') {
    throw new SandboxError('sandbox-usage', `--scope must be cluster (the sandbox has only the Kubernetes cluster scope), not ${values.scope}`);
  }
  const timeoutMs = parseDuration(values.timeout ?? '15m');
  const client = await ctx.daemon();
  const since = await lastSeq(client);
  const started = Date.now();
  const trusted = values.remove !== true;
  const changed = await client.trust(app, trusted);
  ctx.output.note(`${app}: ${trusted ? 'trusted' : 'trust removed'}${changed ? '' : ' (unchanged)'}`);
  await watch(client, ctx.output, { since, timeoutMs, until: settled, describe: 'the model to settle', apps: [app], debugLogDir: ctx.paths.debugLogDir });
  ctx.output.note(`settled after ${formatDuration(Date.now() - started)}`);
  return 0;
}
