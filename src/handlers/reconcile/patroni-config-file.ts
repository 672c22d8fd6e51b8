/**
 * Render patroni.yml from config, computed parameters, passwords, DCS and members,
 * and push it (0600, postgres) only when its content, mode or owner differ.
 */
import { SharedBuffersTooLargeError, WorkerProcessLimitError } from '../../../lib/postgresql/index.ts';
import { CONFIG_ERROR_PREFIX } from '../../config/index.ts';
import {
  DcsNotConfiguredError,
  DEFAULT_WORKLOAD_PATHS,
  InvalidDcsSettingError,
  PATRONI_CONFIG_MODE,
  renderPatroniYaml,
  WORKLOAD_OS_GROUP,
  WORKLOAD_OS_USER,
  type DcsConfig,
} from '../../workload/index.ts';
import type { WorkloadPebble } from '../../clients/workload-pebble.ts';
import type { HandlerDeps } from '../deps.ts';
import { goalView } from './cluster-view.ts';
import { knownEndpoints } from './endpoints.ts';
import { blocked, type StepReport } from './outcome.ts';
import { computeParameters, patroniConfigInput, type ComputedParameters } from './patroni-config-input.ts';
import { halt, next, step } from './pipeline.ts';

/** The status line for parameters the container's resources cannot take, naming the option. */
export function parameterErrorStatus(error: SharedBuffersTooLargeError | WorkerProcessLimitError): string {
  if (error instanceof SharedBuffersTooLargeError) {
    return `${CONFIG_ERROR_PREFIX}: ${error.option} is over 40% of the available memory`;
  }
  return `${CONFIG_ERROR_PREFIX}: ${error.option}=${error.value} is over ${error.cap} (10 x vCPUs)`;
}

/** The DCS, or Blocked when the pod's environment names none (or a malformed one). */
export function dcsOrBlocked(deps: Pick<HandlerDeps, 'dcs' | 'logger'>): { dcs: DcsConfig } | { report: StepReport } {
  try {
    return { dcs: deps.dcs() };
  } catch (error) {
    if (!(error instanceof DcsNotConfiguredError) && !(error instanceof InvalidDcsSettingError)) throw error;
    deps.logger.error({ code: error.code }, error.message);
    return { report: blocked(error.message) };
  }
}

/** TLS is on when the unit holds a key, CA and certificate and all three are in the workload. */
async function tlsReady(deps: Pick<HandlerDeps, 'secrets' | 'pebble'>): Promise<boolean> {
  const fields = await Promise.all(['key', 'ca', 'cert'].map((field) => deps.secrets.get('unit', field)));
  if (fields.some((value) => !value)) return false;
  const paths = DEFAULT_WORKLOAD_PATHS;
  const pebble = await deps.pebble();
  const present = await Promise.all([paths.tlsKey, paths.tlsCa, paths.tlsCert].map((path) => pebble.exists(path)));
  return present.every(Boolean);
}

/** Every peer's Patroni serves TLS (its peer-bag `tls` flag): replication may then insist on it. */
async function peersServeTls(deps: Pick<HandlerDeps, 'peers'>, peerUnits: readonly string[]): Promise<boolean> {
  const bags = await Promise.all(peerUnits.map((peer) => deps.peers.readUnit(peer)));
  return bags.every((bag) => bag.status !== 'no-peer-relation' && bag.data.tls === 'enabled');
}

/** Push `text` unless the file already has exactly that content, mode and owner. Returns whether it pushed. */
export async function pushIfChanged(pebble: WorkloadPebble, path: string, text: string, mode: number): Promise<boolean> {
  const info = await pebble.stat(path);
  const sameFile = info !== undefined && info.permissions === mode && info.user === WORKLOAD_OS_USER && info.group === WORKLOAD_OS_GROUP;
  if (sameFile && (await pebble.pullText(path)) === text) return false;
  await pebble.push(path, text, { permissions: mode, user: WORKLOAD_OS_USER, group: WORKLOAD_OS_GROUP, makeDirs: true });
  return true;
}

/** Charm-state key: storage-detaching took this (dying) unit out of the synchronous standby set. */
export const LEFT_SYNC_SET_KEY = 'reconcile.left-sync-set';

/**
 * Whether patroni.yml carries `nosync`. Storage-detaching decides it (only when another replica
 * can take the role: otherwise it turns strict mode off instead, and a `nosync` would leave the
 * primary without a standby); the decision is kept in the unit's charm state so that a later
 * reconcile of the dying unit (update-status, a peer's relation-departed) does not render the tag
 * away and invite the unit back. Read only while Juju says the unit is dying.
 */
async function keepsOutOfSyncSet(tools: HandlerDeps['tools'], leavingNow: boolean, selfDying: boolean): Promise<boolean> {
  if (leavingNow) {
    if ((await tools.stateGetKey(LEFT_SYNC_SET_KEY)) !== 'true') await tools.stateSet({ [LEFT_SYNC_SET_KEY]: 'true' });
    return true;
  }
  return selfDying && (await tools.stateGetKey(LEFT_SYNC_SET_KEY)) === 'true';
}

export const patroniConfigFileStep = step({
  name: 'patroni-config',
  retryMessage: 'waiting to write the Patroni configuration',
  requires: ['config', 'workload', 'resources', 'passwords', 'app', 'appExtra', 'unit', 'peerUnits', 'leavingSyncSet', 'clients'],
  provides: ['rendered'],
  async run(
    deps: Pick<HandlerDeps, 'unitName' | 'modelName' | 'dcs' | 'secrets' | 'pebble' | 'tools' | 'peers' | 'logger'>,
    { config, workload, resources, passwords, app, appExtra, unit, peerUnits, leavingSyncSet, clients },
  ) {
    const dcsChoice = dcsOrBlocked(deps);
    if ('report' in dcsChoice) return halt(dcsChoice.report);
    let computed: ComputedParameters;
    try {
      computed = computeParameters(config, resources);
    } catch (error) {
      if (!(error instanceof SharedBuffersTooLargeError) && !(error instanceof WorkerProcessLimitError)) throw error;
      deps.logger.warn({ code: error.code, ...resources }, error.message);
      return halt(blocked(parameterErrorStatus(error)));
    }
    const [goal, tls] = await Promise.all([goalView(deps.tools, deps.unitName), tlsReady(deps)]);
    const peersTls = tls && (await peersServeTls(deps, peerUnits));
    const planned = goal.plannedUnits;
    const noSync = await keepsOutOfSyncSet(deps.tools, leavingSyncSet, goal.selfDying);
    const text = renderPatroniYaml(
      patroniConfigInput({
        unitName: deps.unitName,
        model: deps.modelName,
        dcs: dcsChoice.dcs,
        endpoints: knownEndpoints({ app }, deps.unitName),
        workload,
        passwords,
        tls,
        peersTls,
        config,
        parameters: computed.parameters,
        workerConfig: computed.workerConfig,
        cpuCores: resources.cpuCores,
        plannedUnits: planned,
        leavingSyncSet: noSync,
        app,
        appExtra,
        unit,
        clientUserDatabases: clients.userDatabases,
      }),
    );
    const changed = await pushIfChanged(await deps.pebble(), DEFAULT_WORKLOAD_PATHS.patroniConfig, text, PATRONI_CONFIG_MODE);
    if (changed) deps.logger.info({ path: DEFAULT_WORKLOAD_PATHS.patroniConfig }, 'wrote patroni.yml');
    return next({ rendered: { workerConfig: computed.workerConfig, plannedUnits: planned, tls, changed } });
  },
});
