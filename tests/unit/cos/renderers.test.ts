import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { HOST_HEALTH_GROUP, labelledAlertRules, type AlertRuleFile } from '../../../src/cos/alert-rules.ts';
import { dashboardAltUid, dashboardPath40Uid, dashboardTemplates, prepareDashboard } from '../../../src/cos/dashboards.ts';
import { pythonJsonDumpsValue } from '../../../src/cos/python-json.ts';
import { metricsEndpointAppBag, metricsEndpointUnitBag, scrapeJobs } from '../../../src/cos/scrape.ts';
import { topologyDict, topologyIdentifier, topologyLabels } from '../../../src/cos/topology.ts';
import { buildCosAssets, lzmaBase64 } from '../../../scripts/cos-assets.ts';

const TOPOLOGY = { model: 'pgm', modelUuid: '1a2b3c4d-0000-4000-8000-00000000abcd', application: 'postgresql-k8s', unit: 'postgresql-k8s/0', charmName: 'postgresql-k8s' };
const REPO = new URL('../../../', import.meta.url).pathname;
const RULES_DIR = new URL('../../../src/prometheus_alert_rules/', import.meta.url);

/** Every rule the reference charm ships, by file (canonical/postgresql-k8s-operator src/prometheus_alert_rules). */
const REFERENCE_RULES: Record<string, { group: string; rules: Record<string, string> }> = {
  'patroni_rules.yaml': {
    group: 'PatroniExporterK8s',
    rules: { PatroniPostgresqlDown: 'critical', PatroniMultipleLeaders: 'critical', PatroniPrimaryAndStandbyLeader: 'critical', PatroniHasNoLeader: 'critical' },
  },
  'pgbackrest_rules.yaml': {
    group: 'PgbackrestExporterK8s',
    rules: {
      PgBackRestBackupError: 'critical',
      PgBackRestBackupTooOld: 'warning',
      PgBackRestStanzaError: 'warning',
      PgBackRestRepoError: 'warning',
      PgBackRestExporterError: 'critical',
    },
  },
  'pgbouncer_rules.yaml': {
    group: 'PgbouncerExporterK8s',
    rules: { PgbouncerActiveConnections: 'warning', PgbouncerErrors: 'warning', PgbouncerMaxConnections: 'critical' },
  },
  'postgresql_rules.yaml': {
    group: 'PostgresqlExporterK8s',
    rules: {
      PostgresqlDown: 'critical',
      PostgresqlExporterError: 'critical',
      PostgresqlHighRateStatementTimeout: 'critical',
      PostgresqlInvalidIndex: 'critical',
      PostgresqlTableNotAutoVacuumed: 'warning',
      PostgresqlTableNotAutoAnalyzed: 'warning',
      PostgresqlTooManyConnections: 'warning',
      PostgresqlDeadLocks: 'warning',
      PostgresqlHighRollbackRate: 'warning',
      PostgresqlHighRateDeadlock: 'warning',
      PostgresqlTooManyDeadTuples: 'warning',
      PostgresqlSslCompressionActive: 'warning',
      PostgresqlTooManyLocksAcquired: 'warning',
      'PostgresqlBloatIndexHigh(>80%)': 'warning',
      'PostgresqlBloatTableHigh(>80%)': 'warning',
      PostgresqlRestarted: 'info',
      PostgresqlNotEnoughConnections: 'info',
      PostgresqlCommitRateLow: 'info',
      PostgresqlLowXidConsumption: 'info',
      PostgresqlUnusedReplicationSlot: 'info',
      PostgresqlConfigurationChanged: 'info',
    },
  },
};

async function ruleFiles(): Promise<AlertRuleFile[]> {
  const names = (await readdir(RULES_DIR)).sort();
  return Promise.all(names.map(async (file) => ({ file, ...(parseYaml(await readFile(new URL(file, RULES_DIR), 'utf8')) as Omit<AlertRuleFile, 'file'>) })));
}

