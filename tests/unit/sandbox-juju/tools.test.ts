import { describe, expect, it } from 'vitest';
import type { HookEnv } from '../../../sandbox/juju/engine/index.ts';
import { charmMetaFromYaml } from '../../../sandbox/juju/charm-meta.ts';
import { addApplication, addRelation } from '../../../sandbox/juju/model.ts';
import { buildModel, CLIENT_METADATA, hook } from './fixtures.ts';

/**
 * One row per hook-tool behaviour Juju pins down (docs/hook-tools.md; Juju's
 * `internal/worker/uniter/runner/jujuc/`): what a tool prints, its exit code, and the stderr text
 * clients key on. Each row runs in a fresh model.
 */

interface Row {
  name: string;
  env?: Partial<HookEnv>;
  tool: string;
  args: string[];
  stdin?: string;
  exitCode: number;
  stdout?: string;
  json?: unknown;
  stderr?: string;
}

const rows: Row[] = [
  // config-get
  { name: 'config-get prints set and defaulted options', tool: 'config-get', args: ['--format=json'], exitCode: 0, json: { cpu_wal_compression: true, durability_wal_keep_size: 4096, synchronous_node_count: 'all' } },
  {
    name: 'config-get --all adds unset options as null',
    tool: 'config-get',
    args: ['--all', '--format', 'json'],
    exitCode: 0,
    json: { admin_secret: null, cpu_wal_compression: true, durability_wal_keep_size: 4096, memory_shared_buffers: null, synchronous_node_count: 'all' },
  },
  { name: 'config-get of one key', tool: 'config-get', args: ['--format=json', 'durability_wal_keep_size'], exitCode: 0, stdout: '4096\n' },
  { name: 'config-get of a missing key prints null', tool: 'config-get', args: ['--format=json', 'nope'], exitCode: 0, stdout: 'null\n' },
  { name: 'smart format prints strings raw', tool: 'config-get', args: ['synchronous_node_count'], exitCode: 0, stdout: 'all\n' },
  { name: 'smart format prints booleans as True/False', tool: 'config-get', args: ['cpu_wal_compression'], exitCode: 0, stdout: 'True\n' },
  { name: 'smart format prints nothing for null', tool: 'config-get', args: ['nope'], exitCode: 0, stdout: '' },
  { name: 'yaml format', tool: 'config-get', args: ['--format=yaml', 'synchronous_node_count'], exitCode: 0, stdout: 'all\n' },
  { name: '--all with a key is an argument error', tool: 'config-get', args: ['-a', 'x'], exitCode: 2, stderr: 'ERROR cannot use argument --all together with key "x"\n' },
  { name: 'unknown format', tool: 'config-get', args: ['--format=xml'], exitCode: 2, stderr: 'ERROR invalid value "xml" for flag --format: unknown format "xml"\n' },
  { name: 'flag without its value', tool: 'config-get', args: ['--format'], exitCode: 2, stderr: 'ERROR flag needs an argument: --format\n' },
  { name: 'undefined flag', tool: 'config-get', args: ['--bogus'], exitCode: 2, stderr: 'ERROR flag provided but not defined: --bogus\n' },
  { name: 'undefined short flag', tool: 'config-get', args: ['-z'], exitCode: 2, stderr: 'ERROR flag provided but not defined: -z\n' },
  { name: 'extra positionals', tool: 'config-get', args: ['a', 'b', 'c'], exitCode: 2, stderr: 'ERROR unrecognized args: ["b" "c"]\n' },
  { name: '--help prints usage', tool: 'config-get', args: ['--help'], exitCode: 0, stdout: 'Usage: config-get [flags] ...\n' },
  // is-leader
  { name: 'is-leader on the leader', tool: 'is-leader', args: ['--format=json'], exitCode: 0, stdout: 'true\n' },
  { name: 'is-leader on a follower', env: { unit: 'pg/1' }, tool: 'is-leader', args: [], exitCode: 0, stdout: 'False\n' },
  // status
  { name: 'status-get prints the status name', tool: 'status-get', args: [], exitCode: 0, stdout: 'waiting\n' },
  { name: 'status-get --include-data', tool: 'status-get', args: ['--include-data', '--format=json', '--application=false'], exitCode: 0, json: { message: 'installing agent', status: 'waiting', 'status-data': {} } },
  { name: 'status-get --application needs leadership', env: { unit: 'pg/2' }, tool: 'status-get', args: ['--application=true'], exitCode: 1, stderr: 'this unit is not the leader' },
  { name: 'status-set rejects unknown statuses', tool: 'status-set', args: ['error', 'x'], exitCode: 2, stderr: 'ERROR invalid status "error", expected one of [maintenance blocked waiting active]\n' },
  { name: 'status-set needs a status', tool: 'status-set', args: [], exitCode: 2, stderr: 'ERROR invalid args, require <status> [message]\n' },
  { name: 'status-set --application needs leadership', env: { unit: 'pg/1' }, tool: 'status-set', args: ['--application=True', 'active', '--', 'x'], exitCode: 1, stderr: 'ERROR this unit is not the leader\n' },
  { name: 'Go bool syntax is enforced', tool: 'status-set', args: ['--application=yes', 'active'], exitCode: 2, stderr: 'ERROR invalid boolean value "yes" for --application' },
  // juju-log, version
  { name: 'juju-log needs a message', tool: 'juju-log', args: [], exitCode: 2, stderr: 'ERROR no message specified\n' },
  { name: 'application-version-set needs a version', tool: 'application-version-set', args: [], exitCode: 2, stderr: 'ERROR no version specified\n' },
  // network
  { name: 'network-get --ingress-address', tool: 'network-get', args: ['database', '--ingress-address'], exitCode: 0, stdout: '10.0.0.1\n' },
  {
    name: 'network-get prints the binding',
    tool: 'network-get',
    args: ['--format=json', 'database'],
    exitCode: 0,
    json: {
      'bind-addresses': [{ 'mac-address': '', 'interface-name': 'eth0', addresses: [{ hostname: '', value: '10.0.0.1', cidr: '10.0.0.1/32' }] }],
      'egress-subnets': ['10.0.0.1/32'],
      'ingress-addresses': ['10.0.0.1'],
    },
  },
  { name: 'network-get of an unknown binding', tool: 'network-get', args: ['nope'], exitCode: 1, stderr: 'ERROR no network config found for binding "nope"\n' },
  { name: 'open-port rejects out-of-range ports', tool: 'open-port', args: ['99999/tcp'], exitCode: 2, stderr: 'ERROR port range bounds must be between 0 and 65535, got 99999-99999\n' },
  { name: 'open-port rejects a bad protocol', tool: 'open-port', args: ['80/sctp'], exitCode: 2, stderr: 'ERROR invalid protocol "sctp", expected "tcp", "udp", or "icmp"\n' },
  { name: 'open-port rejects a non-number', tool: 'open-port', args: ['http'], exitCode: 2, stderr: 'ERROR invalid port "http": strconv.Atoi: parsing "http": invalid syntax\n' },
  { name: 'open-port rejects a reversed range', tool: 'open-port', args: ['90-80/udp'], exitCode: 2, stderr: 'ERROR invalid port range 90-80/udp\n' },
  { name: 'open-port needs a port', tool: 'open-port', args: [], exitCode: 2, stderr: 'ERROR no port or range specified\n' },
  // storage
  { name: 'storage-list', tool: 'storage-list', args: ['--format=json', 'pgdata'], exitCode: 0, json: ['pgdata/0'] },
  { name: 'storage-get -s', tool: 'storage-get', args: ['--format=json', '-s', 'pgdata/0'], exitCode: 0, json: { kind: 'filesystem', location: '/var/lib/juju/storage/pgdata/0' } },
  { name: 'storage-get of one attribute', tool: 'storage-get', args: ['-s', 'pgdata/0', 'location'], exitCode: 0, stdout: '/var/lib/juju/storage/pgdata/0\n' },
  { name: 'storage-get defaults to the hook storage', env: { storageId: 'pgdata/0', hookName: 'pgdata-storage-attached' }, tool: 'storage-get', args: ['kind'], exitCode: 0, stdout: 'filesystem\n' },
  { name: 'storage-get without a storage', tool: 'storage-get', args: [], exitCode: 2, stderr: 'ERROR no storage instance specified\n' },
  { name: 'storage-get of another unit’s storage', tool: 'storage-get', args: ['-s', 'pgdata/1'], exitCode: 2, stderr: 'ERROR invalid value "pgdata/1" for flag -s: storage "pgdata/1" not found\n' },
  { name: 'storage-get of a bad attribute', tool: 'storage-get', args: ['-s', 'pgdata/0', 'size'], exitCode: 1, stderr: 'ERROR invalid storage attribute "size"\n' },
  // state
  { name: 'state-get of an empty state prints null', tool: 'state-get', args: ['--format=json'], exitCode: 0, stdout: 'null\n' },
  { name: 'state-get --strict of a missing key', tool: 'state-get', args: ['--strict', 'k'], exitCode: 1, stderr: 'ERROR "k" not found\n' },
  { name: 'state-set rejects long keys', tool: 'state-set', args: [`${'k'.repeat(257)}=v`], exitCode: 1, stderr: 'max allowed key length (256) exceeded' },
  // misc
  { name: 'credential-get on k8s', tool: 'credential-get', args: ['--format=json'], exitCode: 1, stderr: 'ERROR credential-get on a "caas" model not supported\n' },
  { name: 'resource-get with no resource', tool: 'resource-get', args: ['postgresql-image'], exitCode: 1, stderr: 'not found' },
  { name: 'an unknown tool', tool: 'payload-register', args: [], exitCode: 1, stderr: 'ERROR bad request: unknown command: payload-register\n' },
  { name: 'action tools outside an action', tool: 'action-get', args: [], exitCode: 1, stderr: 'ERROR not running an action\n' },
  { name: 'leader-set on a follower', env: { unit: 'pg/1' }, tool: 'leader-set', args: ['a=b'], exitCode: 1, stderr: 'not the leader' },
  { name: 'leader-get rejects keys with =', tool: 'leader-get', args: ['a=b'], exitCode: 2, stderr: 'ERROR invalid key "a=b"\n' },
  {
    name: 'goal-state',
    tool: 'goal-state',
    args: ['--format=json'],
    exitCode: 0,
    json: {
      // Each unit's workload status and since (a new unit is waiting), the relation's status.
      units: Object.fromEntries(['pg/0', 'pg/1', 'pg/2'].map((u) => [u, { status: 'waiting', since: '2026-01-01 00:00:00Z' }])),
      relations: {
        database: {
          client: { status: 'joined', since: '2026-01-01 00:00:00Z' },
          'client/0': { status: 'waiting', since: '2026-01-01 00:00:00Z' },
          'client/1': { status: 'waiting', since: '2026-01-01 00:00:00Z' },
        },
      },
    },
  },
];

