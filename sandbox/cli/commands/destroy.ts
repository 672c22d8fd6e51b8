import { existsSync } from 'node:fs';
import { SandboxError } from '../../runtime/errors.ts';
import { readSettings } from '../../runtime/settings.ts';
import { destroyEverything } from '../../runtime/teardown.ts';
import { formatDuration, parse } from '../args.ts';
import type { CliContext } from '../context.ts';

export const DESTROY_USAGE = 'destroy';

/**
 * `destroy`: everything the sandbox made goes (daemon, Pebbles and their workloads, etcd, pods,
 * namespaces, links, mounts, the state dir). It works without a daemon, or after a crash.
 */
export async function destroyCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const { positionals } = parse(argv, {});
  if (positionals.length > 0) throw new SandboxError('sandbox-usage', `usage: ${DESTROY_USAGE}`);
  ctx.requireRoot();
  if (!existsSync(ctx.paths.stateDir)) {
    ctx.output.note(`nothing to destroy: ${ctx.paths.stateDir} does not exist`);
    return 0;
  }
  const settings = await readSettings(ctx.paths).catch(() => null);
  ctx.output.note(`destroying sandbox ${settings?.sandboxId ?? '(unknown id)'} in ${ctx.paths.stateDir}...`);
  const started = Date.now();
  ctx.close();
  const report = await destroyEverything(ctx.paths);
  const parts = [
    report.daemonStopped ? 'daemon stopped' : 'no daemon running',
    `${report.pebblesStopped} Pebble${report.pebblesStopped === 1 ? '' : 's'} stopped`,
    report.etcdStopped ? 'etcd stopped' : 'no etcd running',
    'pods, namespaces, links, mounts and state removed',
  ];
  ctx.output.note(`${parts.join('; ')} (${formatDuration(Date.now() - started)})`);
  return 0;
}
