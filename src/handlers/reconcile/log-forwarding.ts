/**
 * `logging` (interface loki_push_api, we require it): Pebble forwards the Patroni, PostgreSQL and
 * pgBackRest logs to every related Loki unit's push endpoint (src/cos/log-forwarding.ts says
 * how). Runs once the container is reachable, converges the log-forwarding layer (added only when
 * it differs), starts the tail services while a Loki is related and stops them when none is.
 * Never halts: a Loki unit's bad `endpoint` is logged and skipped; a failure is logged and the
 * next hook tries again, the database unaffected.
 */
import { isDeepStrictEqual } from 'node:util';
import { CHARM_NAME } from '../../cos/charm-name.ts';
import { LOG_FORWARDING_LAYER, LOG_TAIL_SCRIPT, logForwardingLayer, logTailScriptPath, logTailServices, lokiPushUrl } from '../../cos/log-forwarding.ts';
import { errorCode } from '../../errors.ts';
import type { Layer, Plan } from '../../pebble/index.ts';
import { LOGGING } from '../../relations/cos/provider.ts';
import { WORKLOAD_OS_GROUP, WORKLOAD_OS_USER } from '../../workload/index.ts';
import type { HandlerDeps } from '../deps.ts';
import { layerChanges } from './pebble-layer.ts';
import { proceed, step } from './pipeline.ts';

type Deps = Pick<HandlerDeps, 'unitName' | 'appName' | 'modelName' | 'modelUuid' | 'tools' | 'pebble' | 'logger'>;

/** Loki unit → push URL, from every logging relation's unit bags. */
async function lokiEndpoints(deps: Deps): Promise<Record<string, string>> {
  const endpoints: Record<string, string> = {};
  if (Object.keys((await deps.tools.goalState()).relations[LOGGING] ?? {}).length === 0) return endpoints;
  for (const relation of await deps.tools.relationIds(LOGGING)) {
    for (const unit of await deps.tools.relationList(relation)) {
      const raw = (await deps.tools.relationGet(relation, { unit }))['endpoint'];
      const url = lokiPushUrl(raw);
      if (url !== undefined) endpoints[unit] = url;
      else if (raw !== undefined) deps.logger.warn({ relation: relation.id, unit }, `logging: ignoring ${unit}'s endpoint, which is not {"url": "http(s)://…"}`);
    }
  }
  return endpoints;
}

function targetsConverged(plan: Plan, layer: Layer): boolean {
  return Object.entries(layer['log-targets'] ?? {}).every(([name, wanted]) => {
    const actual = plan['log-targets'][name];
    if (wanted.override === 'merge') return actual === undefined || actual.services?.at(-1) === '-all';
    return actual !== undefined && (['type', 'location', 'services', 'labels'] as const).every((key) => isDeepStrictEqual(actual[key], wanted[key]));
  });
}

export const logForwardingStep = step({
  name: 'log-forwarding',
  retryMessage: 'waiting to forward logs',
  requires: ['workload'],
  provides: [],
  async run(deps: Deps) {
    try {
      const endpoints = await lokiEndpoints(deps);
      const pebble = await deps.pebble();
      const plan = await pebble.plan();
      const tails = Object.keys(logTailServices());
      const forwarding = Object.keys(endpoints).length > 0;
      if (!forwarding && !tails.some((name) => plan.services[name] !== undefined)) return proceed();

      const previousTargets = Object.entries(plan['log-targets']).filter(([, target]) => target.type === 'loki').map(([name]) => name);
      const topology = { model: deps.modelName, modelUuid: deps.modelUuid, application: deps.appName, unit: deps.unitName, charmName: CHARM_NAME };
      const layer = logForwardingLayer({ endpoints, previousTargets, topology });
      const scriptPath = logTailScriptPath();
      const scriptChanged = forwarding && !((await pebble.exists(scriptPath)) && (await pebble.pullText(scriptPath)) === LOG_TAIL_SCRIPT);
      if (scriptChanged) await pebble.push(scriptPath, LOG_TAIL_SCRIPT, { permissions: 0o755, user: WORKLOAD_OS_USER, group: WORKLOAD_OS_GROUP });
      const servicesChanged = layerChanges(plan, layer).services;
      if (servicesChanged || !targetsConverged(plan, layer)) {
        await pebble.addLayer(LOG_FORWARDING_LAYER, layer, { combine: true });
        deps.logger.info({ loki: Object.keys(endpoints) }, 'logging: log forwarding updated');
      }
      const states = await pebble.services(tails);
      if (forwarding) {
        const toStart = scriptChanged || servicesChanged ? tails : states.filter((service) => service.current !== 'active').map((service) => service.name);
        if (toStart.length > 0) await pebble.restart(toStart);
      } else {
        const running = states.filter((service) => service.current === 'active').map((service) => service.name);
        if (running.length > 0) await pebble.stop(running);
      }
    } catch (error) {
      deps.logger.warn({ err: error, code: errorCode(error) }, 'logging: cannot set up log forwarding; the next hook retries');
    }
    return proceed();
  },
});