describe('hook tools answer as Juju does (docs/hook-tools.md)', () => {
  it.each(rows)('$name', async (row) => {
    const { model } = buildModel();
    const { run } = hook(model, { unit: 'pg/0', ...row.env });
    const result = await run(row.tool, row.args, row.stdin);
    expect(result.exitCode).toBe(row.exitCode);
    if (row.stdout !== undefined) expect(result.stdout).toBe(row.stdout);
    if (row.json !== undefined) {
      expect(result.stdout.endsWith('\n')).toBe(true);
      expect(JSON.parse(result.stdout)).toEqual(row.json);
    }
    if (row.stderr !== undefined) expect(result.stderr).toContain(row.stderr);
    if (row.exitCode === 0) expect(result.stderr).toBe('');
    else expect(result.stderr.startsWith('ERROR ')).toBe(true);
  });
});

describe('immediate tools', () => {
  it('status-set changes the model at once and survives a discard', async () => {
    const { model } = buildModel();
    const { ctx, run, json } = hook(model, { unit: 'pg/0' });
    expect((await run('status-set', ['--application=False', 'blocked', '--', '-odd message'])).exitCode).toBe(0);
    expect((await run('status-set', ['--application=True', 'active', 'ready'])).exitCode).toBe(0);
    expect(await json('status-get', ['--include-data'])).toEqual({ status: 'blocked', message: '-odd message', 'status-data': {} });
    ctx.discard();
    expect(model.units['pg/0']!.workloadStatus).toMatchObject({ status: 'blocked', message: '-odd message', since: '2026-01-02T03:04:05.000Z' });
    expect(model.applications['pg']!.status).toMatchObject({ status: 'active', message: 'ready' });
  });

  it('juju-log records the level and prefixes the hook relation', async () => {
    const { model, dbRelation } = buildModel();
    const { ctx, run } = hook(model, { unit: 'pg/0', hookName: 'database-relation-joined', relationId: dbRelation, remoteUnit: 'client/0', remoteApp: 'client' });
    await run('juju-log', ['--log-level', 'WARNING', '--', 'disk', 'almost', 'full']);
    await run('juju-log', ['-l', 'NOPE', 'x']);
    expect(ctx.logs.map((l) => [l.level, l.message])).toEqual([
      ['WARNING', `database:${dbRelation}: disk almost full`],
      ['WARNING', 'Specified log level of "NOPE" is not valid'],
      ['INFO', `database:${dbRelation}: x`],
    ]);
  });

  it('application-version-set and leader-set write through, leader-set tells the other units', async () => {
    const { model } = buildModel();
    const { ctx, run, json } = hook(model, { unit: 'pg/0' });
    expect((await run('application-version-set', ['--', '16.4'])).exitCode).toBe(0);
    expect((await run('leader-set', ['primary=pg/0', 'gone='])).exitCode).toBe(0);
    expect(await json('leader-get', ['primary'])).toBe('pg/0');
    const report = ctx.discard();
    expect(model.units['pg/0']!.workloadVersion).toBe('16.4');
    expect(model.applications['pg']!.leaderSettings).toEqual({ primary: 'pg/0' });
    expect(report.events.map((e) => [e.hook, e.unit])).toEqual([
      ['leader-settings-changed', 'pg/1'],
      ['leader-settings-changed', 'pg/2'],
    ]);
  });
});

