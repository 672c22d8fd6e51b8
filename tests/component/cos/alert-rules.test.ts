/**
 * The alert rules against Debian's real Prometheus tooling: `promtool check rules` accepts every
 * file, and `promtool test rules` runs tests/alerts/*.yaml, where every rule has a case that
 * fires it and one that does not (checked here, so a new rule cannot go untested).
 */
import { execa } from 'execa';
import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

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
});
