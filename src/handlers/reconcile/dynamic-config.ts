/**
 * (Leader) The cluster-wide settings Patroni keeps in its DCS — parameters every member
 * must share, the synchronous-replication settings for the planned size, the failover lag. The
 * leader PATCHes only the keys that differ from `GET /config`, so a steady cluster sees no writes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  gateStrictMode,
  isStarted,
  synchronousConfiguration,
  type ConfigPatch,
  type ConfigPatchValue,
  type SynchronousConfiguration,
} from '../../patroni/index.ts';
import { patroniDynamicConfigPatch } from '../../workload/index.ts';
import type { HandlerDeps } from '../deps.ts';
import { knownEndpoints } from './endpoints.ts';
import { isInitialised } from './facts.ts';
import { proceed, step } from './pipeline.ts';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Numbers and their decimal strings are the same setting (Patroni keeps whatever JSON it was sent). */
function sameScalar(current: unknown, wanted: ConfigPatchValue): boolean {
  if (current === wanted) return true;
  const scalar = (value: unknown) => (typeof value === 'number' || typeof value === 'string' ? String(value) : value);
  return (typeof wanted === 'number' || typeof wanted === 'string') && scalar(current) === scalar(wanted);
}

/**
 * The part of `wanted` (a JSON merge patch) that `current` does not already have, or undefined
 * when nothing differs. `null` means "absent", as in a merge patch.
 */
export function configPatchDelta(current: Readonly<Record<string, unknown>>, wanted: ConfigPatch): ConfigPatch | undefined {
  const delta: ConfigPatch = {};
  for (const [key, value] of Object.entries(wanted)) {
    const existing = current[key];
    if (value === null) {
      if (existing !== undefined && existing !== null) delta[key] = null;
    } else if (isObject(value)) {
      const nested = configPatchDelta(isObject(existing) ? existing : {}, value as ConfigPatch);
      if (nested !== undefined) delta[key] = nested;
    } else if (Array.isArray(value)) {
      if (!Array.isArray(existing) || JSON.stringify(existing) !== JSON.stringify(value)) delta[key] = value;
    } else if (!sameScalar(existing, value)) {
      delta[key] = value;
    }
  }
  return Object.keys(delta).length === 0 ? undefined : delta;
}

/**
 * `synchronous` with strict mode held back until Patroni has a synchronous standby
 * (gateStrictMode). The cluster is read only when strict mode is about to be turned on. A
 * replica that runs is usually chosen within one Patroni loop: wait for that (bounded), since
 * no hook may follow to turn strict mode on until update-status.
 */
async function gatedSynchronousConfiguration(
  deps: Pick<HandlerDeps, 'cluster' | 'timing'>,
  synchronous: SynchronousConfiguration,
  currentlyStrict: boolean,
): Promise<SynchronousConfiguration> {
  if (!synchronous.synchronous_mode_strict || currentlyStrict) return synchronous;
  let members = (await deps.cluster.latest('self')).members;
  const deadline = Date.now() + deps.timing.memberStartTimeoutMs;
  const aReplicaRuns = () => members.some((m) => m.role === 'replica' && isStarted(m.state));
  while (!gateStrictMode(synchronous, false, members).synchronous_mode_strict && aReplicaRuns() && Date.now() + deps.timing.pollIntervalMs <= deadline) {
    await sleep(deps.timing.pollIntervalMs);
    members = (await deps.cluster.read('self')).members;
  }
  return gateStrictMode(synchronous, false, members);
}

export const dynamicConfigStep = step({
  name: 'dynamic-config',
  retryMessage: 'waiting to update the cluster configuration',
  requires: ['isLeader', 'app', 'config', 'resources', 'rendered'],
  provides: [],
  async run(deps: Pick<HandlerDeps, 'unitName' | 'patroni' | 'cluster' | 'timing' | 'logger'>, { isLeader, app, config, resources, rendered }) {
    if (!isLeader || !isInitialised({ app })) return proceed();
    const patroni = await deps.patroni();
    const current = await patroni.config();
    const synchronous = synchronousConfiguration(
      config.synchronous_node_count,
      rendered.plannedUnits,
      knownEndpoints({ app }, deps.unitName).length,
      config.synchronous_mode_strict,
    );
    const currentlyStrict = current.synchronous_mode_strict === true;
    const wanted = patroniDynamicConfigPatch({
      cpuCores: resources.cpuCores,
      config,
      workerConfig: rendered.workerConfig,
      synchronous: await gatedSynchronousConfiguration(deps, synchronous, currentlyStrict),
    });
    const delta = configPatchDelta(current, wanted as ConfigPatch);
    if (delta === undefined) return proceed();
    await patroni.patchConfig(delta);
    deps.logger.info({ keys: Object.keys(delta) }, 'updated Patroni dynamic configuration');
    return proceed();
  },
});
