import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { formatYaml } from '../../../sandbox/juju/engine/format.ts';
import { buildModel, hook } from './fixtures.ts';

/**
 * `--format=yaml` output must read back as the value it printed, in PyYAML (what ops and charm
 * tests use) and in the `yaml` package, and look like goyaml's where that decides how it parses:
 * a multi-line string is a block scalar indented under its header, also at the document root.
 */

const TRICKY: string[] = [
  'line one\nline two',
  "9:\n  database: ''\n",
  '  leading spaces\nnext',
  '\nstarts with a newline',
  'key: value\nother: thing',
  'ends with a newline\n',
  '',
  'héllo\nwörld ✓ 数据库',
  'space before break \nnext',
  'tab\tinside\nnext',
  '- looks like a list\n- item',
  '# looks like a comment\nx',
  'true',
  '123',
  '1_000',
  'y',
  ' lead',
  'a: b',
  "it's",
  '2001-12-14',
  'null',
  '"quoted"',
];

function hasPyYaml(): boolean {
  try {
    execFileSync('python3', ['-c', 'import yaml'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** PyYAML's safe_load of each document, returned as JSON. */
function pyLoad(documents: string[]): unknown[] {
  const script = 'import json, sys, yaml\nprint(json.dumps([yaml.safe_load(d) for d in json.load(sys.stdin)]))';
  return JSON.parse(execFileSync('python3', ['-c', script], { input: JSON.stringify(documents), encoding: 'utf8' })) as unknown[];
}

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

  it.skipIf(!hasPyYaml())('reads back to the same values in PyYAML', () => {
    const map = Object.fromEntries(TRICKY.map((v, i) => [`k${i}`, v]));
    const loaded = pyLoad([...TRICKY.map(formatYaml), formatYaml(map), formatYaml(TRICKY), formatYaml({ nested: { list: TRICKY } })]);
    expect(loaded).toEqual([...TRICKY, map, TRICKY, { nested: { list: TRICKY } }]);
  });
});

describe('--format=yaml through the tools', () => {
  it('prints a multi-line leader setting, relation value and config value that PyYAML reads back', async () => {
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
    if (hasPyYaml()) expect(pyLoad([leader.stdout, relation.stdout, config.stdout, all.stdout])).toEqual([value, value, value, { members: value }]);
  });
});
