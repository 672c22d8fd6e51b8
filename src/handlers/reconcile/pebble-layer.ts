/**
 * Step e (service): the workload's Pebble layer, added (combined) only when the plan differs and
 * replanned only when a service changed, so a steady-state hook restarts nothing. When only
 * patroni.yml changed, the running Patroni re-reads it on SIGHUP (no REST credentials needed,
 * which matters when the REST password itself changed).
 *
 * Before the cluster is initialised a non-leader stops here: its patroni.yml is in place, but
 * Patroni is started only once the leader's member has bootstrapped (`cluster_initialised`), so a
 * replica can never race the leader to initialise the cluster. The leader's write of that flag
 * fires relation-changed on every peer, whose reconcile then starts Patroni.
 *
 * A joining non-leader also waits until the leader has admitted it (its endpoint is in the app
 * bag's `endpoints`, from which every member renders the pg_hba rule that lets it replicate):
 * started earlier, its pg_basebackup is refused over and over and each hook waits in vain for
 * the member to start. The leader's write of `endpoints` gives it relation-changed.
 */
import { isDeepStrictEqual } from 'node:util';
import type { CharmContext } from '../../charm-context.ts';
import type { Layer, Plan } from '../../pebble/index.ts';
import {
  buildPebbleLayer,
  DEFAULT_PATRONI_ON_FAILURE,
  LAYER_LABEL,
  memberEndpoint,
  SERVICE_POSTGRESQL,
  type OnFailure,
} from '../../workload/index.ts';
import { prepareKubernetes } from './kubernetes-preparation.ts';
import { DONE, MESSAGES, waiting } from './outcome.ts';
import { isInitialised, type ReconcileState } from './state.ts';
import type { ReconcileStep } from './step.ts';

/** Empty values are what Pebble leaves out of a plan: they count as absent. */
function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value).length === 0;
}

/**
 * Whether the plan's entry carries every field of ours with the same value. Fields only the plan
 * has are Pebble's defaults (it fills a check's `threshold`, for one) and do not count, or every
 * hook would re-add the layer — and a replan restarts Patroni.
 */
function planHas(planned: object | undefined, wanted: object): boolean {
  const actual = (planned ?? {}) as Record<string, unknown>;
  return Object.entries(wanted).every(([key, value]) => (isEmpty(value) ? isEmpty(actual[key]) : isDeepStrictEqual(actual[key], value)));
}

function sectionDiffers(plan: Record<string, object>, wanted: Record<string, object> | undefined): boolean {
  return Object.entries(wanted ?? {}).some(([name, entry]) => !planHas(plan[name], entry));
}

/** Which parts of the plan lack the layer's definitions (services need a replan, checks do not). */
export function layerChanges(plan: Plan, layer: Layer): { services: boolean; checks: boolean } {
  return { services: sectionDiffers(plan.services, layer.services), checks: sectionDiffers(plan.checks, layer.checks) };
}

const ON_FAILURE_VALUES: ReadonlySet<string> = new Set(['restart', 'shutdown', 'success-shutdown', 'ignore']);

/** The restore code may override what Pebble does when Patroni exits (unit bag key). */
function patroniOnFailure(state: ReconcileState): OnFailure {
  const override = state.unit['patroni-on-failure-condition-override'];
  return override !== undefined && ON_FAILURE_VALUES.has(override) ? (override as OnFailure) : DEFAULT_PATRONI_ON_FAILURE;
}

/** The flag the Patroni client's scheme follows: what the running Patroni now speaks. */
async function recordApiTls(charm: CharmContext, state: ReconcileState): Promise<void> {
  const flag = state.tls ? 'enabled' : undefined;
  if (!state.hasPeerRelation || state.unit.tls === flag) return;
  await charm.peers.writeUnit({ tls: flag ?? null });
  state.unit = { ...state.unit, tls: flag };
}

export const pebbleLayerStep: ReconcileStep = {
  name: 'service',
  retryMessage: MESSAGES.clusterNotStarted,
  async run(charm, state) {
    const { workload, passwords } = state;
    if (workload === undefined || passwords === undefined) return DONE;
    if (!state.isLeader && !isInitialised(state)) return waiting(MESSAGES.clusterNotStarted, { halt: true });
    if (!state.isLeader && !(state.app.endpoints ?? []).includes(memberEndpoint(charm.unitName))) {
      return waiting(MESSAGES.memberNotStarted, { halt: true });
    }
    const pebble = await charm.pebble();
    const layer = buildPebbleLayer({
      unitName: charm.unitName,
      dcs: charm.dcs(),
      patroniApiTls: state.unit.tls === 'enabled',
      patroniOnFailure: patroniOnFailure(state),
      ...(passwords.monitoring === undefined ? {} : { monitoringPassword: passwords.monitoring }),
      pgbackrestExporter: workload.pgbackrestExporter,
      commands: workload.commands,
    });
    const plan = await pebble.plan();
    const changes = layerChanges(plan, layer);
    const [service] = plan.services[SERVICE_POSTGRESQL] === undefined ? [] : await pebble.services([SERVICE_POSTGRESQL]);
    // After a container restart the plan may be intact but nothing runs (the sandbox keeps layers).
    const restartAfterPebbleReady = state.event.kind === 'pebble-ready' && service?.current !== 'active';

    if (changes.services || restartAfterPebbleReady) {
      const prepared = await prepareKubernetes(charm, state, plan.services[SERVICE_POSTGRESQL] === undefined);
      if (prepared.kind !== 'done') return prepared;
      if (changes.services) await pebble.addLayer(LAYER_LABEL, layer, { combine: true });
      await pebble.replan();
      state.serviceStarted = true;
      charm.logger.info({ layerChanged: changes.services }, 'replanned the workload services');
    } else {
      if (changes.checks) await pebble.addLayer(LAYER_LABEL, layer, { combine: true });
      if (state.patroniConfigChanged && service?.current === 'active') {
        await pebble.sendSignal('SIGHUP', [SERVICE_POSTGRESQL]);
        charm.logger.info('asked Patroni to reload patroni.yml');
      }
    }
    await recordApiTls(charm, state);
    return DONE;
  },
};
