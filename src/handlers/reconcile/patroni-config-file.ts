/**
 * Step e (file): render patroni.yml from config, computed parameters, passwords, DCS and members,
 * and push it (0600, postgres) only when its content, mode or owner differ.
 */
import { SharedBuffersTooLargeError, WorkerProcessLimitError } from '../../../lib/postgresql/index.ts';
import type { CharmContext } from '../../charm-context.ts';
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
import { plannedUnits } from './cluster-view.ts';
import { knownEndpoints } from './endpoints.ts';
import { blocked, DONE, type StepOutcome } from './outcome.ts';
import { computeParameters, patroniConfigInput, type ComputedParameters } from './patroni-config-input.ts';
import type { ReconcileStep } from './step.ts';

/** The status line for parameters the container's resources cannot take, naming the option. */
export function parameterErrorStatus(error: SharedBuffersTooLargeError | WorkerProcessLimitError): string {
  if (error instanceof SharedBuffersTooLargeError) {
    return `${CONFIG_ERROR_PREFIX}: ${error.option} is over 40% of the available memory`;
  }
  return `${CONFIG_ERROR_PREFIX}: ${error.option}=${error.value} is over ${error.cap} (10 x vCPUs)`;
}

/** The DCS, or Blocked when the pod's environment names none (or a malformed one). */
export function dcsOrBlocked(charm: CharmContext): { dcs: DcsConfig } | { outcome: StepOutcome } {
  try {
    return { dcs: charm.dcs() };
  } catch (error) {
    if (!(error instanceof DcsNotConfiguredError) && !(error instanceof InvalidDcsSettingError)) throw error;
    charm.logger.error({ code: error.code }, error.message);
    return { outcome: blocked(error.message, { halt: true }) };
  }
}

/** TLS is on when the unit holds a key, CA and certificate and all three are in the workload. */
async function tlsReady(charm: CharmContext): Promise<boolean> {
  const fields = await Promise.all(['key', 'ca', 'cert'].map((field) => charm.secrets.get('unit', field)));
  if (fields.some((value) => !value)) return false;
  const paths = DEFAULT_WORKLOAD_PATHS;
  const pebble = await charm.pebble();
  const present = await Promise.all([paths.tlsKey, paths.tlsCa, paths.tlsCert].map((path) => pebble.exists(path)));
  return present.every(Boolean);
}

/** Push `text` unless the file already has exactly that content, mode and owner. Returns whether it pushed. */
export async function pushIfChanged(charm: CharmContext, path: string, text: string, mode: number): Promise<boolean> {
  const pebble = await charm.pebble();
  const info = await pebble.stat(path);
  const sameFile = info !== undefined && info.permissions === mode && info.user === WORKLOAD_OS_USER && info.group === WORKLOAD_OS_GROUP;
  if (sameFile && (await pebble.pullText(path)) === text) return false;
  await pebble.push(path, text, { permissions: mode, user: WORKLOAD_OS_USER, group: WORKLOAD_OS_GROUP, makeDirs: true });
  return true;
}

export const patroniConfigFileStep: ReconcileStep = {
  name: 'patroni-config',
  retryMessage: 'waiting to write the Patroni configuration',
  async run(charm, state) {
    const { config, workload, resources, passwords } = state;
    if (config === undefined || workload === undefined || resources === undefined || passwords === undefined) return DONE;
    const dcsChoice = dcsOrBlocked(charm);
    if ('outcome' in dcsChoice) return dcsChoice.outcome;
    let computed: ComputedParameters;
    try {
      computed = computeParameters(config, resources);
    } catch (error) {
      if (!(error instanceof SharedBuffersTooLargeError) && !(error instanceof WorkerProcessLimitError)) throw error;
      charm.logger.warn({ code: error.code, ...resources }, error.message);
      return blocked(parameterErrorStatus(error), { halt: true });
    }
    state.workerConfig = computed.workerConfig;
    state.plannedUnits = await plannedUnits(charm);
    state.tls = await tlsReady(charm);
    const text = renderPatroniYaml(
      patroniConfigInput({
        unitName: charm.unitName,
        model: charm.modelName,
        dcs: dcsChoice.dcs,
        endpoints: knownEndpoints(state, charm.unitName),
        workload,
        passwords,
        tls: state.tls,
        config,
        parameters: computed.parameters,
        workerConfig: computed.workerConfig,
        cpuCores: resources.cpuCores,
        plannedUnits: state.plannedUnits,
        leavingSyncSet: charm.leavingSyncSet,
        app: state.app,
        appExtra: state.appExtra,
        unit: state.unit,
      }),
    );
    state.patroniConfigChanged = await pushIfChanged(charm, DEFAULT_WORKLOAD_PATHS.patroniConfig, text, PATRONI_CONFIG_MODE);
    if (state.patroniConfigChanged) charm.logger.info({ path: DEFAULT_WORKLOAD_PATHS.patroniConfig }, 'wrote patroni.yml');
    return DONE;
  },
};
