/**
 * The one reconcile every lifecycle hook runs: it converges this unit to what config, relations
 * and secrets say, step by step, and ends with the status those steps imply. Whatever a step
 * cannot finish now (a peer still starting, a container not yet up) it reports as Waiting, and a
 * later hook — at the latest update-status — runs the same steps again. Nothing is deferred.
 *
 * Steps, in order (each module says why; facts.ts names what they pass on):
 *   cos                  metrics-endpoint, grafana-dashboard and logging data published (never halts)
 *   config               config valid, else Blocked "Configuration Error: …"
 *   passwords            (leader) every system password exists, never rotated; all: read them
 *   endpoints            (leader) app bag `endpoints` = this app's members
 *   workload             container reachable, storage and PGDATA ready, versions and resources probed
 *   log-forwarding       logging related: Pebble forwards the log files to Loki (never halts)
 *   disk-space           (update-status, or while shown) Blocked below 10 % free
 *   passwords-available  the leader's passwords are readable
 *   database-config      values only PostgreSQL can validate
 *   client-relations     the client relations read once; the users pg_hba admits for them
 *   tls                  certificates: key, CSR, the provider's certificate in the workload
 *                        (reload on renewal); receive-ca-cert CAs in the trust store
 *   patroni-config       patroni.yml rendered and pushed when it changed
 *   service              Pebble layer and replan when changed, SIGHUP when only the file did;
 *                        a non-leader before initialisation stops here, config in place
 *   password-heal        once per set-password: restart a Patroni that cannot log in to PostgreSQL
 *   service-health       (update-status, or while shown) restart an inactive Patroni
 *   restore-progress     (leader, during a point-in-time restore) Blocked when Patroni's bootstrap failed
 *   member               the member is up, else Waiting
 *   user-hash            `user_hash` in the peer bag: this unit's pg_hba admits the planned client users
 *   initialise           (leader, once) users, groups, database set-up, `cluster_initialised`
 *   dynamic-config       (leader) Patroni's DCS settings, PATCHed only when different
 *   restart              pending restarts, one member at a time, primary last
 *   extensions           (leader) plugin_* options, with dependency checks
 *   backups              a finished restore cleared; pgbackrest.conf; the primary connects the
 *                        cluster to the S3 repository (stanza, archiving), Blocked until S3 works
 *   client-serve         (leader) client relations: users of gone relations dropped, each relation
 *                        answered once every unit admits its user (docs/relations.md)
 *   legacy-unit-bags     (non-leaders) the legacy db/db-admin databag in this unit's own bag
 * then the unit (and, on the leader, application) status; an Active one notes a metrics exporter
 * Pebble cannot keep up (exporter-health.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CharmError, errorCode } from '../errors.ts';
import type { KnownEvent } from '../juju/dispatcher.ts';
import { isStarted, type ClusterStatus } from '../patroni/index.ts';
import { podName } from '../workload/index.ts';
import type { HandlerDeps } from './deps.ts';
import { backupsStep } from './reconcile/backups.ts';
import { clientRelationsStep, clientServeStep, userHashStep } from './reconcile/client-relations.ts';
import { clusterInitialisationStep } from './reconcile/cluster-initialisation.ts';
import { cosStep } from './reconcile/cos.ts';
import { activeView } from './reconcile/cluster-view.ts';
import { configStep } from './reconcile/config-step.ts';
import { databaseConfigChecksStep } from './reconcile/database-config-checks.ts';
import { dynamicConfigStep } from './reconcile/dynamic-config.ts';
import { endpointsStep } from './reconcile/endpoints.ts';
import { exporterNote, withExporterNote } from './reconcile/exporter-health.ts';
import { extensionsStep } from './reconcile/extensions.ts';
import { legacyUnitBagsStep } from './reconcile/legacy-unit-bags.ts';
import { logForwardingStep } from './reconcile/log-forwarding.ts';
import type { BaseFacts, ReconcileFacts } from './reconcile/facts.ts';
import { memberStartedStep } from './reconcile/member-started.ts';
import { MESSAGES } from './reconcile/outcome.ts';
import { passwordHealStep } from './reconcile/password-heal.ts';
import { passwordsAvailableStep, passwordsStep } from './reconcile/passwords.ts';
import { patroniConfigFileStep } from './reconcile/patroni-config-file.ts';
import { pebbleLayerStep } from './reconcile/pebble-layer.ts';
import { Pipeline } from './reconcile/pipeline.ts';
import { restartStep } from './reconcile/restart.ts';
import { restoreProgressStep } from './reconcile/restore-progress.ts';
import { diskSpaceStep, serviceHealthStep } from './reconcile/service-health.ts';
import { applicationStatus, unitStatus, type ActiveView, type ComputedStatus } from './reconcile/status.ts';
import { isTransientFailure } from './reconcile/transient.ts';
import { tlsStep } from './reconcile/tls.ts';
import { workloadSetupStep } from './reconcile/workload-setup.ts';

/** The steps up to a rendered config and a started service: also what set-password re-runs. */
const WORKLOAD_CONFIG = Pipeline.start<HandlerDeps>()
  .then(configStep)
  .then(passwordsStep)
  .then(workloadSetupStep)
  .then(passwordsAvailableStep)
  .then(clientRelationsStep)
  .then(patroniConfigFileStep)
  .then(pebbleLayerStep);

