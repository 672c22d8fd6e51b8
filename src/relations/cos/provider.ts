/**
 * The charm's side of COS, converged on every reconcile instead of on the libraries' events:
 * - `metrics-endpoint` (prometheus_scrape): each unit publishes its address and name; the leader
 *   publishes `scrape_metadata`, `scrape_jobs` (Patroni's scheme following TLS) and `alert_rules`;
 * - `grafana-dashboard` (grafana_dashboard): the leader publishes the dashboards;
 * - `logging` (loki_push_api): the leader publishes `metadata` and `alert_rules` (`{}`: the
 *   reference has no Loki rules); the Loki endpoints are read by log-forwarding.ts.
 * Every write happens only when the value differs, so a steady-state hook writes nothing and
 * gives the COS side no relation-changed. What the COS side writes back (`event`) is only logged.
 */
import { randomUUID } from 'node:crypto';
import type { HookTools } from '../../juju/hook-tools.ts';
import type { RelationRef } from '../../juju/relation-ref.ts';
import type { Logger } from '../../logging.ts';
import { labelledAlertRules } from '../../cos/alert-rules.ts';
import type { CosAssets } from '../../cos/assets.ts';
import { dashboardsBagValue, dashboardTemplates } from '../../cos/dashboards.ts';
import { pythonJsonDumpsValue, type JsonValue } from '../../cos/python-json.ts';
import { metricsEndpointAppBag, metricsEndpointUnitBag } from '../../cos/scrape.ts';
import { topologyDict, type JujuTopology } from '../../cos/topology.ts';

export const METRICS_ENDPOINT = 'metrics-endpoint';
export const GRAFANA_DASHBOARD = 'grafana-dashboard';
export const LOGGING = 'logging';

export type CosTools = Pick<HookTools, 'relationIds' | 'relationGet' | 'relationSet' | 'relationRemoteApp' | 'networkGet'>;

export interface CosDeps {
  readonly unitName: string;
  readonly appName: string;
  readonly tools: CosTools;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'debug'>;
}

export interface CosInput {
  readonly isLeader: boolean;
  readonly topology: JujuTopology;
  /** Patroni's REST API speaks https (the unit's peer `tls` flag). */
  readonly patroniTls: boolean;
  /** Undefined when the build's assets cannot be read: scrape jobs still go out, without rules or dashboards. */
  readonly assets: CosAssets | undefined;
}

/** Set the keys of `wanted` that differ from `current` (an empty value deletes the key). */
async function converge(
  deps: Pick<CosDeps, 'tools'>,
  relation: RelationRef,
  current: Readonly<Record<string, string>>,
  wanted: Readonly<Record<string, string>>,
  app: boolean,
): Promise<boolean> {
  const changes = Object.fromEntries(Object.entries(wanted).filter(([key, value]) => (current[key] ?? '') !== value));
  if (Object.keys(changes).length === 0) return false;
  await deps.tools.relationSet(relation, changes, { app });
  return true;
}

/** The address Prometheus scrapes this unit at: the relation's bind address, else its ingress. */
async function unitAddress(deps: Pick<CosDeps, 'tools' | 'logger'>, relation: RelationRef): Promise<string | undefined> {
  try {
    const info = await deps.tools.networkGet(METRICS_ENDPOINT, relation.id);
    return info.bindAddresses[0]?.addresses[0]?.value ?? info.ingressAddresses[0];
  } catch (error) {
    deps.logger.warn({ err: error, relation: relation.id }, 'no address for metrics-endpoint yet');
    return undefined;
  }
}

/** Log what the COS side reports in its `event` key (invalid rules, scrape job errors); never fatal. */
export function logRemoteEvent(deps: Pick<CosDeps, 'logger'>, endpoint: string, relation: RelationRef, bag: Readonly<Record<string, string>>): void {
  const raw = bag['event'];
  if (raw === undefined || raw === '') return;
  try {
    const event = JSON.parse(raw) as unknown;
    if (typeof event === 'object' && event !== null && ((event as { valid?: unknown }).valid === false || (event as { errors?: unknown }).errors)) {
      deps.logger.warn({ endpoint, relation: relation.id, event }, `${endpoint}: the COS side reports a problem with our data`);
    }
  } catch {
    deps.logger.warn({ endpoint, relation: relation.id }, `${endpoint}: ignoring an 'event' that is not JSON`);
  }
}