describe('Juju topology', () => {
  it('names the application as the COS libraries do', () => {
    expect(topologyIdentifier(TOPOLOGY)).toBe('pgm_1a2b3c4d_postgresql-k8s');
    expect(topologyDict(TOPOLOGY)).toEqual({ model: 'pgm', model_uuid: TOPOLOGY.modelUuid, application: 'postgresql-k8s', unit: 'postgresql-k8s/0', charm_name: 'postgresql-k8s' });
    expect(Object.keys(topologyLabels(TOPOLOGY))).toEqual(['juju_model', 'juju_model_uuid', 'juju_application', 'juju_charm']);
  });
});

describe('metrics-endpoint data', () => {
  it('publishes the three jobs as the prometheus_scrape library sanitises them, Patroni on http without TLS', () => {
    expect(pythonJsonDumpsValue(scrapeJobs(false))).toBe(
      '[{"metrics_path": "/metrics", "static_configs": [{"targets": ["*:9187"]}]}, {"metrics_path": "/metrics", "static_configs": [{"targets": ["*:9854"]}]}, ' +
        '{"metrics_path": "/metrics", "static_configs": [{"targets": ["*:8008"]}], "scheme": "http", "tls_config": {"insecure_skip_verify": true}}]',
    );
  });

  it('switches Patroni to https when TLS is on and leaves the exporters alone', () => {
    const jobs = scrapeJobs(true);
    expect(jobs[2]?.['scheme']).toBe('https');
    expect(jobs.slice(0, 2).every((job) => job['scheme'] === undefined)).toBe(true);
  });

  it('puts the topology in scrape_metadata and the unit address in the unit bag', () => {
    const bag = metricsEndpointAppBag({ topology: TOPOLOGY, patroniTls: false, alertRules: {} });
    expect(JSON.parse(bag['scrape_metadata'] ?? '')).toEqual(topologyDict(TOPOLOGY));
    expect(bag['alert_rules']).toBe('{}');
    expect(metricsEndpointUnitBag('10.1.77.12', 'postgresql-k8s/1')).toEqual({
      prometheus_scrape_unit_address: '10.1.77.12',
      prometheus_scrape_unit_name: 'postgresql-k8s/1',
      prometheus_scrape_unit_path: '',
    });
  });
});

describe('alert rules', () => {
  it('ship every rule of the reference, in its files and groups, with its severity', async () => {
    const files = await ruleFiles();
    expect(files.map((file) => file.file)).toEqual(Object.keys(REFERENCE_RULES));
    for (const file of files) {
      const expected = REFERENCE_RULES[file.file]!;
      expect(file.groups.map((group) => group.name)).toEqual([expected.group]);
      const severities = Object.fromEntries(file.groups[0]!.rules.map((rule) => [rule.alert, rule.labels?.['severity']]));
      expect(severities).toEqual(expected.rules);
    }
  });

  it('rename each group with the topology and label each rule, as cosl AlertRules does', async () => {
    const rules = labelledAlertRules(await ruleFiles(), TOPOLOGY) as { groups: { name: string; rules: { alert: string; expr: string; labels: Record<string, string> }[] }[] };
    expect(rules.groups.map((group) => group.name)).toEqual([
      'pgm_1a2b3c4d_postgresql_k8s_PatroniExporterK8s_alerts',
      'pgm_1a2b3c4d_postgresql_k8s_PgbackrestExporterK8s_alerts',
      'pgm_1a2b3c4d_postgresql_k8s_PgbouncerExporterK8s_alerts',
      'pgm_1a2b3c4d_postgresql_k8s_PostgresqlExporterK8s_alerts',
      'pgm_1a2b3c4d_postgresql_k8s_HostHealth_alerts',
    ]);
    const down = rules.groups[0]!.rules[0]!;
    expect(down.alert).toBe('PatroniPostgresqlDown');
    expect(Object.entries(down.labels)).toEqual([
      ['severity', 'critical'],
      ['juju_model', 'pgm'],
      ['juju_model_uuid', TOPOLOGY.modelUuid],
      ['juju_application', 'postgresql-k8s'],
      ['juju_charm', 'postgresql-k8s'],
    ]);
    expect(rules.groups.at(-1)!.rules.map((rule) => rule.alert)).toEqual(HOST_HEALTH_GROUP.rules.map((rule) => rule.alert));
  });

  it('keep a label a rule already sets and drop the %%juju_topology%% placeholder', () => {
    const files: AlertRuleFile[] = [
      { file: 'x.yaml', groups: [{ name: 'g', rules: [{ alert: 'A', expr: 'up{%%juju_topology%%,job="x"} == 0', labels: { juju_model: 'pinned' } }] }] },
    ];
    const rules = labelledAlertRules(files, TOPOLOGY) as { groups: { rules: { expr: string; labels: Record<string, string> }[] }[] };
    expect(rules.groups[0]!.rules[0]!.expr).toBe('up{job="x"} == 0');
    expect(rules.groups[0]!.rules[0]!.labels['juju_model']).toBe('pinned');
  });
});

