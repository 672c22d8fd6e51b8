/**
 * The alert rules against Debian's real Prometheus tooling: `promtool check rules` accepts every
 * file, and `promtool test rules` runs tests/alerts/*.yaml, where every rule has a case that
 * fires it and one that does not (checked here, so a new rule cannot go untested).
 */
import { execa } from 'execa';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { HOST_HEALTH_GROUP } from '../../../src/cos/alert-rules.ts';

const REPO = new URL('../../../', import.meta.url).pathname;
const RULES_DIR = 'src/prometheus_alert_rules';
const TESTS_DIR = 'tests/alerts';

const yamlFiles = async (dir: string): Promise<string[]> => (await readdir(`${REPO}${dir}`)).filter((name) => name.endsWith('.yaml')).sort().map((name) => `${dir}/${name}`);

interface PromtoolTests {
  rule_files: string[];
  tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
}

describe('alert rules under promtool', () => {
  it('promtool check rules accepts every rules file', async () => {
    const files = await yamlFiles(RULES_DIR);
    expect(files).toHaveLength(4);
    const result = await execa('promtool', ['check', 'rules', ...files], { cwd: REPO, reject: false });
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(/SUCCESS: 4 rules found/); // patroni has 4
  });

  it('promtool test rules passes, with a firing and a silent case for every rule', async () => {
    const testFiles = await yamlFiles(TESTS_DIR);
    const result = await execa('promtool', ['test', 'rules', ...testFiles], { cwd: REPO, reject: false });
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);

    const fired = new Set<string>();
    const silent = new Set<string>();
    for (const file of testFiles) {
      const doc = parseYaml(await readFile(`${REPO}${file}`, 'utf8')) as PromtoolTests;
      for (const test of doc.tests) {
        for (const check of test.alert_rule_test ?? []) (check.exp_alerts?.length ? fired : silent).add(check.alertname);
      }
    }
    const rules: string[] = [];
    for (const file of await yamlFiles(RULES_DIR)) {
      const doc = parseYaml(await readFile(`${REPO}${file}`, 'utf8')) as { groups: { rules: { alert: string }[] }[] };
      rules.push(...doc.groups.flatMap((group) => group.rules.map((rule) => rule.alert)));
    }
    expect(rules).toHaveLength(33);
    expect(rules.filter((rule) => !fired.has(rule)), 'rules no test fires').toEqual([]);
    expect(rules.filter((rule) => !silent.has(rule)), 'rules no test keeps silent').toEqual([]);
  });

  // The rule that fires for a unit that stops answering altogether (a frozen or dead pod): its
  // exporters stop with it, so their series go stale rather than 0 and no pg_/patroni_ rule can
  // fire. tests/integration/cos sees it pending on a frozen primary; its 5 minutes run here.
  it('cosl\'s HostDown (published with our rules) is pending while a target is down, and fires after 5 minutes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hosthealth-'));
    try {
      await writeFile(join(dir, 'rules.yaml'), toYaml({ groups: [HOST_HEALTH_GROUP] }));
      const instance = 'cos_0123_postgresql-k8s_postgresql-k8s/0';
      const alert = { severity: 'critical', instance, job: 'exporter', juju_application: 'postgresql-k8s', juju_model: 'cos', juju_unit: 'postgresql-k8s/0' };
      // The rule's templates, expanded for that series.
      const rule = HOST_HEALTH_GROUP.rules.find((r) => r.alert === 'HostDown')!;
      const expand = (text: string) => text.replaceAll('{{ $labels.instance }}', instance).replaceAll('{{ $labels.juju_application }}', 'postgresql-k8s').replaceAll('{{ $labels.juju_model }}', 'cos');
      const annotations = Object.fromEntries(Object.entries(rule.annotations ?? {}).map(([key, text]) => [key, expand(text)]));
      const tests = {
        rule_files: ['rules.yaml'],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: [{ series: `up{instance="${instance}", job="exporter", juju_application="postgresql-k8s", juju_model="cos", juju_unit="postgresql-k8s/0"}`, values: '1 1 0 0 0 0 0 0 0 1 1' }],
            alert_rule_test: [
              { eval_time: '1m', alertname: 'HostDown', exp_alerts: [] },
              // down since 2m: pending (not listed by promtool) until 5 minutes have passed
              { eval_time: '6m', alertname: 'HostDown', exp_alerts: [] },
              { eval_time: '7m', alertname: 'HostDown', exp_alerts: [{ exp_labels: alert, exp_annotations: annotations }] },
              // back up at 9m: cleared
              { eval_time: '10m', alertname: 'HostDown', exp_alerts: [] },
            ],
          },
        ],
      };
      await writeFile(join(dir, 'test.yaml'), toYaml(tests));
      const result = await execa('promtool', ['test', 'rules', 'test.yaml'], { cwd: dir, reject: false });
      expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
