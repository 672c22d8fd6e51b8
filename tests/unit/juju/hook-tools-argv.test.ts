import { describe, expect, it } from 'vitest';
import { HookTools } from '../../../src/juju/hook-tools.ts';
import { fail, jsonOut, ok, RecordingToolRunner, type Responder } from './recording-tool-runner.ts';

const db = { endpoint: 'database', id: 5 };

function tools(tool: string, responder: Responder) {
  const runner = new RecordingToolRunner().respond(tool, responder);
  return { runner, hookTools: new HookTools(runner, { unitName: 'postgresql-k8s/0', modelUuid: 'cdac5656-2423-4388-8f30-41854b4cca7d' }) };
}

interface Case {
  name: string;
  tool: string;
  output: Responder;
  call: (t: HookTools) => Promise<unknown>;
  args: string[];
  stdin?: string;
  result?: unknown;
}

/** Each method: the exact argv ops uses (docs/hook-tools.md), stdin, and the parsed result. */
const cases: Case[] = [
  { name: 'config-get', tool: 'config-get', output: jsonOut({ profile: 'production', 'plugin-audit-enable': true, 'durability-synchronous-commit': 'on', 'memory-max': 4 }), call: (t) => t.configGet(), args: ['--format=json'], result: { profile: 'production', 'plugin-audit-enable': true, 'durability-synchronous-commit': 'on', 'memory-max': 4 } },
  { name: 'relation-ids', tool: 'relation-ids', output: jsonOut(['database:5', 'database:12']), call: (t) => t.relationIds('database'), args: ['database', '--format=json'], result: [db, { endpoint: 'database', id: 12 }] },
  { name: 'relation-ids (none)', tool: 'relation-ids', output: jsonOut([]), call: (t) => t.relationIds('s3-parameters'), args: ['s3-parameters', '--format=json'], result: [] },
  { name: 'relation-list', tool: 'relation-list', output: jsonOut(['pgbouncer-k8s/0', 'pgbouncer-k8s/1']), call: (t) => t.relationList(db), args: ['--format=json', '-r', 'database:5'], result: ['pgbouncer-k8s/0', 'pgbouncer-k8s/1'] },
  { name: 'relation-list (nil slice prints null)', tool: 'relation-list', output: jsonOut(null), call: (t) => t.relationList(db), args: ['--format=json', '-r', 'database:5'], result: [] },
  { name: 'relation-list --app', tool: 'relation-list', output: jsonOut('pgbouncer-k8s'), call: (t) => t.relationRemoteApp(db), args: ['--format=json', '--app', '-r', 'database:5'], result: 'pgbouncer-k8s' },
  { name: 'relation-get unit bucket', tool: 'relation-get', output: jsonOut({ 'egress-subnets': '10.1.0.0/32', 'ingress-address': '10.1.0.7' }), call: (t) => t.relationGet(db, { unit: 'pgbouncer-k8s/0' }), args: ['--format=json', '-r', 'database:5', '-', 'pgbouncer-k8s/0'], result: { 'egress-subnets': '10.1.0.0/32', 'ingress-address': '10.1.0.7' } },
  { name: 'relation-get app bucket', tool: 'relation-get', output: jsonOut({ database: 'app_db' }), call: (t) => t.relationGet(db, { app: 'pgbouncer-k8s' }), args: ['--format=json', '-r', 'database:5', '--app', '-', 'pgbouncer-k8s'], result: { database: 'app_db' } },
  { name: 'relation-get empty bucket', tool: 'relation-get', output: jsonOut({}), call: (t) => t.relationGet(db, { app: 'pgbouncer-k8s' }), args: ['--format=json', '-r', 'database:5', '--app', '-', 'pgbouncer-k8s'], result: {} },
  { name: 'relation-set unit', tool: 'relation-set', output: ok(), call: (t) => t.relationSet(db, { endpoints: 'pg-primary:5432', removed: '' }), args: ['-r', 'database:5', '--file', '-'], stdin: '{"endpoints":"pg-primary:5432","removed":""}' },
  { name: 'relation-set app', tool: 'relation-set', output: ok(), call: (t) => t.relationSet(db, { password: 'p4ss' }, { app: true }), args: ['-r', 'database:5', '--app', '--file', '-'], stdin: '{"password":"p4ss"}' },
  { name: 'is-leader', tool: 'is-leader', output: jsonOut(true), call: (t) => t.isLeader(), args: ['--format=json'], result: true },
  { name: 'status-get unit', tool: 'status-get', output: jsonOut({ message: 'Primary', status: 'active', 'status-data': {} }), call: (t) => t.statusGet(), args: ['--include-data', '--format=json', '--application=false'], result: { status: 'active', message: 'Primary', data: {} } },
  {
    name: 'status-get application (units nested in application-status)',
    tool: 'status-get',
    output: jsonOut({ 'application-status': { message: '', status: 'waiting', 'status-data': {}, units: { 'postgresql-k8s/0': { message: 'Primary', status: 'active', 'status-data': { a: 1 } } } } }),
    call: (t) => t.statusGet({ application: true }),
    args: ['--include-data', '--format=json', '--application=true'],
    result: { status: 'waiting', message: '', data: {}, units: { 'postgresql-k8s/0': { status: 'active', message: 'Primary', data: { a: 1 } } } },
  },
  { name: 'status-set unit', tool: 'status-set', output: ok(), call: (t) => t.statusSet('maintenance', '-starting'), args: ['--application=False', 'maintenance', '--', '-starting'] },
  { name: 'status-set app, no message', tool: 'status-set', output: ok(), call: (t) => t.statusSet('active', undefined, { application: true }), args: ['--application=True', 'active', '--', ''] },
  { name: 'application-version-set', tool: 'application-version-set', output: ok(), call: (t) => t.applicationVersionSet('14.15'), args: ['--', '14.15'] },
  { name: 'action-get', tool: 'action-get', output: jsonOut({ username: 'operator', nested: { a: { b: 1 } } }), call: (t) => t.actionGet(), args: ['--format=json'], result: { username: 'operator', nested: { a: { b: 1 } } } },
  { name: 'action-set (flattened)', tool: 'action-set', output: ok(), call: (t) => t.actionSet({ password: 's3cr=t', backup: { id: '2024-01-01T00:00:00Z', size: 10, done: true } }), args: ['password=s3cr=t', 'backup.id=2024-01-01T00:00:00Z', 'backup.size=10', 'backup.done=true'] },
  { name: 'action-log', tool: 'action-log', output: ok(), call: (t) => t.actionLog('-50% done'), args: ['--', '-50% done'] },
  { name: 'action-fail', tool: 'action-fail', output: ok(), call: (t) => t.actionFail('Switchover failed'), args: ['--', 'Switchover failed'] },
  { name: 'action-fail, no message', tool: 'action-fail', output: ok(), call: (t) => t.actionFail(), args: ['--', ''] },
  { name: 'juju-log', tool: 'juju-log', output: ok(), call: (t) => t.jujuLog('WARNING', 'disk almost full'), args: ['--log-level', 'WARNING', '--', 'disk almost full'] },
  {
    name: 'network-get',
    tool: 'network-get',
    output: jsonOut({ 'bind-addresses': [{ 'mac-address': '', 'interface-name': 'eth0', addresses: [{ hostname: '', value: '10.1.0.7', cidr: '10.1.0.0/24' }, { address: '10.1.0.8', cidr: '' }] }], 'egress-subnets': ['10.1.0.7/32'], 'ingress-addresses': ['10.1.0.7'] }),
    call: (t) => t.networkGet('database', 5),
    args: ['--format=json', '-r', '5', 'database'],
    result: { bindAddresses: [{ interfaceName: 'eth0', addresses: [{ value: '10.1.0.7', cidr: '10.1.0.0/24' }, { value: '10.1.0.8' }] }], egressSubnets: ['10.1.0.7/32'], ingressAddresses: ['10.1.0.7'] },
  },
  { name: 'network-get without relation', tool: 'network-get', output: jsonOut({}), call: (t) => t.networkGet('database-peers'), args: ['--format=json', 'database-peers'], result: { bindAddresses: [], egressSubnets: [], ingressAddresses: [] } },
  { name: 'open-port', tool: 'open-port', output: ok(), call: (t) => t.openPort({ protocol: 'tcp', port: 5432 }), args: ['5432/tcp'] },
  { name: 'open-port range on endpoints', tool: 'open-port', output: ok(), call: (t) => t.openPort({ protocol: 'udp', port: 8000, toPort: 8999, endpoints: ['database', 'db'] }), args: ['--endpoints', 'database,db', '8000-8999/udp'] },
  { name: 'close-port icmp', tool: 'close-port', output: ok(), call: (t) => t.closePort({ protocol: 'icmp' }), args: ['icmp'] },
  { name: 'opened-ports', tool: 'opened-ports', output: jsonOut(['5432/tcp', '8000-8999/udp', 'icmp', 'weird']), call: (t) => t.openedPorts(), args: ['--format=json'], result: [{ protocol: 'tcp', port: 5432 }, { protocol: 'udp', port: 8000, toPort: 8999 }, { protocol: 'icmp' }] },
  { name: 'state-get', tool: 'state-get', output: jsonOut({ 'last-backup': '2024' }), call: (t) => t.stateGet(), args: ['--format=json'], result: { 'last-backup': '2024' } },
  { name: 'state-get (Juju 4 null)', tool: 'state-get', output: jsonOut(null), call: (t) => t.stateGet(), args: ['--format=json'], result: {} },
  { name: 'state-get key', tool: 'state-get', output: jsonOut('2024'), call: (t) => t.stateGetKey('last-backup'), args: ['--format=json', 'last-backup'], result: '2024' },
  { name: 'state-get missing key', tool: 'state-get', output: jsonOut(null), call: (t) => t.stateGetKey('nope'), args: ['--format=json', 'nope'], result: undefined },
  { name: 'state-set', tool: 'state-set', output: ok(), call: (t) => t.stateSet({ 'last-backup': '2025' }), args: ['--file', '-'], stdin: '{"last-backup":"2025"}' },
  { name: 'state-delete', tool: 'state-delete', output: ok(), call: (t) => t.stateDelete('last-backup'), args: ['last-backup'] },
  { name: 'storage-get', tool: 'storage-get', output: jsonOut({ kind: 'filesystem', location: '/var/lib/juju/storage/pgdata/0' }), call: (t) => t.storageGet('pgdata', 0), args: ['--format=json', '-s', 'pgdata/0'], result: { kind: 'filesystem', location: '/var/lib/juju/storage/pgdata/0' } },
  { name: 'storage-list', tool: 'storage-list', output: jsonOut(['pgdata/0', 'pgdata/1']), call: (t) => t.storageList('pgdata'), args: ['--format=json', 'pgdata'], result: [{ name: 'pgdata', index: 0 }, { name: 'pgdata', index: 1 }] },
  { name: 'storage-list all', tool: 'storage-list', output: jsonOut([]), call: (t) => t.storageList(), args: ['--format=json'], result: [] },
  {
    name: 'goal-state',
    tool: 'goal-state',
    output: jsonOut({ units: { 'postgresql-k8s/0': { status: 'active', since: '2024-01-01 00:00:00Z' }, 'postgresql-k8s/1': { status: 'dying', since: null } }, relations: { database: { 'pgbouncer-k8s': { status: 'joined', since: '2024' } } } }),
    call: (t) => t.goalState(),
    args: ['--format=json'],
    result: { units: { 'postgresql-k8s/0': { status: 'active', since: '2024-01-01 00:00:00Z' }, 'postgresql-k8s/1': { status: 'dying' } }, relations: { database: { 'pgbouncer-k8s': { status: 'joined', since: '2024' } } } },
  },
];

