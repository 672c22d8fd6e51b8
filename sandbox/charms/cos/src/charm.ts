/**
 * COS for the sandbox (sandbox/charms/cos/metadata.yaml says what it stands for). Every hook runs
 * one reconcile:
 * - Prometheus: prometheus.yml from every metrics-endpoint relation (scrape-config.ts) and one
 *   rules file holding their alert rules, checked with promtool first as prometheus-k8s checks
 *   them (an invalid set is reported back in our app bag's `event`, the last valid one stays);
 *   Debian's prometheus as the Pebble service, restarted when its files changed;
 * - dashboards: each grafana-dashboard relation's templates decoded (base64, then xz) and kept
 *   under /var/lib/cos/prometheus/dashboards/<app>/<template>.json;
 * - Loki: the stand-in (workload.ts) as a Pebble service; each unit publishes its push URL as
 *   `endpoint` in every logging relation, as loki-k8s does.
 * A related charm's garbage is logged and skipped; nothing it writes can fail a hook.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { errorMessage } from '../../../../src/errors.ts';
import { parseDispatchContext, type DispatchContext } from '../../../../src/juju/context.ts';
import { Dispatcher, runDispatch } from '../../../../src/juju/dispatcher.ts';
import { eventFromContext } from '../../../../src/juju/events.ts';
import { HookTools, processToolRunner, type RelationRef } from '../../../../src/juju/hook-tools.ts';
import { loadCharmMetadata } from '../../../../src/juju/metadata.ts';
import { createLogger, type Logger } from '../../../../src/logging.ts';
import { PebbleClient } from '../../../../src/pebble/index.ts';
import { BadRelationData, expandJobs, identifier, parseScrapeData, type Hosts, type Job } from './scrape-config.ts';
import { runCharm } from '../../lib/run-charm.ts';

const PROM_DIR = '/var/lib/cos/prometheus';
const PROM_CONFIG = `${PROM_DIR}/prometheus.yml`;
const PROM_RULES = `${PROM_DIR}/rules/juju.rules.yaml`;
const PROM_CANDIDATE_RULES = `${PROM_DIR}/candidate.rules.yaml`;
const DASHBOARDS_DIR = `${PROM_DIR}/dashboards`;
const LOKI_DIR = '/var/lib/cos/loki';
const CONTAINER = 'cos';
export const PROMETHEUS_PORT = 9090;
export const LOKI_PORT = 3100;

interface Ctx {
  dispatch: DispatchContext;
  tools: HookTools;
  logger: Logger;
}

const same = (a: RelationRef, b: RelationRef | undefined) => b !== undefined && a.endpoint === b.endpoint && a.id === b.id;

async function pushIfChanged(pebble: PebbleClient, file: string, content: string): Promise<boolean> {
  if ((await pebble.exists(file)) && (await pebble.pullText(file)) === content) return false;
  await pebble.push(file, content, { makeDirs: true });
  return true;
}

async function unitAddress(tools: HookTools, endpoint: string): Promise<string> {
  const info = await tools.networkGet(endpoint);
  return info.bindAddresses[0]?.addresses[0]?.value ?? info.ingressAddresses[0] ?? '';
}

/** Every related charm's jobs (expanded per unit) and alert rule groups. */
async function scrapeTargets(ctx: Ctx, broken: RelationRef | undefined): Promise<{ jobs: Job[]; groups: unknown[]; relations: RelationRef[] }> {
  const { tools, logger } = ctx;
  const jobs: Job[] = [];
  const groups: unknown[] = [];
  const relations = (await tools.relationIds('metrics-endpoint')).filter((relation) => !same(relation, broken));
  for (const relation of relations) {
    const remoteApp = await tools.relationRemoteApp(relation);
    if (remoteApp === undefined) continue;
    let data;
    try {
      data = parseScrapeData(await tools.relationGet(relation, { app: remoteApp }));
    } catch (error) {
      if (!(error instanceof BadRelationData)) throw error;
      logger.warn({ relation: relation.id, app: remoteApp }, `metrics-endpoint: ignoring ${remoteApp}'s data: ${error.message}`);
      continue;
    }
    if (data === undefined) continue;
    const hosts: Hosts = {};
    for (const unit of await tools.relationList(relation)) {
      const bag = await tools.relationGet(relation, { unit });
      const address = bag['prometheus_scrape_unit_address'];
      if (address) hosts[bag['prometheus_scrape_unit_name'] || unit] = address;
    }
    jobs.push(...expandJobs(data.metadata, data.jobs, hosts));
    if (data.rules) groups.push(...data.rules.groups);
    logger.debug({ relation: relation.id, id: identifier(data.metadata), units: Object.keys(hosts) }, 'scrape targets');
  }
  return { jobs, groups, relations };
}