describe('dashboards', () => {
  it('get the Path40 uid and alternative uid the grafana_dashboard library computes (values from Python hashlib.shake_256)', () => {
    expect(dashboardPath40Uid('postgresql-k8s', 'src/grafana_dashboards/postgresql-metrics.json')).toBe('9b66464eccd44a7dc4923b37a2fe70aef996063a');
    expect(dashboardAltUid('postgresql-k8s', 'file:postgresql-metrics')).toBe('ab929a1a1704a644');
  });

  it('keep a Path40 uid and an existing charm tag, replace any other uid and add the tag', () => {
    const kept = prepareDashboard({ uid: 'a'.repeat(40), tags: ['charm: other'] }, 'postgresql-k8s', 'd.json');
    expect(kept).toMatchObject({ uid: 'a'.repeat(40), tags: ['charm: other'] });
    const replaced = prepareDashboard({ uid: 'short', tags: ['postgresql'] }, 'postgresql-k8s', 'postgresql-metrics.json');
    expect(replaced).toMatchObject({ uid: '9b66464eccd44a7dc4923b37a2fe70aef996063a', tags: ['postgresql', 'charm: postgresql-k8s'] });
  });

  it('travel as xz + base64 that decompresses to the prepared dashboard, one template per file', async () => {
    const assets = await buildCosAssets(REPO);
    expect(assets.dashboards.map((dashboard) => dashboard.key)).toEqual(['file:postgresql-metrics', 'file:postgresql-patroni-metrics', 'file:postgresql-pgbackrest-metrics']);
    for (const { key, content } of assets.dashboards) {
      const compressed = Buffer.from(content, 'base64');
      expect(compressed.subarray(0, 6)).toEqual(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])); // the xz magic
      const dashboard = JSON.parse(execFileSync('xz', ['-dc'], { input: compressed }).toString('utf8')) as { uid: string; tags: string[]; panels: unknown[] };
      expect(dashboard.uid).toMatch(/^[0-9a-f]{40}$/);
      expect(dashboard.tags).toContain('charm: postgresql-k8s');
      expect(dashboard.panels.length, key).toBeGreaterThan(0);
    }
    const templates = dashboardTemplates(assets.dashboards, 'postgresql-k8s', TOPOLOGY);
    expect(templates['file:postgresql-metrics']).toMatchObject({
      charm: 'postgresql-k8s',
      juju_topology: { model: 'pgm', model_uuid: TOPOLOGY.modelUuid, application: 'postgresql-k8s', unit: 'postgresql-k8s/0' },
      inject_dropdowns: true,
      dashboard_alt_uid: 'ab929a1a1704a644',
    });
  });

  it('compress with Python lzma.compress defaults: one xz stream with a CRC64 check', () => {
    const compressed = Buffer.from(lzmaBase64('{"a": 1}'), 'base64');
    // Stream flags after the magic: 0x00 then the check type, 0x04 = CRC64.
    expect([...compressed.subarray(6, 8)]).toEqual([0x00, 0x04]);
    expect(execFileSync('xz', ['-dc'], { input: compressed }).toString()).toBe('{"a": 1}');
  });
});
