/**
 * The one reconcile every lifecycle hook runs: it converges this unit to what config, relations
 * and secrets say, step by step, and ends with the status those steps imply. Whatever a step
 * cannot finish now (a peer still starting, a container not yet up) it reports as Waiting, and a
 * later hook — at the latest update-status — runs the same steps again. Nothing is deferred.
 *
 * Steps, in order (see each module):
 *   a  config               config valid, else Blocked "Configuration Error: …"
 *   b  leader-passwords     (leader) every system password exists, never rotated
 *   b  endpoints            (leader) app bag `endpoints` = this app's members
 *   c  workload             container reachable, storage and PGDATA ready, versions and resources probed
 *   j  disk-space           (update-status, or while shown) Blocked below 10 % free
 *   c  passwords            the leader's passwords are readable
 *   a  database-config      values only PostgreSQL can validate
 *   e  patroni-config       patroni.yml rendered and pushed when it changed
 *   e  service              Pebble layer and replan when changed, SIGHUP when only the file did;
 *                           (d) a non-leader before initialisation stops here, config in place
 *   j  service-health       (update-status, or while shown) restart an inactive Patroni
 *   f  member               the member is up, else Waiting
 *   g  initialise           (leader, once) users, groups, database set-up, `cluster_initialised`
 *   h  dynamic-config       (leader) Patroni's DCS settings, PATCHed only when different
 *   h  restart              pending restarts, one member at a time, primary last
 *   i  extensions           (leader) plugin_* options, with dependency checks
 *   k  status               unit (and, on the leader, application) status
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { CharmContext } from '../charm-context.ts';
import { CharmError } from '../errors.ts';
import type { KnownEvent } from '../juju/dispatcher.ts';
import { isStarted, type ClusterStatus } from '../patroni/index.ts';
import { podName } from '../workload/index.ts';
import { clusterInitialisationStep } from './reconcile/cluster-initialisation.ts';
import { activeView, plannedUnits } from './reconcile/cluster-view.ts';
import { configStep } from './reconcile/config-step.ts';
import { databaseConfigChecksStep } from './reconcile/database-config-checks.ts';
import { dynamicConfigStep } from './reconcile/dynamic-config.ts';
import { endpointsStep } from './reconcile/endpoints.ts';
import { extensionsStep } from './reconcile/extensions.ts';
import { memberStartedStep } from './reconcile/member-started.ts';
import { halts, MESSAGES, waiting, type StepOutcome } from './reconcile/outcome.ts';
import { leaderPasswordsStep, passwordsAvailableStep } from './reconcile/passwords.ts';
import { patroniConfigFileStep } from './reconcile/patroni-config-file.ts';
import { pebbleLayerStep } from './reconcile/pebble-layer.ts';
import { restartStep } from './reconcile/restart.ts';
import { diskSpaceStep, serviceHealthStep } from './reconcile/service-health.ts';
import type { ReconcileState } from './reconcile/state.ts';
import { applicationStatus, unitStatus, type ActiveView, type ComputedStatus } from './reconcile/status.ts';
import type { ReconcileStep } from './reconcile/step.ts';
import { isTransientFailure } from './reconcile/transient.ts';
import { workloadSetupStep } from './reconcile/workload-setup.ts';

export const RECONCILE_STEPS: readonly ReconcileStep[] = [
  configStep,
  leaderPasswordsStep,
  endpointsStep,
  workloadSetupStep,
  diskSpaceStep,
  passwordsAvailableStep,
  databaseConfigChecksStep,
  patroniConfigFileStep,
  pebbleLayerStep,
  serviceHealthStep,
  memberStartedStep,
  clusterInitialisationStep,
  dynamicConfigStep,
  restartStep,
  extensionsStep,
];

async function initialState(charm: CharmContext, event: KnownEvent): Promise<ReconcileState> {
  const [isLeader, relation] = await Promise.all([charm.tools.isLeader(), charm.peers.relation()]);
  const [app, unit, peerUnits] = await Promise.all([charm.peers.readApp(), charm.peers.readUnit(), charm.peers.peerUnits()]);
  for (const bag of [app, unit]) {
    // A value another revision wrote in a shape we do not read is ignored, not fatal.
    if (bag.status === 'malformed') charm.logger.warn({ issues: bag.issues }, 'ignoring malformed peer data');
  }
  return {
    event,
    isLeader,
    hasPeerRelation: relation !== undefined,
    app: app.status === 'no-peer-relation' ? {} : app.data,
    appExtra: app.status === 'no-peer-relation' ? {} : app.extra,
    unit: unit.status === 'no-peer-relation' ? {} : unit.data,
    peerUnits,
  };
}

async function runSteps(charm: CharmContext, state: ReconcileState, steps: readonly ReconcileStep[]): Promise<StepOutcome[]> {
  const outcomes: StepOutcome[] = [];
  for (const step of steps) {
    let outcome: StepOutcome;
    try {
      outcome = await step.run(charm, state);
    } catch (error) {
      if (!isTransientFailure(error)) throw error;
      charm.logger.warn({ step: step.name, code: (error as { code?: string }).code, err: error }, 'step will be retried by a later hook');
      outcome = waiting(step.retryMessage, { halt: true });
    }
    outcomes.push(outcome);
    if (outcome.kind !== 'done') charm.logger.debug({ step: step.name, outcome }, 'reconcile step not done');
    if (halts(outcome)) break;
  }
  return outcomes;
}

/**
 * The cluster as peers see it. Peers count running members from the DCS, where Patroni records
 * this member's state once per loop (up to loop_wait after PostgreSQL came back): when this
 * member runs but the DCS does not say so yet, wait for it (bounded), so that what this unit
 * announces to its peers next is what they will then read.
 */