describe('HookTools: argv, stdin and output of every tool', () => {
  it.each(cases)('$name', async ({ tool, output, call, args, stdin, result }) => {
    const { runner, hookTools } = tools(tool, output);
    const value = await call(hookTools);
    expect(runner.calls).toEqual([{ tool, args, stdin }]);
    expect(value).toEqual(result);
  });

  it('splits over-long juju-log messages as ops does', async () => {
    const { runner, hookTools } = tools('juju-log', ok());
    const message = 'a'.repeat(131071) + 'b'.repeat(10);
    await hookTools.jujuLog('DEBUG', message);
    expect(runner.calls.map((c) => c.args.at(-1))).toEqual([
      'Log string greater than 131071. Splitting into multiple chunks: ',
      'a'.repeat(131071),
      'b'.repeat(10),
    ]);
    expect(runner.calls.every((c) => c.args.slice(0, 3).join(' ') === '--log-level DEBUG --')).toBe(true);
  });

  it('refuses what Juju would reject, before running anything', async () => {
    const runner = new RecordingToolRunner();
    const t = new HookTools(runner, { unitName: 'postgresql-k8s/0' });
    await expect(t.statusSet('error' as never, 'x')).rejects.toMatchObject({ code: 'invalid-hook-tool-argument' });
    await expect(t.actionSet({ stdout: 'x' })).rejects.toThrow('reserved name "stdout"');
    await expect(t.actionSet({ result: { stderr: 'x' } })).rejects.toThrow('reserved name "stderr"');
    await expect(t.actionSet({ 'Bad-Key': 'x' })).rejects.toThrow('key "Bad-Key" is invalid');
    await expect(t.actionSet({ 'a-': 'x' })).rejects.toThrow('is invalid');
    await expect(t.actionSet({ a: { b: '1' }, 'a.b': '2' })).rejects.toThrow('duplicate key "a.b"');
    await expect(t.openPort({ protocol: 'tcp', port: 70000 })).rejects.toThrow('port must be an integer 1-65535');
    await expect(t.openPort({ protocol: 'tcp', port: 9000, toPort: 8000 })).rejects.toThrow('range end');
    await expect(t.openPort({ protocol: 'icmp', port: 1 })).rejects.toThrow('icmp takes no port');
    await expect(t.relationSet(db, { n: 1 as unknown as string })).rejects.toThrow('value of "n" must be a string');
    expect(runner.calls).toEqual([]);
  });

  it('does not run a tool for empty writes', async () => {
    const runner = new RecordingToolRunner();
    const t = new HookTools(runner, { unitName: 'postgresql-k8s/0' });
    await t.relationSet(db, {});
    await t.stateSet({});
    await t.actionSet({});
    expect(runner.calls).toEqual([]);
  });

  it('reports unparseable or off-schema output as hook-tool-bad-output without quoting it', async () => {
    await expect(tools('config-get', ok('password: hunter2\n')).hookTools.configGet()).rejects.toMatchObject({
      code: 'hook-tool-bad-output',
      message: 'config-get --format=json printed unexpected output: not JSON',
    });
    const error = await tools('relation-get', jsonOut({ password: 42 })).hookTools.relationGet(db, { unit: 'x/0' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'hook-tool-bad-output' });
    expect((error as Error).message).toContain('password');
    expect((error as Error).message).not.toContain('42');
    await expect(tools('relation-ids', jsonOut(['database'])).hookTools.relationIds('database')).rejects.toThrow('bad relation id "database"');
    await expect(tools('is-leader', jsonOut('yes')).hookTools.isLeader()).rejects.toMatchObject({ code: 'hook-tool-bad-output' });
  });

  it('returns frozen results so no caller can corrupt the per-hook cache', async () => {
    const { hookTools } = tools('relation-get', jsonOut({ a: '1' }));
    const bucket = await hookTools.relationGet(db, { unit: 'x/0' });
    expect(Object.isFrozen(bucket)).toBe(true);
    expect(() => {
      (bucket as Record<string, string>)['a'] = '2';
    }).toThrow(TypeError);
  });

  it('keeps a failed usage error (exit 2) typed, e.g. a bad flag', async () => {
    const { hookTools } = tools('status-get', fail('flag provided but not defined: --include-data', 2));
    await expect(hookTools.statusGet()).rejects.toMatchObject({ code: 'hook-tool-usage', exitCode: 2 });
  });
});