describe('transactional unit tools', () => {
  it('open-port is invisible to opened-ports until commit', async () => {
    const { model } = buildModel();
    const first = hook(model, { unit: 'pg/0' });
    await first.run('open-port', ['5432/tcp']);
    await first.run('open-port', ['--endpoints', 'database', '8008-8010/udp']);
    await first.run('open-port', ['icmp']);
    expect(await first.json('opened-ports')).toEqual([]);
    first.ctx.commit();
    const second = hook(model, { unit: 'pg/0' });
    // Juju sorts by protocol, then by port.
    expect(await second.json('opened-ports')).toEqual(['icmp', '5432/tcp', '8008-8010/udp']);
    expect(await second.json('opened-ports', ['--endpoints'])).toEqual(['icmp (*)', '5432/tcp (*)', '8008-8010/udp (database)']);
    await second.run('close-port', ['5432']);
    second.ctx.discard();
    expect(model.units['pg/0']!.openedPorts).toHaveLength(3);
  });

  it('state-set reads back pending values and commits or discards them', async () => {
    const { model } = buildModel();
    const first = hook(model, { unit: 'pg/0' });
    expect((await first.run('state-set', ['--file', '-', 'b=from-arg'], 'a: "1"\nb: from-file\nn: 7\n')).exitCode).toBe(0);
    expect(await first.json('state-get')).toEqual({ a: '1', b: 'from-arg', n: '7' });
    expect((await first.run('state-get', ['b'])).stdout).toBe('from-arg\n');
    expect(await first.json('state-get', ['missing'])).toBeNull();
    first.ctx.discard();
    expect(model.units['pg/0']!.state).toEqual({});

    const second = hook(model, { unit: 'pg/0' });
    // A caller that gives no stdin gets an empty one, as a closed pipe would be.
    expect(await second.run('state-set', ['--file', '-'])).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    await second.run('state-set', ['a=1', 'empty=']);
    second.ctx.commit();
    expect(model.units['pg/0']!.state).toEqual({ a: '1', empty: '' });

    const third = hook(model, { unit: 'pg/0' });
    await third.run('state-delete', ['a']);
    await third.run('state-delete', ['never-there']);
    expect(await third.json('state-get')).toEqual({ empty: '' });
    third.ctx.commit();
    expect(model.units['pg/0']!.state).toEqual({ empty: '' });
  });

  it('storage-add attaches new instances on commit', async () => {
    const { model } = buildModel();
    const { ctx, run } = hook(model, { unit: 'pg/1' });
    expect((await run('storage-add', ['pgdata=2'])).exitCode).toBe(0);
    expect((await run('storage-add', ['nope'])).exitCode).toBe(1);
    expect(model.units['pg/1']!.storage).toHaveLength(1);
    const { events } = ctx.commit();
    expect(model.units['pg/1']!.storage.map((s) => s.id)).toEqual(['pgdata/1', 'pgdata/3', 'pgdata/4']);
    expect(events).toEqual([
      { kind: 'storage-attached', hook: 'pgdata-storage-attached', unit: 'pg/1', storageId: 'pgdata/3' },
      { kind: 'storage-attached', hook: 'pgdata-storage-attached', unit: 'pg/1', storageId: 'pgdata/4' },
    ]);
  });

  it('a finished context refuses further tool calls', async () => {
    const { model } = buildModel();
    const { ctx, run } = hook(model, { unit: 'pg/0' });
    ctx.commit();
    const result = await run('is-leader');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('is finished');
    expect(() => ctx.commit()).toThrow(/already finished/);
  });
});

describe('goal-state follows the model', () => {
  it("shows a unit's status-set status and since, and a relation nobody joined yet as joining", async () => {
    const { model } = buildModel();
    addApplication(model, { name: 'client2', charm: charmMetaFromYaml({ metadata: CLIENT_METADATA }) }, new Date('2026-01-03T00:00:00Z'));
    addRelation(model, 'pg:database', 'client2:database', new Date('2026-01-03T00:00:00Z'));
    const { run, ctx } = hook(model, { unit: 'pg/1' });
    expect((await run('status-set', ['active', 'ready'])).exitCode).toBe(0);
    ctx.commit();
    const goal = (await hook(model, { unit: 'pg/0' }).json('goal-state')) as { units: Record<string, unknown>; relations: Record<string, Record<string, unknown>> };
    expect(goal.units['pg/1']).toEqual({ status: 'active', since: '2026-01-02 03:04:05Z' });
    expect(goal.relations['database']!['client2']).toEqual({ status: 'joining', since: '2026-01-03 00:00:00Z' });
  });
});