/** promtool's verdict on a rules file in the container; undefined when it is valid. */
async function ruleErrors(pebble: PebbleClient, file: string): Promise<string | undefined> {
  const process = await pebble.exec(['promtool', 'check', 'rules', file]);
  try {
    await process.waitOutput();
    return undefined;
  } catch (error) {
    return errorMessage(error);
  }
}

async function reconcilePrometheus(ctx: Ctx, broken: RelationRef | undefined): Promise<string> {
  const { tools, logger } = ctx;
  const pebble = PebbleClient.forContainer(CONTAINER, { logger });
  if (!(await pebble.canConnect())) return 'waiting for the cos container';
  const { jobs, groups, relations } = await scrapeTargets(ctx, broken);
  const config = {
    global: { scrape_interval: '5s', scrape_timeout: '4s', evaluation_interval: '5s' },
    rule_files: [`${PROM_DIR}/rules/*.yaml`],
    scrape_configs: jobs,
  };
  let changed = await pushIfChanged(pebble, PROM_CONFIG, toYaml(config));
  const rules = toYaml({ groups });
  await pebble.push(PROM_CANDIDATE_RULES, rules, { makeDirs: true });
  const errors = await ruleErrors(pebble, PROM_CANDIDATE_RULES);
  if (errors === undefined) changed = (await pushIfChanged(pebble, PROM_RULES, rules)) || changed;
  else logger.warn({ errors }, 'metrics-endpoint: alert rules rejected by promtool; keeping the previous ones');
  if (await tools.isLeader()) {
    const event = JSON.stringify({ valid: errors === undefined, errors: errors ?? '' });
    for (const relation of relations) {
      if ((await tools.relationGet(relation, { app: tools.appName }))['event'] !== event) await tools.relationSet(relation, { event }, { app: true });
    }
  }
  // What Prometheus runs with is recorded once it is (re)started on it, so a hook that dies
  // between pushing the files and the restart leaves the next hook to do the restart.
  const applied = createHash('sha256').update(toYaml(config)).update(errors === undefined ? rules : '').digest('hex');
  const plan = await pebble.plan();
  if (plan.services['prometheus'] === undefined) {
    await pebble.addLayer('prometheus', {
      summary: 'prometheus',
      services: {
        prometheus: {
          override: 'replace',
          summary: 'Prometheus',
          command: `/usr/bin/prometheus --config.file=${PROM_CONFIG} --storage.tsdb.path=${PROM_DIR}/data --storage.tsdb.retention.time=1d --web.listen-address=:${PROMETHEUS_PORT} --web.enable-lifecycle`,
          startup: 'enabled',
        },
      },
    }, { combine: true });
    await pebble.replan();
    await tools.stateSet({ 'prometheus-applied': applied });
  } else {
    const [service] = await pebble.services(['prometheus']);
    if (service?.current !== 'active' || changed || (await tools.stateGetKey('prometheus-applied')) !== applied) {
      await pebble.restart(['prometheus']);
      await tools.stateSet({ 'prometheus-applied': applied });
    }
  }
  return `prometheus: ${jobs.length} scrape jobs, ${groups.length} rule groups`;
}

