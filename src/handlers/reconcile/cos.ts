/**
 * COS (canonical/postgresql-k8s-operator src/charm.py: MetricsEndpointProvider,
 * GrafanaDashboardProvider and the logging consumer): publishes scrape jobs, alert rules,
 * dashboards and logging metadata to whatever COS relations exist (src/relations/cos/provider.ts).
 * It needs neither the workload nor a valid config, so it runs first: a unit that is Blocked or
 * still starting is still scraped, which is when an operator most wants to see it. A failure here
 * is logged and never stops the database's reconcile; the next hook tries again.
 */
import { CHARM_NAME } from '../../cos/charm-name.ts';
import { loadCosAssets, type CosAssets } from '../../cos/assets.ts';
import { GRAFANA_DASHBOARD, LOGGING, METRICS_ENDPOINT, publishToCos } from '../../relations/cos/provider.ts';
import { errorCode } from '../../errors.ts';
import type { HandlerDeps } from '../deps.ts';
import { proceed, step } from './pipeline.ts';

async function assetsOrUndefined(deps: Pick<HandlerDeps, 'charmDir' | 'logger'>): Promise<CosAssets | undefined> {
  try {
    return await loadCosAssets(deps.charmDir);
  } catch (error) {
    deps.logger.warn({ err: error }, 'COS: no alert rules or dashboards to publish');
    return undefined;
  }
}

const COS_ENDPOINTS = [METRICS_ENDPOINT, GRAFANA_DASHBOARD, LOGGING];

export const cosStep = step({
  name: 'cos',
  retryMessage: 'waiting to publish to COS',
  requires: ['isLeader', 'unit'],
  provides: [],
  async run(deps: Pick<HandlerDeps, 'unitName' | 'appName' | 'modelName' | 'modelUuid' | 'charmDir' | 'tools' | 'logger'>, { isLeader, unit }) {
    try {
      // goal-state (one tool call, which later steps reuse) says whether any COS is related at all.
      const goal = await deps.tools.goalState();
      if (!COS_ENDPOINTS.some((endpoint) => Object.keys(goal.relations[endpoint] ?? {}).length > 0)) return proceed();
      const topology = { model: deps.modelName, modelUuid: deps.modelUuid, application: deps.appName, unit: deps.unitName, charmName: CHARM_NAME };
      const assets = isLeader ? await assetsOrUndefined(deps) : undefined;
      await publishToCos(deps, { isLeader, topology, patroniTls: unit.tls === 'enabled', assets }, CHARM_NAME);
    } catch (error) {
      deps.logger.warn({ err: error, code: errorCode(error) }, 'COS: publishing failed; the next hook retries');
    }
    return proceed();
  },
});
