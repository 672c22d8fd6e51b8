/**
 * The workload's Pebble layer, added (combined) only when the plan differs and
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
import type { Layer, Plan } from '../../pebble/index.ts';
import type { UnitPeerData } from '../../state/peer-schemas.ts';
import {
  buildPebbleLayer,
  DEFAULT_PATRONI_ON_FAILURE,
  LAYER_LABEL,
  memberEndpoint,
  SERVICE_METRICS,
  SERVICE_POSTGRESQL,
  type OnFailure,
} from '../../workload/index.ts';
import type { HandlerDeps } from '../deps.ts';
import { writeExporterQueries, writeMonitoringPgpass } from './exporter-credentials.ts';
import { isInitialised } from './facts.ts';
import { prepareKubernetes } from './kubernetes-preparation.ts';
import { MESSAGES, waiting } from './outcome.ts';
import { halt, next, step } from './pipeline.ts';

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
function patroniOnFailure(unit: UnitPeerData): OnFailure {
  const override = unit['patroni-on-failure-condition-override'];
  return override !== undefined && ON_FAILURE_VALUES.has(override) ? (override as OnFailure) : DEFAULT_PATRONI_ON_FAILURE;
}

/** The flag the Patroni client's scheme follows: what the running Patroni now speaks. */
async function recordApiTls(deps: Pick<HandlerDeps, 'peers'>, hasPeerRelation: boolean, unit: UnitPeerData, tls: boolean): Promise<UnitPeerData> {
  const flag = tls ? 'enabled' : undefined;
  if (!hasPeerRelation || unit.tls === flag) return unit;
  await deps.peers.writeUnit({ tls: flag ?? null });
  return { ...unit, tls: flag };
}

export const pebbleLayerStep = step({
  name: 'service',
  retryMessage: MESSAGES.clusterNotStarted,
  requires: ['event', 'isLeader', 'hasPeerRelation', 'app', 'unit', 'workload', 'passwords', 'rendered'],
  provides: ['unit', 'serviceStarted'],
  async run(
    deps: Pick<HandlerDeps, 'unitName' | 'appName' | 'dcs' | 'pebble' | 'kubernetes' | 'peers' | 'logger'>,
    { event, isLeader, hasPeerRelation, app, unit, workload, passwords, rendered },
  ) {
    if (!isLeader && !isInitialised({ app })) return halt(waiting(MESSAGES.clusterNotStarted));
    if (!isLeader && !(app.endpoints ?? []).includes(memberEndpoint(deps.unitName))) return halt(waiting(MESSAGES.memberNotStarted));
    const pebble = await deps.pebble();
    const layer = buildPebbleLayer({
      unitName: deps.unitName,
      dcs: deps.dcs(),
      // What patroni.yml now says: the check follows Patroni's API as soon as it reloads.
      patroniApiTls: rendered.tls,
      patroniOnFailure: patroniOnFailure(unit),
      ...(passwords.monitoring === undefined ? {} : { monitoringPassword: passwords.monitoring }),
      pgbackrestExporter: workload.pgbackrestExporter,
      commands: workload.commands,
    });
    // Before any (re)start: the exporter reads its password from this file when it starts.
    const exporterPasswordChanged = passwords.monitoring !== undefined && (await writeMonitoringPgpass(pebble, passwords.monitoring));
    const exporterQueriesChanged = await writeExporterQueries(pebble, workload.flavour);
    const plan = await pebble.plan();
    const changes = layerChanges(plan, layer);
    const [service] = plan.services[SERVICE_POSTGRESQL] === undefined ? [] : await pebble.services([SERVICE_POSTGRESQL]);
    // After a container restart the plan may be intact but nothing runs (the sandbox keeps layers).
    const restartAfterPebbleReady = event.kind === 'pebble-ready' && service?.current !== 'active';

    let serviceStarted = false;
    if (changes.services || restartAfterPebbleReady) {
      const firstStart = plan.services[SERVICE_POSTGRESQL] === undefined;
      const report = await prepareKubernetes(deps, {
        isLeader,
        initialised: isInitialised({ app }),
        firstStart,
        leaderLabel: workload.patroniLeaderLabel,
      });
      if (report !== undefined) return halt(report);
      if (changes.services) await pebble.addLayer(LAYER_LABEL, layer, { combine: true });
      await pebble.replan();
      serviceStarted = true;
      deps.logger.info({ layerChanged: changes.services }, 'replanned the workload services');
    } else {
      if (changes.checks) await pebble.addLayer(LAYER_LABEL, layer, { combine: true });
      if (rendered.changed && service?.current === 'active') {
        await pebble.sendSignal('SIGHUP', [SERVICE_POSTGRESQL]);
        deps.logger.info('asked Patroni to reload patroni.yml');
      }
    }
    if ((exporterPasswordChanged || exporterQueriesChanged) && plan.services[SERVICE_METRICS] !== undefined) {
      const [exporter] = await pebble.services([SERVICE_METRICS]);
      if (exporter?.current === 'active') {
        await pebble.restart([SERVICE_METRICS]);
        deps.logger.info({ password: exporterPasswordChanged, queries: exporterQueriesChanged }, 'restarted the metrics exporter for its new password or queries');
      }
    }
    // Patroni re-binds its API on reload when TLS was switched on or off: the member step waits for it.
    const apiSchemeChanged = (unit.tls === 'enabled') !== rendered.tls && service?.current === 'active';
    return next({ unit: await recordApiTls(deps, hasPeerRelation, unit, rendered.tls), serviceStarted: serviceStarted || apiSchemeChanged });
  },
});
