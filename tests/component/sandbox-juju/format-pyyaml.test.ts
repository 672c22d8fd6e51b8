import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { formatYaml } from '../../../sandbox/juju/engine/format.ts';
import { buildModel, hook } from '../../unit/sandbox-juju/fixtures.ts';
import { TRICKY } from '../../unit/sandbox-juju/yaml-values.ts';

/**
 * The sandbox's `--format=yaml` output read back by PyYAML, which ops and the Python partner
 * charms parse hook-tool output with (Debian's python3-yaml, installed by
 * scripts/install-system-deps.sh).
 */

/** PyYAML's safe_load of each document, returned as JSON. */
function pyLoad(documents: string[]): unknown[] {
  const script = 'import json, sys, yaml\nprint(json.dumps([yaml.safe_load(d) for d in json.load(sys.stdin)]))';
  return JSON.parse(execFileSync('python3', ['-c', script], { input: JSON.stringify(documents), encoding: 'utf8' })) as unknown[];
}

describe('--format=yaml in PyYAML', () => {
  it('reads back to the same values', () => {
    const map = Object.fromEntries(TRICKY.map((v, i) => [`k${i}`, v]));
    const loaded = pyLoad([...TRICKY.map(formatYaml), formatYaml(map), formatYaml(TRICKY), formatYaml({ nested: { list: TRICKY } })]);
    expect(loaded).toEqual([...TRICKY, map, TRICKY, { nested: { list: TRICKY } }]);
  });

  it('reads a multi-line leader setting, relation value and config value from the tools', async () => {
    const { model, dbRelation } = buildModel();
    const value = "9:\n  database: ''\n  extra: |\n    x\n";
    model.applications['pg']!.leaderSettings = { members: value };
    model.relations.find((r) => r.id === dbRelation)!.appData['client'] = { data: value };
    model.applications['pg']!.config['synchronous_node_count'] = value;
    const { run } = hook(model, { unit: 'pg/0' });
    const outputs = await Promise.all([
      run('leader-get', ['--format=yaml', 'members']),
      run('relation-get', ['--format=yaml', '-r', String(dbRelation), '--app', 'data', 'client']),
      run('config-get', ['--format=yaml', 'synchronous_node_count']),
      run('leader-get', ['--format=yaml']),
    ]);
    expect(pyLoad(outputs.map((out) => out.stdout))).toEqual([value, value, value, { members: value }]);
  });
});
