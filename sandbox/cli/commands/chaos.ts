import { isCharmError } from '../../../src/errors.ts';
import { freezePod, healPod, partitionPod, partitionPodFromDcs, thawPod } from '../../pods/faults.ts';
import { loadPod, type Pod } from '../../pods/index.ts';
import { SandboxError } from '../../runtime/errors.ts';
import { podNameOf } from '../../runtime/paths.ts';
import { formatDuration, parse, parseDuration } from '../args.ts';
import type { CliContext } from '../context.ts';
import { lastSeq, settled, watch } from '../progress.ts';

export const CHAOS_USAGE =
  'chaos kill-pod <unit> [unit ...] | chaos kill-all-pods [--no-wait] [--timeout 15m] | chaos freeze|thaw|partition|partition-dcs|heal <unit> [unit ...]';

/** Faults that leave the pod's processes alive; each acts at once and waits for nothing. */
const POD_FAULTS: Readonly<Record<string, { run: (pod: Pod) => Promise<void>; done: string }>> = {
  freeze: { run: freezePod, done: 'froze every process (SIGSTOP) in' },
  thaw: { run: thawPod, done: 'thawed (SIGCONT) every process in' },
  partition: { run: partitionPod, done: 'cut from the other pods, the DCS and outside clients:' },
  'partition-dcs': { run: partitionPodFromDcs, done: 'cut from the DCS (it still reaches the other pods):' },
  heal: { run: healPod, done: 'reconnected' },
};

/**
 * `chaos`: failures Kubernetes would bring. `kill-pod` SIGKILLs every process in a unit's pod
 * (Pebble, Patroni, PostgreSQL, a running hook), `kill-all-pods` does it to every pod at once,
 * as a node restart would. The daemon starts each Pebble again (the kubelet's job) and fires
 * `<container>-pebble-ready` once it answers; this follows the hooks until the model settles.
 * `freeze`/`thaw`, `partition`/`partition-dcs`/`heal` act on the named pods only
 * (sandbox/pods/faults.ts) and return at once.
 */
export async function chaosCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { 'no-wait': { type: 'boolean' }, timeout: { type: 'string' } });
  const [what, ...units] = positionals;
  const fault = what === undefined ? undefined : POD_FAULTS[what];
  if (fault !== undefined) {
    if (units.length === 0) throw new SandboxError('sandbox-usage', `usage: ${CHAOS_USAGE}`);
    ctx.requireRoot();
    for (const unit of units) {
      await fault.run(await podOf(ctx, unit));
      ctx.output.note(`${fault.done} ${unit}`);
    }
    return 0;
  }
  const all = what === 'kill-all-pods';
  if (!(all ? units.length === 0 : what === 'kill-pod' && units.length > 0)) throw new SandboxError('sandbox-usage', `usage: ${CHAOS_USAGE}`);
  const timeoutMs = parseDuration(values.timeout ?? '15m');
  const client = await ctx.daemon();
  const since = await lastSeq(client);
  const started = Date.now();
  const killed = await client.killUnits(all ? undefined : units);
  ctx.output.note(`killed ${killed} process${killed === 1 ? '' : 'es'} in ${all ? 'every pod' : units.join(', ')}; the Pebbles come back as containers restarted by the kubelet would`);
  if (values['no-wait']) return 0;
  await watch(client, ctx.output, {
    since,
    timeoutMs,
    until: settled,
    describe: 'the workload containers to answer again and the model to settle',
    debugLogDir: ctx.paths.debugLogDir,
  });
  ctx.output.note(`settled after ${formatDuration(Date.now() - started)}`);
  return 0;
}

async function podOf(ctx: CliContext, unit: string): Promise<Pod> {
  try {
    return await loadPod(ctx.paths.stateDir, podNameOf(unit));
  } catch (error) {
    if (isCharmError(error, 'pod-not-found')) throw new SandboxError('sandbox-unit-unknown', `unit "${unit}" not found (no pod ${podNameOf(unit)})`);
    throw error;
  }
}