/** grafana-dashboard: each template's content decoded as grafana-k8s does (base64, then LZMA). */
async function reconcileDashboards(ctx: Ctx, broken: RelationRef | undefined): Promise<number> {
  const { tools, logger } = ctx;
  const pebble = PebbleClient.forContainer(CONTAINER, { logger });
  if (!(await pebble.canConnect())) return 0;
  let count = 0;
  for (const relation of (await tools.relationIds('grafana-dashboard')).filter((r) => !same(r, broken))) {
    const remoteApp = await tools.relationRemoteApp(relation);
    if (remoteApp === undefined) continue;
    const raw = (await tools.relationGet(relation, { app: remoteApp }))['dashboards'];
    if (raw === undefined) continue;
    try {
      const templates = (JSON.parse(raw) as { templates?: Record<string, { content?: string }> }).templates ?? {};
      for (const [key, template] of Object.entries(templates)) {
        const json = execFileSync('xz', ['-dc'], { input: Buffer.from(template.content ?? '', 'base64') }).toString('utf8');
        JSON.parse(json);
        await pushIfChanged(pebble, `${DASHBOARDS_DIR}/${remoteApp}/${key.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`, json);
        count += 1;
      }
    } catch (error) {
      logger.warn({ relation: relation.id, app: remoteApp, err: error }, `grafana-dashboard: ignoring ${remoteApp}'s dashboards: ${errorMessage(error)}`);
    }
  }
  return count;
}

async function reconcileLoki(ctx: Ctx, broken: RelationRef | undefined): Promise<string> {
  const { tools, logger, dispatch } = ctx;
  const pebble = PebbleClient.forContainer(CONTAINER, { logger });
  if (!(await pebble.canConnect())) return 'waiting for the cos container';
  const program = await readFile(path.join(dispatch.charmDir, 'dist', 'workload.cjs'), 'utf8');
  const changed = await pushIfChanged(pebble, `${LOKI_DIR}/loki-stand-in.cjs`, program);
  const node = await realpath(path.join(dispatch.charmDir, 'node', 'bin', 'node'));
  const plan = await pebble.plan();
  if (plan.services['loki'] === undefined) {
    await pebble.addLayer('loki', {
      summary: 'loki stand-in',
      services: { loki: { override: 'replace', summary: 'Loki push API stand-in', command: `${node} ${LOKI_DIR}/loki-stand-in.cjs ${LOKI_DIR} ${LOKI_PORT}`, startup: 'enabled' } },
    }, { combine: true });
    await pebble.replan();
  } else {
    const [service] = await pebble.services(['loki']);
    if (changed || service?.current !== 'active') await pebble.restart(['loki']);
  }
  const relations = (await tools.relationIds('logging')).filter((r) => !same(r, broken));
  if (relations.length > 0) {
    const endpoint = JSON.stringify({ url: `http://${await unitAddress(tools, 'logging')}:${LOKI_PORT}/loki/api/v1/push` });
    for (const relation of relations) {
      if ((await tools.relationGet(relation, { unit: tools.unitName }))['endpoint'] !== endpoint) await tools.relationSet(relation, { endpoint });
    }
  }
  return `loki: ${relations.length} logging relations`;
}

async function reconcile(ctx: Ctx, broken: RelationRef | undefined): Promise<void> {
  const prometheus = await reconcilePrometheus(ctx, broken);
  const dashboards = await reconcileDashboards(ctx, broken);
  const loki = await reconcileLoki(ctx, broken);
  const waiting = [prometheus, loki].find((message) => message.startsWith('waiting'));
  if (waiting) return ctx.tools.statusSet('waiting', waiting);
  await ctx.tools.statusSet('active', `${prometheus}; ${dashboards} dashboards; ${loki}`);
}

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const logger = createLogger({ base: { unit: env['JUJU_UNIT_NAME'], dispatch: env['JUJU_DISPATCH_PATH'] } });
  const dispatch = parseDispatchContext(env);
  const metadata = await loadCharmMetadata(dispatch.charmDir);
  const event = eventFromContext(dispatch, metadata);
  const tools = new HookTools(processToolRunner(), { unitName: dispatch.unitName, modelUuid: dispatch.modelUuid, logger });
  const ctx: Ctx = { dispatch, tools, logger };
  const code = await runDispatch({ dispatcher: new Dispatcher<Ctx>({ logger }), event, context: ctx, actionFail: (message) => tools.actionFail(message), logger });
  if (code !== 0 || event.kind === 'action' || event.kind === 'unknown' || event.kind === 'remove' || event.kind === 'stop') return code;
  try {
    await reconcile(ctx, event.kind === 'relation-broken' ? event.relation : undefined);
    return 0;
  } catch (error) {
    logger.error({ err: error }, `reconcile failed: ${errorMessage(error)}`);
    return 1;
  }
}

runCharm('cos', main);
