/**
 * Step i (leader): the `plugin_*` options as extensions in every database of the primary. An
 * extension enabled without what it requires blocks (nothing is changed); an extension that
 * cannot be dropped because objects use it blocks until those objects go or the option is turned
 * back on. Both are re-evaluated on every reconcile. A set that was applied successfully is not
 * applied again until the options change (see memo.ts).
 */
import {
  enabledPlugins,
  extensionsFromConfig,
  findUnsatisfiedDependencies,
  PostgreSQLDependentObjectsStillExistError,
  PostgreSQLEnableDisableExtensionError,
} from '../../../lib/postgresql/index.ts';
import type { CharmConfig } from '../../config/index.ts';
import { runningPrimaryHost } from './cluster-initialisation.ts';
import { isMemoised, memoise } from './memo.ts';
import { blocked, DONE, MESSAGES } from './outcome.ts';
import { isInitialised } from './state.ts';
import type { ReconcileStep } from './step.ts';

const MEMO_KEY = 'reconcile.extensions';

export interface ExtensionPlan {
  readonly wanted: ReadonlyMap<string, boolean>;
  /** Enabled extensions whose requirements are off; non-empty means nothing may be applied. */
  readonly unsatisfied: ReturnType<typeof findUnsatisfiedDependencies>;
}

export function extensionPlan(config: CharmConfig): ExtensionPlan {
  const wanted = extensionsFromConfig(config);
  return { wanted, unsatisfied: findUnsatisfiedDependencies(wanted) };
}

export const extensionsStep: ReconcileStep = {
  name: 'extensions',
  retryMessage: 'Updating extensions',
  async run(charm, state) {
    if (!state.isLeader || !isInitialised(state) || state.config === undefined) return DONE;
    const plan = extensionPlan(state.config);
    if (plan.unsatisfied.length > 0) {
      charm.logger.warn({ unsatisfied: plan.unsatisfied }, 'plugins enabled without the plugins they require');
      return blocked(MESSAGES.pluginDependencies);
    }
    const inputs = [...plan.wanted];
    if (await isMemoised(charm, MEMO_KEY, inputs)) return DONE;
    const cluster = state.cluster ?? (await (await charm.patroni()).clusterFromAny());
    const primaryHost = runningPrimaryHost(cluster);
    // No read-write primary (a standby cluster, a failover under way): nothing can be changed now.
    if (primaryHost === undefined) return DONE;
    const postgresql = await charm.postgresql({ primaryHost });
    try {
      await postgresql.enableDisableExtensions(plan.wanted);
    } catch (error) {
      if (error instanceof PostgreSQLDependentObjectsStillExistError) {
        charm.logger.warn({ err: error }, 'an extension to disable is still in use');
        return blocked(MESSAGES.pluginsInUse);
      }
      if (!(error instanceof PostgreSQLEnableDisableExtensionError)) throw error;
      // As the reference: logged, and tried again by the next hook (no memo was written).
      charm.logger.error({ err: error }, 'failed to enable or disable extensions');
      return DONE;
    }
    await memoise(charm, MEMO_KEY, inputs);
    charm.logger.info({ enabled: enabledPlugins(state.config) }, 'extensions reconciled');
    return DONE;
  },
};