async function clusterAsPeersSeeIt(charm: CharmContext, state: ReconcileState): Promise<ClusterStatus> {
  const patroni = await charm.patroni();
  let cluster = state.cluster ?? (await patroni.clusterFromAny());
  const self = podName(charm.unitName);
  const runsHere = state.member !== undefined && isStarted(state.member.state);
  const deadline = Date.now() + charm.timing.memberStartTimeoutMs;
  while (runsHere && !isStarted(cluster.members.find((m) => m.name === self)?.state ?? '') && Date.now() + charm.timing.pollIntervalMs <= deadline) {
    await sleep(charm.timing.pollIntervalMs);
    cluster = await patroni.clusterFromAny();
  }
  return cluster;
}

/** This member's role in a fresh (or this hook's) cluster view; undefined if Patroni cannot say. */
async function finalView(charm: CharmContext, state: ReconcileState): Promise<ActiveView | undefined> {
  try {
    const cluster = await clusterAsPeersSeeIt(charm, state);
    return activeView(cluster, podName(charm.unitName), state.plannedUnits ?? (await plannedUnits(charm)));
  } catch (error) {
    if (!isTransientFailure(error)) throw error;
    charm.logger.warn({ code: (error as { code?: string }).code }, 'cannot read the cluster for the status');
    return undefined;
  }
}

async function publish(charm: CharmContext, state: ReconcileState, status: ComputedStatus, view: ActiveView | undefined): Promise<void> {
  const current = await charm.tools.statusGet();
  if (current.status !== status.status || current.message !== status.message) {
    await charm.tools.statusSet(status.status, status.message);
  }
  await announceToPeers(charm, state, status.status === 'active', view?.role);
  if (!state.isLeader) return;
  const app = applicationStatus(status, view);
  const currentApp = await charm.tools.statusGet({ application: true });
  if (currentApp.status !== app.status || currentApp.message !== app.message) {
    await charm.tools.statusSet(app.status, app.message, { application: true });
  }
}

/**
 * Whether this member serves, and its role, are in its peer bag, written only when they change:
 * the write gives every peer relation-changed, so the primary and the leader recount
 * '(degraded)' as soon as a replica comes up or goes away, and an old primary drops its
 * "Primary" as soon as the new one has shown it (after a switchover, or a failover once the new
 * primary runs a hook), not at the next update-status.
 */
async function announceToPeers(charm: CharmContext, state: ReconcileState, serving: boolean, role: string | undefined): Promise<void> {
  const changes: { 'member-serving'?: boolean; 'member-role'?: string } = {};
  if (state.unit['member-serving'] !== serving) changes['member-serving'] = serving;
  if (role !== undefined && state.unit['member-role'] !== role) changes['member-role'] = role;
  if (Object.keys(changes).length === 0 || (await charm.peers.relation()) === undefined) return;
  await charm.peers.writeUnit(changes);
}

/** Run the reconcile for `event` and publish the resulting status; returns the unit's status. */
export async function reconcile(charm: CharmContext, event: KnownEvent, steps: readonly ReconcileStep[] = RECONCILE_STEPS): Promise<ComputedStatus> {
  const state = await initialState(charm, event);
  const outcomes = await runSteps(charm, state, steps);
  const allDone = outcomes.every((outcome) => outcome.kind === 'done');
  const view = allDone ? await finalView(charm, state) : undefined;
  const status = unitStatus(outcomes, view, MESSAGES.memberNotStarted);
  await publish(charm, state, status, view);
  charm.logger.info({ event: event.kind, status: status.status, message: status.message }, 'reconciled');
  return status;
}

/** What patroni.yml and the Pebble layer are rendered from, without the cluster-level steps. */
const WORKLOAD_CONFIG_STEPS: readonly ReconcileStep[] = [configStep, workloadSetupStep, passwordsAvailableStep, patroniConfigFileStep, pebbleLayerStep];

/**
 * Re-render this unit's patroni.yml and layer and reload Patroni, for actions that changed what
 * they are rendered from (set-password). Leaves the status alone: the next hook recomputes it.
 * Throws when the workload cannot be configured now, so the caller can say so.
 */
export async function refreshWorkloadConfig(charm: CharmContext, event: KnownEvent): Promise<void> {
  const state = await initialState(charm, event);
  const outcomes = await runSteps(charm, state, WORKLOAD_CONFIG_STEPS);
  for (const outcome of outcomes) {
    if (outcome.kind !== 'done') throw new WorkloadConfigPendingError(outcome.message);
  }
}

export class WorkloadConfigPendingError extends CharmError {
  constructor(reason: string) {
    super('workload-config-pending', `the workload configuration could not be refreshed now: ${reason}`);
  }
}
