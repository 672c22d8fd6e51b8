import { isCharmError } from '../../../src/errors.ts';
import { dcsDown, dcsUp, freezePod, healPod, partitionPod, partitionPodFromDcs, thawPod } from '../../pods/faults.ts';
import { fillVolume, freeVolume, volumeAvailable } from '../../pods/volumes.ts';
import { loadPod, type Pod } from '../../pods/index.ts';
import { SandboxError } from '../../runtime/errors.ts';
import { podNameOf } from '../../runtime/paths.ts';
import { formatDuration } from '../args.ts';
import { CHAOS_USAGE, dcsPort, parseChaosArgs, type PodFaultName } from './chaos-args.ts';
import type { CliContext } from '../context.ts';
import { lastSeq, settled, watch } from '../progress.ts';

export { CHAOS_USAGE };

/** Faults that leave the pod's processes alive; each acts at once and waits for nothing. */
const POD_FAULTS: Readonly<Record<PodFaultName, { run: (pod: Pod) => Promise<string | void>; done: string }>> = {
  freeze: { run: freezePod, done: 'froze every process (SIGSTOP) in' },
  thaw: { run: thawPod, done: 'thawed (SIGCONT) every process in' },
  partition: { run: partitionPod, done: 'cut from the other pods, the DCS and outside clients:' },
  'partition-dcs': { run: partitionPodFromDcs, done: 'cut from the DCS (it still reaches the other pods):' },
  heal: { run: healPod, done: 'reconnected' },
  'disk-full': {
    run: async (pod) => `(${mib(await fillVolume(pod))} MiB taken, ${mib(await volumeAvailable(pod))} MiB left)`,
    done: 'filled the data volume (writes there now fail with ENOSPC) of',
  },
  'disk-free': {
    run: async (pod) => `(${await freeVolume(pod)} filler files removed, ${mib(await volumeAvailable(pod))} MiB free)`,
    done: 'gave back the space disk-full took on the data volume of',
  },
};

const mib = (bytes: number): string => (bytes / 1024 ** 2).toFixed(1);

/**
 * `chaos`: failures Kubernetes would bring. `kill-pod` SIGKILLs every process in a unit's pod
 * (Pebble, Patroni, PostgreSQL, a running hook), `kill-all-pods` does it to every pod at once,
 * as a node restart would. The daemon starts each Pebble again (the kubelet's job) and fires
 * `<container>-pebble-ready` once it answers; this follows the hooks until the model settles.
 * `freeze`/`thaw`, `partition`/`partition-dcs`/`heal`, `disk-full`/`disk-free` act on the named
 * pods only (sandbox/pods/faults.ts, volumes.ts) and return at once; `dcs-down`/`dcs-up` take
 * the whole DCS (etcd or the Kubernetes API stand-in, whichever the sandbox runs) from every pod.
 */
export async function chaosCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const plan = parseChaosArgs(argv);
  if (plan.kind === 'pod-fault') {
    ctx.requireRoot();
    const fault = POD_FAULTS[plan.fault];
    for (const unit of plan.units) {
      const detail = await fault.run(await podOf(ctx, unit));
      ctx.output.note(`${fault.done} ${unit}${typeof detail === 'string' ? ` ${detail}` : ''}`);
    }
    return 0;
  }
  if (plan.kind === 'dcs') {
    ctx.requireRoot();
    const { dcs } = await ctx.settings();
    const port = dcsPort(dcs);
    const what = dcs === 'kubernetes' ? `the Kubernetes API stand-in (port ${port})` : `etcd (port ${port})`;
    const changed = plan.down ? await dcsDown(ctx.paths.stateDir, port) : await dcsUp(ctx.paths.stateDir, port);
    ctx.output.note(plan.down ? `${what} ${changed ? 'is now down for' : 'was already down for'} every pod (connections reset)` : `${what} ${changed ? 'is back for' : 'was not down for'} every pod`);
    return 0;
  }
  const client = await ctx.daemon();
  const since = await lastSeq(client);
  const started = Date.now();
  const killed = await client.killUnits(plan.units);
  ctx.output.note(`killed ${killed} process${killed === 1 ? '' : 'es'} in ${plan.units === undefined ? 'every pod' : plan.units.join(', ')}; the Pebbles come back as containers restarted by the kubelet would`);
  if (!plan.wait) return 0;
  await watch(client, ctx.output, {
    since,
    timeoutMs: plan.timeoutMs,
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
