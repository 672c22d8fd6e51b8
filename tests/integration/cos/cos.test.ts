import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP, isClean, SandboxFixture, type StatusDoc } from '../../support/sandbox-fixture.ts';
import { readModel } from '../relations/helpers.ts';

// One 2-unit deployment of the real charm and the sandbox's COS stand-in (real Prometheus, a
// Loki push API stand-in), related through metrics-endpoint, grafana-dashboard and logging:
// Prometheus scrapes every unit's exporter and Patroni with the Juju topology labels and loads
// every alert rule; every dashboard query names a metric Prometheus has; Loki receives Patroni and
// PostgreSQL lines from every unit with the topology labels; removing the relation removes the
// targets.

const MIN = 60_000;
const COS = 'cos';
let sbx: SandboxFixture;
let cosAddress = '';
let modelName = '';

interface Target {
  labels: Record<string, string>;
  health: string;
  scrapeUrl: string;
  lastError: string;
}

async function prometheus<T>(path: string): Promise<T> {
  const response = await fetch(`http://${cosAddress}:9090${path}`, { signal: AbortSignal.timeout(10_000) });
  const body = (await response.json()) as { status: string; data: T };
  if (body.status !== 'success') throw new Error(`${path}: ${JSON.stringify(body)}`);
  return body.data;
}

const activeTargets = async (): Promise<Target[]> => (await prometheus<{ activeTargets: Target[] }>('/api/v1/targets')).activeTargets;

async function loki(query: string): Promise<{ stream: Record<string, string>; values: [string, string][] }[]> {
  const url = `http://${cosAddress}:3100/loki/api/v1/query_range?limit=5000&query=${encodeURIComponent(query)}`;
  const body = (await (await fetch(url, { signal: AbortSignal.timeout(10_000) })).json()) as { data: { result: { stream: Record<string, string>; values: [string, string][] }[] } };
  return body.data.result;
}

const units = (status: StatusDoc): string[] => Object.keys(status.applications[APP]?.units ?? {}).sort();

beforeAll(async () => {
  sbx = await SandboxFixture.create('cos');
  await sbx.deploy(2, { timeout: '8m' });
  await sbx.cliOk(['deploy', COS, COS, '--timeout', '4m'], 5 * MIN);
  for (const endpoint of ['metrics-endpoint', 'grafana-dashboard', 'logging']) {
    await sbx.cliOk(['relate', `${APP}:${endpoint}`, `${COS}:${endpoint}`, '--timeout', '4m'], 5 * MIN);
  }
  const status = await sbx.status();
  modelName = status.model.name;
  cosAddress = status.applications[COS]?.units[`${COS}/0`]?.address ?? '';
  expect(cosAddress).not.toBe('');
}, 20 * MIN);

afterAll(async () => {
  const leftovers = await sbx?.teardown();
  expect(leftovers === null || isClean(leftovers), JSON.stringify(leftovers)).toBe(true);
}, 5 * MIN);

