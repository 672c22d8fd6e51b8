/**
 * (Leader) The `plugin_*` options as extensions in every database of the primary. An
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
import type { HandlerDeps } from '../deps.ts';
import { isInitialised } from './facts.ts';
import { isMemoised, memoise } from './memo.ts';
import { blocked, MESSAGES } from './outcome.ts';
import { proceed, step } from './pipeline.ts';

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

export const extensionsStep = step({
  name: 'extensions',
  retryMessage: 'Updating extensions',
  requires: ['isLeader', 'app', 'config', 'member'],
  provides: [],
  async run(deps: Pick<HandlerDeps, 'tools' | 'cluster' | 'postgresql' | 'logger'>, { isLeader, app, config }) {
    if (!isLeader || !isInitialised({ app })) return proceed();
    const plan = extensionPlan(config);
    if (plan.unsatisfied.length > 0) {
      deps.logger.warn({ unsatisfied: plan.unsatisfied }, 'plugins enabled without the plugins they require');
      return proceed(blocked(MESSAGES.pluginDependencies));
    }
    const inputs = [...plan.wanted];
    if (await isMemoised(deps.tools, MEMO_KEY, inputs)) return proceed();
    const primaryHost = runningPrimaryHost(await deps.cluster.latest());
    // No read-write primary (a standby cluster, a failover under way): nothing can be changed now.
    if (primaryHost === undefined) return proceed();
    const postgresql = await deps.postgresql({ primaryHost });
    try {
      await postgresql.enableDisableExtensions(plan.wanted);
    } catch (error) {
      if (error instanceof PostgreSQLDependentObjectsStillExistError) {
        deps.logger.warn({ err: error }, 'an extension to disable is still in use');
        return proceed(blocked(MESSAGES.pluginsInUse));
      }
      if (!(error instanceof PostgreSQLEnableDisableExtensionError)) throw error;
      // As the reference: logged, and tried again by the next hook (no memo was written).
      deps.logger.error({ err: error }, 'failed to enable or disable extensions');
      return proceed();
    }
    await memoise(deps.tools, MEMO_KEY, inputs);
    deps.logger.info({ enabled: enabledPlugins(config) }, 'extensions reconciled');
    return proceed();
  },
});