export const RECONCILE = Pipeline.start<HandlerDeps>()
  .then(cosStep)
  .then(configStep)
  .then(passwordsStep)
  .then(endpointsStep)
  .then(workloadSetupStep)
  .then(logForwardingStep)
  .then(diskSpaceStep)
  .then(passwordsAvailableStep)
  .then(databaseConfigChecksStep)
  .then(clientRelationsStep)
  .then(tlsStep)
  .then(patroniConfigFileStep)
  .then(pebbleLayerStep)
  .then(passwordHealStep)
  .then(serviceHealthStep)
  .then(restoreProgressStep)
  .then(memberStartedStep)
  .then(userHashStep)
  .then(clusterInitialisationStep)
  .then(dynamicConfigStep)
  .then(restartStep)
  .then(extensionsStep)
  .then(backupsStep)
  .then(clientServeStep)
  .then(legacyUnitBagsStep);

export interface ReconcileOptions {
  /** This unit is going away: render patroni.yml with `nosync` (pgdata-storage-detaching). */
  leavingSyncSet?: boolean;
}

/** The facts read before any step: leadership, the peer relation and both peer bags. */
export async function readBaseFacts(deps: Pick<HandlerDeps, 'tools' | 'peers' | 'logger'>, event: KnownEvent, options: ReconcileOptions = {}): Promise<BaseFacts> {
  const [isLeader, relation] = await Promise.all([deps.tools.isLeader(), deps.peers.relation()]);
  const [app, unit, peerUnits] = await Promise.all([deps.peers.readApp(), deps.peers.readUnit(), deps.peers.peerUnits()]);
  for (const bag of [app, unit]) {
    // A value another revision wrote in a shape we do not read is ignored, not fatal.
    if (bag.status === 'malformed') deps.logger.warn({ issues: bag.issues }, 'ignoring malformed peer data');
  }
  return {
    event,
    isLeader,
    hasPeerRelation: relation !== undefined,
    app: app.status === 'no-peer-relation' ? {} : app.data,
    appExtra: app.status === 'no-peer-relation' ? {} : app.extra,
    unit: unit.status === 'no-peer-relation' ? {} : unit.data,
    peerUnits,
    leavingSyncSet: options.leavingSyncSet ?? false,
  };
}

/**
 * The cluster as peers see it. Peers count running members from the DCS, where Patroni records
 * this member's state once per loop (up to loop_wait after PostgreSQL came back): when this
 * member runs but the DCS does not say so yet, wait for it (bounded), so that what this unit
 * announces to its peers next is what they will then read.
 */
async function clusterAsPeersSeeIt(deps: Pick<HandlerDeps, 'unitName' | 'cluster' | 'timing'>, facts: Pick<ReconcileFacts, 'member'>): Promise<ClusterStatus> {
  let cluster = await deps.cluster.latest();
  const self = podName(deps.unitName);
  const runsHere = isStarted(facts.member.state);
  const deadline = Date.now() + deps.timing.memberStartTimeoutMs;
  while (runsHere && !isStarted(cluster.members.find((m) => m.name === self)?.state ?? '') && Date.now() + deps.timing.pollIntervalMs <= deadline) {
    await sleep(deps.timing.pollIntervalMs);
    cluster = await deps.cluster.read();
  }
  return cluster;
}

/** This member's role in a fresh (or this hook's) cluster view; undefined if Patroni cannot say. */
/** How long the status may wait for a Patroni API that stopped answering after the member step. */
const FINAL_VIEW_RETRY_MS = 15_000;

/**
 * This member's role for the status. The member answered moments ago (the member step), so a
 * failure here is an API re-binding (a TLS reload for a renewed certificate, here or on the peer
 * that answered first): read again for a few seconds rather than show Waiting until a later hook.
 */