describe('COS', () => {
  it('Prometheus scrapes every unit\'s exporter and Patroni, up, with the Juju topology labels', async () => {
    const expectedUnits = units(await sbx.status());
    const targets = await sbx.until(
      activeTargets,
      (ts) => expectedUnits.every((unit) => ['9187', '8008'].every((port) => ts.some((t) => t.labels['juju_unit'] === unit && t.scrapeUrl.includes(`:${port}/`) && t.health === 'up'))),
      'every unit scraped',
      2 * MIN,
      2000,
    );
    for (const target of targets) {
      expect(target.labels).toMatchObject({ juju_model: modelName, juju_application: APP, juju_charm: APP });
      expect(target.labels['juju_model_uuid']).toMatch(/^[0-9a-f-]{36}$/);
      expect(target.labels['instance']).toBe(`${modelName}_${target.labels['juju_model_uuid']}_${APP}_${target.labels['juju_unit']}`);
      expect(target.labels['job']).toMatch(new RegExp(`^juju_${modelName}_[0-9a-f]{8}_${APP}_prometheus_scrape`));
    }
    // The pgBackRest exporter's job is published as the reference does, but Debian has no such
    // exporter: its targets are down here, and only those.
    expect(targets.filter((t) => t.health !== 'up').every((t) => t.scrapeUrl.includes(':9854/'))).toBe(true);
    const pgUp = await prometheus<{ result: { metric: Record<string, string>; value: [number, string] }[] }>('/api/v1/query?query=pg_up');
    expect(pgUp.result.map((r) => [r.metric['juju_unit'], r.value[1]]).sort()).toEqual(expectedUnits.map((unit) => [unit, '1']));
    const running = await prometheus<{ result: { metric: Record<string, string>; value: [number, string] }[] }>('/api/v1/query?query=patroni_postgres_running');
    expect(running.result.map((r) => [r.metric['juju_unit'], r.value[1]]).sort()).toEqual(expectedUnits.map((unit) => [unit, '1']));
    const primaries = await prometheus<{ result: { value: [number, string] }[] }>('/api/v1/query?query=sum(patroni_primary)');
    expect(primaries.result[0]?.value[1]).toBe('1');
  }, 3 * MIN);

  it('Prometheus loaded every alert rule, renamed with the topology', async () => {
    const groups = await sbx.until(
      async () => (await prometheus<{ groups: { name: string; rules: { name: string; health: string; labels: Record<string, string> }[] }[] }>('/api/v1/rules')).groups,
      (gs) => gs.flatMap((g) => g.rules).length >= 35,
      'rules loaded',
      MIN,
      2000,
    );
    const rules = groups.flatMap((g) => g.rules);
    expect(rules).toHaveLength(35); // 33 of the charm, HostDown and HostMetricsMissing
    expect(groups.map((g) => g.name).every((name) => name.startsWith(`${modelName}_`) && name.endsWith('_alerts'))).toBe(true);
    expect(rules.filter((r) => r.health === 'err')).toEqual([]);
    expect(rules.every((r) => r.labels['juju_application'] === APP && r.labels['juju_charm'] === APP)).toBe(true);
  }, 2 * MIN);

  it('every dashboard query names metrics Prometheus has (the pgBackRest one: its exporter is not in the sandbox)', async () => {
    const published = async (): Promise<string | undefined> =>
      (await readModel(sbx)).relations.find((r) => r.endpoints.some((e) => e.app === COS && e.name === 'grafana-dashboard'))?.appData[APP]?.['dashboards'];
    const raw = await sbx.until(published, (value) => value !== undefined, 'dashboards published', MIN, 2000);
    const templates = JSON.parse(raw ?? '{}').templates as Record<string, { content: string }>;
    expect(Object.keys(templates).sort()).toEqual(['file:postgresql-metrics', 'file:postgresql-patroni-metrics', 'file:postgresql-pgbackrest-metrics']);
    const known = new Set(await prometheus<string[]>('/api/v1/label/__name__/values'));
    const missing: string[] = [];
    for (const [key, { content }] of Object.entries(templates)) {
      if (key === 'file:postgresql-pgbackrest-metrics') continue;
      const dashboard = JSON.parse(execFileSync('xz', ['-dc'], { input: Buffer.from(content, 'base64') }).toString('utf8')) as { panels: { targets?: { expr: string }[] }[] };
      for (const expr of dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr)) {
        for (const metric of expr.match(/\b(pg|patroni)_[a-z0-9_]+/g) ?? []) if (!known.has(metric)) missing.push(`${key}: ${metric}`);
      }
    }
    expect(missing).toEqual([]);
  }, 2 * MIN);

  it('Loki holds Patroni and PostgreSQL lines from every unit, with the topology labels', async () => {
    const expectedUnits = units(await sbx.status());
    for (const service of ['logs-patroni', 'logs-postgresql']) {
      const streams = await sbx.until(
        () => loki(`{juju_application="${APP}", pebble_service="${service}"}`),
        (ss) => expectedUnits.every((unit) => ss.some((s) => s.stream['juju_unit'] === unit && s.values.length > 0)),
        `${service} lines from every unit`,
        2 * MIN,
        2000,
      );
      for (const stream of streams) expect(stream.stream).toMatchObject({ juju_model: modelName, juju_application: APP, juju_charm: APP });
    }
  }, 5 * MIN);

  it('removing the metrics-endpoint relation removes the targets', async () => {
    await sbx.cliOk(['remove-relation', `${APP}:metrics-endpoint`, `${COS}:metrics-endpoint`, '--timeout', '4m'], 5 * MIN);
    await sbx.until(activeTargets, (ts) => ts.every((t) => t.labels['juju_application'] !== APP), 'targets gone', MIN, 2000);
  }, 6 * MIN);
});
