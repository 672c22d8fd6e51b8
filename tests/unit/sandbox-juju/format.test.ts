import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { formatYaml } from '../../../sandbox/juju/engine/format.ts';
import { buildModel, hook } from './fixtures.ts';
import { TRICKY } from './yaml-values.ts';

/**
 * `--format=yaml` output must read back as the value it printed, in the `yaml` package here and in
 * PyYAML (what ops and charm tests use; tests/component/sandbox-juju/format-pyyaml.test.ts), and look like goyaml's where that decides how it parses:
 * a multi-line string is a block scalar indented under its header, also at the document root.
 */


describe('formatYaml', () => {
  it('indents a multi-line string at the document root as goyaml does', () => {
    expect(formatYaml('a\nb')).toBe('|-\n  a\n  b\n');
    expect(formatYaml("9:\n  database: ''\n")).toBe("|\n  9:\n    database: ''\n");
    expect(formatYaml('  lead\nx')).toBe('|2-\n    lead\n  x\n');
    expect(formatYaml({ k: 'a\nb', list: ['x', 'y\nz'] })).toBe('k: |-\n  a\n  b\nlist:\n- x\n- |-\n  y\n  z\n');
  });

  it('quotes like goyaml: double for what would read as another type, single where plain cannot be', () => {
    expect(formatYaml('true')).toBe('"true"\n');
    expect(formatYaml('y')).toBe('"y"\n');
    expect(formatYaml('123')).toBe('"123"\n');
    expect(formatYaml('')).toBe('""\n');
    expect(formatYaml(' lead')).toBe("' lead'\n");
    expect(formatYaml('a: b')).toBe("'a: b'\n");
    expect(formatYaml('plain')).toBe('plain\n');
    expect(formatYaml({ 'true': 'x' })).toBe('"true": x\n');
  });

  it('reads back to the same values in the yaml package', () => {
    for (const value of TRICKY) expect(parseYaml(formatYaml(value)), JSON.stringify(value)).toBe(value);
    const map = Object.fromEntries(TRICKY.map((v, i) => [`k${i}`, v]));
    expect(parseYaml(formatYaml(map))).toEqual(map);
    expect(parseYaml(formatYaml(TRICKY))).toEqual(TRICKY);
  });
});

describe('--format=yaml through the tools', () => {
  it('prints a multi-line leader setting, relation value and config value that read back', async () => {
    const { model, dbRelation } = buildModel();
    const value = "9:\n  database: ''\n  extra: |\n    x\n";
    model.applications['pg']!.leaderSettings = { members: value };
    model.relations.find((r) => r.id === dbRelation)!.appData['client'] = { data: value };
    model.applications['pg']!.config['synchronous_node_count'] = value;
    const { run } = hook(model, { unit: 'pg/0' });
    const leader = await run('leader-get', ['--format=yaml', 'members']);
    expect(leader.stdout).toBe("|\n  9:\n    database: ''\n    extra: |\n      x\n");
    const relation = await run('relation-get', ['--format=yaml', '-r', String(dbRelation), '--app', 'data', 'client']);
    const config = await run('config-get', ['--format=yaml', 'synchronous_node_count']);
    const all = await run('leader-get', ['--format=yaml']);
    for (const out of [leader.stdout, relation.stdout, config.stdout]) expect(parseYaml(out)).toBe(value);
    expect(parseYaml(all.stdout)).toEqual({ members: value });
  });
});