async function finalView(deps: HandlerDeps, facts: Pick<ReconcileFacts, 'member' | 'rendered'>): Promise<ActiveView | undefined> {
  const deadline = Date.now() + Math.min(deps.timing.memberStartTimeoutMs, FINAL_VIEW_RETRY_MS);
  for (;;) {
    try {
      const cluster = await clusterAsPeersSeeIt(deps, facts);
      return activeView(cluster, podName(deps.unitName), facts.rendered.plannedUnits);
    } catch (error) {
      if (!isTransientFailure(error)) throw error;
      if (Date.now() + deps.timing.pollIntervalMs > deadline) {
        deps.logger.warn({ code: errorCode(error) }, 'cannot read the cluster for the status');
        return undefined;
      }
      deps.cluster.forget();
      await sleep(deps.timing.pollIntervalMs);
    }
  }
}

async function publish(deps: HandlerDeps, facts: Pick<ReconcileFacts, 'isLeader' | 'unit'>, status: ComputedStatus, view: ActiveView | undefined): Promise<void> {
  const current = await deps.tools.statusGet();
  if (current.status !== status.status || current.message !== status.message) {
    await deps.tools.statusSet(status.status, status.message);
  }
  await announceToPeers(deps, facts, status.status === 'active', view?.role);
  if (!facts.isLeader) return;
  const app = applicationStatus(status, view);
  const currentApp = await deps.tools.statusGet({ application: true });
  if (currentApp.status !== app.status || currentApp.message !== app.message) {
    await deps.tools.statusSet(app.status, app.message, { application: true });
  }
}

/**
 * Whether this member serves, and its role, are in its peer bag, written only when they change:
 * the write gives every peer relation-changed, so the primary and the leader recount
 * '(degraded)' as soon as a replica comes up or goes away, and an old primary drops its
 * "Primary" as soon as the new one has shown it (after a switchover, or a failover once the new
 * primary runs a hook), not at the next update-status.
 */
async function announceToPeers(deps: Pick<HandlerDeps, 'peers'>, facts: Pick<ReconcileFacts, 'unit'>, serving: boolean, role: string | undefined): Promise<void> {
  const changes: { 'member-serving'?: boolean; 'member-role'?: string } = {};
  if (facts.unit['member-serving'] !== serving) changes['member-serving'] = serving;
  if (role !== undefined && facts.unit['member-role'] !== role) changes['member-role'] = role;
  if (Object.keys(changes).length === 0 || (await deps.peers.relation()) === undefined) return;
  await deps.peers.writeUnit(changes);
}

/** Run the reconcile for `event` and publish the resulting status; returns the unit's status. */
export async function reconcile(deps: HandlerDeps, event: KnownEvent, options: ReconcileOptions = {}): Promise<ComputedStatus> {
  const started = performance.now();
  const base = await readBaseFacts(deps, event, options);
  const stepsStarted = performance.now();
  const run = await RECONCILE.run(deps, base, deps.logger);
  const viewStarted = performance.now();
  const view = run.complete ? await finalView(deps, run.facts) : undefined;
  // An Active unit whose metrics exporter Pebble cannot keep up says so (exporter-health.ts).
  const status = withExporterNote(unitStatus(run.outcomes, view, MESSAGES.memberNotStarted), view === undefined ? undefined : await exporterNote(deps));
  const publishStarted = performance.now();
  await publish(deps, { isLeader: base.isLeader, unit: run.facts.unit ?? base.unit }, status, view);
  const ended = performance.now();
  // Where the hook's time went, as [part, ms] pairs (a key named after the passwords step would
  // be censored by the logger): the base facts, each step, the final cluster view, the status.
  const timings: [string, number][] = [
    ['base-facts', Math.round(stepsStarted - started)],
    ...Object.entries(run.timings),
    ['final-view', Math.round(publishStarted - viewStarted)],
    ['publish', Math.round(ended - publishStarted)],
  ];
  deps.logger.info({ event: event.kind, status: status.status, message: status.message, ms: Math.round(ended - started), timings }, 'reconciled');
  return status;
}

/**
 * Re-render this unit's patroni.yml and layer and reload Patroni, for what changed their inputs
 * outside a reconcile (set-password; a unit leaving the synchronous standby set). Leaves the
 * status alone: the next hook recomputes it. Throws when the workload cannot be configured now.
 */
export async function refreshWorkloadConfig(deps: HandlerDeps, event: KnownEvent, options: ReconcileOptions = {}): Promise<void> {
  const run = await WORKLOAD_CONFIG.run(deps, await readBaseFacts(deps, event, options), deps.logger);
  for (const outcome of run.outcomes) {
    if (outcome.kind !== 'done') throw new WorkloadConfigPendingError(outcome.message);
  }
}

export class WorkloadConfigPendingError extends CharmError<'workload-config-pending'> {
  constructor(reason: string) {
    super('workload-config-pending', `the workload configuration could not be refreshed now: ${reason}`);
  }
}
