/**
 * Step h (leader): the cluster-wide settings Patroni keeps in its DCS — parameters every member
 * must share, the synchronous-replication settings for the planned size, the failover lag. The
 * leader PATCHes only the keys that differ from `GET /config`, so a steady cluster sees no writes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { CharmContext } from '../../charm-context.ts';
import {
  gateStrictMode,
  isStarted,
  synchronousConfiguration,
  type ConfigPatch,
  type ConfigPatchValue,
  type SynchronousConfiguration,
} from '../../patroni/index.ts';
import { patroniDynamicConfigPatch } from '../../workload/index.ts';
import { knownEndpoints } from './endpoints.ts';
import { DONE } from './outcome.ts';
import { isInitialised, type ReconcileState } from './state.ts';
import type { ReconcileStep } from './step.ts';

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
  charm: CharmContext,
  state: ReconcileState,
  synchronous: SynchronousConfiguration,
  currentlyStrict: boolean,
): Promise<SynchronousConfiguration> {
  if (!synchronous.synchronous_mode_strict || currentlyStrict) return synchronous;
  const patroni = await charm.patroni();
  let members = (state.cluster ?? (await patroni.cluster())).members;
  const deadline = Date.now() + charm.timing.memberStartTimeoutMs;
  const aReplicaRuns = () => members.some((m) => m.role === 'replica' && isStarted(m.state));
  while (!gateStrictMode(synchronous, false, members).synchronous_mode_strict && aReplicaRuns() && Date.now() + charm.timing.pollIntervalMs <= deadline) {
    await sleep(charm.timing.pollIntervalMs);
    members = (await patroni.cluster()).members;
  }
  return gateStrictMode(synchronous, false, members);
}

export const dynamicConfigStep: ReconcileStep = {
  name: 'dynamic-config',
  retryMessage: 'waiting to update the cluster configuration',
  async run(charm, state) {
    const { config, resources, workerConfig, plannedUnits } = state;
    if (!state.isLeader || !isInitialised(state) || config === undefined || resources === undefined) return DONE;
    if (workerConfig === undefined || plannedUnits === undefined) return DONE;
    const patroni = await charm.patroni();
    const current = await patroni.config();
    const synchronous = synchronousConfiguration(
      config.synchronous_node_count,
      plannedUnits,
      knownEndpoints(state, charm.unitName).length,
      config.synchronous_mode_strict,
    );
    const currentlyStrict = current.synchronous_mode_strict === true;
    const wanted = patroniDynamicConfigPatch({
      cpuCores: resources.cpuCores,
      config,
      workerConfig,
      synchronous: await gatedSynchronousConfiguration(charm, state, synchronous, currentlyStrict),
    });
    const delta = configPatchDelta(current, wanted as ConfigPatch);
    if (delta === undefined) return DONE;
    await patroni.patchConfig(delta);
    charm.logger.info({ keys: Object.keys(delta) }, 'updated Patroni dynamic configuration');
    return DONE;
  },
};