/** The COS application's bag; empty while Juju does not name the remote application yet. */
export async function remoteAppBag(deps: Pick<CosDeps, 'tools'>, relation: RelationRef): Promise<Readonly<Record<string, string>>> {
  const remoteApp = await deps.tools.relationRemoteApp(relation);
  return remoteApp === undefined ? {} : deps.tools.relationGet(relation, { app: remoteApp });
}

async function logRemoteFeedback(deps: Pick<CosDeps, 'tools' | 'logger'>, endpoint: string, relation: RelationRef): Promise<void> {
  try {
    logRemoteEvent(deps, endpoint, relation, await remoteAppBag(deps, relation));
  } catch (error) {
    deps.logger.debug({ err: error, endpoint, relation: relation.id }, 'cannot read the COS side\'s feedback');
  }
}

export async function publishMetricsEndpoint(deps: CosDeps, input: CosInput): Promise<void> {
  const relations = await deps.tools.relationIds(METRICS_ENDPOINT);
  if (relations.length === 0) return;
  const alertRules: JsonValue = input.assets === undefined ? {} : labelledAlertRules(input.assets.alertRuleFiles, input.topology);
  for (const relation of relations) {
    const address = await unitAddress(deps, relation);
    if (address !== undefined) {
      const mine = await deps.tools.relationGet(relation, { unit: deps.unitName });
      await converge(deps, relation, mine, metricsEndpointUnitBag(address, deps.unitName), false);
    }
    if (!input.isLeader) continue;
    const ours = await deps.tools.relationGet(relation, { app: deps.appName });
    const wanted = metricsEndpointAppBag({ topology: input.topology, patroniTls: input.patroniTls, alertRules });
    if (await converge(deps, relation, ours, wanted, true)) deps.logger.info({ relation: relation.id, tls: input.patroniTls }, 'metrics-endpoint: scrape jobs and alert rules published');
    await logRemoteFeedback(deps, METRICS_ENDPOINT, relation);
  }
}

/** The templates part of a `dashboards` value we wrote earlier, to compare without the uuid. */
function publishedTemplates(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  try {
    const parsed = JSON.parse(raw) as { templates?: JsonValue };
    return parsed.templates === undefined ? undefined : pythonJsonDumpsValue(parsed.templates);
  } catch {
    return undefined;
  }
}

export async function publishDashboards(deps: CosDeps, input: CosInput, charmName: string): Promise<void> {
  if (!input.isLeader || input.assets === undefined) return;
  const relations = await deps.tools.relationIds(GRAFANA_DASHBOARD);
  if (relations.length === 0) return;
  const templates = dashboardTemplates(input.assets.dashboards, charmName, input.topology);
  const wanted = pythonJsonDumpsValue(templates);
  for (const relation of relations) {
    await logRemoteFeedback(deps, GRAFANA_DASHBOARD, relation);
    const ours = await deps.tools.relationGet(relation, { app: deps.appName });
    if (publishedTemplates(ours['dashboards']) === wanted) continue;
    await deps.tools.relationSet(relation, { dashboards: dashboardsBagValue(templates, randomUUID()) }, { app: true });
    deps.logger.info({ relation: relation.id, dashboards: Object.keys(templates) }, 'grafana-dashboard: dashboards published');
  }
}

export async function publishLoggingMetadata(deps: CosDeps, input: CosInput): Promise<void> {
  if (!input.isLeader) return;
  for (const relation of await deps.tools.relationIds(LOGGING)) {
    const ours = await deps.tools.relationGet(relation, { app: deps.appName });
    // The reference has no Loki alert rules: cosl's as_dict() of none is {}.
    const wanted = { metadata: pythonJsonDumpsValue(topologyDict(input.topology)), alert_rules: pythonJsonDumpsValue({}, { sortKeys: true }) };
    await converge(deps, relation, ours, wanted, true);
  }
}

/** Every COS endpoint: what a reconcile converges. */
export async function publishToCos(deps: CosDeps, input: CosInput, charmName: string): Promise<void> {
  await publishMetricsEndpoint(deps, input);
  await publishDashboards(deps, input, charmName);
  await publishLoggingMetadata(deps, input);
}
