import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logging.ts';
import { HookTools } from '../../../src/juju/hook-tools.ts';
import { fail, jsonOut, ok, RecordingToolRunner } from './recording-tool-runner.ts';

const peers = { endpoint: 'database-peers', id: 3 };
const db = { endpoint: 'database', id: 5 };

/** A relation-get that answers from per-bucket data, as the agent would (args end in `- <owner>`). */
function bucketsRunner(buckets: Record<string, Record<string, string>>) {
  return new RecordingToolRunner()
    .respond('relation-get', (call) => jsonOut(buckets[`${call.args[2]} ${call.args.at(-1)}`] ?? {}))
    .respond('relation-set', ok());
}

describe('HookTools memoisation: one hook never runs the same read twice', () => {
  it('caches every read tool per argument set', async () => {
    const runner = new RecordingToolRunner()
      .respond('config-get', jsonOut({ profile: 'testing' }))
      .respond('action-get', jsonOut({ username: 'operator' }))
      .respond('goal-state', jsonOut({ units: {}, relations: {} }))
      .respond('network-get', jsonOut({ 'ingress-addresses': ['10.1.0.7'] }))
      .respond('storage-get', jsonOut({ kind: 'filesystem', location: '/x' }))
      .respond('storage-list', jsonOut(['pgdata/0']))
      .respond('relation-ids', jsonOut(['database:5']))
      .respond('relation-list', jsonOut(['pgbouncer-k8s/0']))
      .respond('opened-ports', jsonOut(['5432/tcp']))
      .respond('state-get', jsonOut({}))
      .respond('status-get', jsonOut({ status: 'active', message: '', 'status-data': {} }));
    const t = new HookTools(runner, { unitName: 'postgresql-k8s/0' });
    for (let round = 0; round < 2; round++) {
      await t.configGet();
      await t.actionGet();
      await t.goalState();
      await t.networkGet('database', 5);
      await t.storageGet('pgdata', 0);
      await t.storageList('pgdata');
      await t.relationIds('database');
      await t.relationList(db);
      await t.openedPorts();
      await t.stateGet();
      await t.statusGet();
    }
    expect(runner.calls).toHaveLength(11);
    await t.networkGet('database');
    await t.relationList(peers);
    expect(runner.calls).toHaveLength(13);
  });

  it('runs one process for concurrent identical reads', async () => {
    const runner = new RecordingToolRunner().respond('config-get', jsonOut({ a: 1 }));
    const t = new HookTools(runner, { unitName: 'postgresql-k8s/0' });
    const [a, b] = await Promise.all([t.configGet(), t.configGet()]);
    expect(a).toBe(b);
    expect(runner.calls).toHaveLength(1);
  });

  it('does not cache failures', async () => {
    let attempts = 0;
    const runner = new RecordingToolRunner().respond('config-get', () => (++attempts === 1 ? fail('connection is shut down') : jsonOut({ a: 1 })));
    const t = new HookTools(runner, { unitName: 'postgresql-k8s/0' });
    await expect(t.configGet()).rejects.toMatchObject({ code: 'hook-tool-failed' });
    expect(await t.configGet()).toEqual({ a: 1 });
    expect(await t.configGet()).toEqual({ a: 1 });
    expect(attempts).toBe(2);
  });

  it('trusts is-leader for 30 s measured from before the call, as ops does', async () => {
    let now = 1_000;
    const runner = new RecordingToolRunner().respond('is-leader', jsonOut(true));
    const t = new HookTools(runner, { unitName: 'postgresql-k8s/0', now: () => now });
    await t.isLeader();
    now += 29_999;
    await t.isLeader();
    expect(runner.calls).toHaveLength(1);
    now += 1;
    runner.respond('is-leader', jsonOut(false));
    expect(await t.isLeader()).toBe(false);
    expect(runner.calls).toHaveLength(2);
  });

  it('clearCache forgets everything', async () => {
    const runner = new RecordingToolRunner().respond('config-get', jsonOut({})).respond('is-leader', jsonOut(true));
    const t = new HookTools(runner, { unitName: 'postgresql-k8s/0' });
    await t.configGet();
    await t.isLeader();
    t.clearCache();
    await t.configGet();
    await t.isLeader();
    expect(runner.calls).toHaveLength(4);
  });
});

describe('HookTools: writes update exactly the reads they affect', () => {
  it('relation-set merges into our cached unit bucket (Juju serves pending values back)', async () => {
    const runner = bucketsRunner({ 'database-peers:3 postgresql-k8s/0': { state: 'starting', old: 'x' }, 'database-peers:3 postgresql-k8s/1': { state: 'running' } });
    const t = new HookTools(runner, { unitName: 'postgresql-k8s/0' });
    await t.relationGet(peers, { unit: 'postgresql-k8s/0' });
    await t.relationGet(peers, { unit: 'postgresql-k8s/1' });
    await t.relationSet(peers, { state: 'running', old: '', added: 'y' });
    expect(await t.relationGet(peers, { unit: 'postgresql-k8s/0' })).toEqual({ state: 'running', added: 'y' });
    expect(await t.relationGet(peers, { unit: 'postgresql-k8s/1' })).toEqual({ state: 'running' });
    expect(runner.callsOf('relation-get')).toHaveLength(2);
  });

  it('relation-set --app updates our app bucket only', async () => {
    const runner = bucketsRunner({ 'database-peers:3 postgresql-k8s': { members: '1' }, 'database:5 pgbouncer-k8s': { database: 'app' } });
    const t = new HookTools(runner, { unitName: 'postgresql-k8s/0' });
    await t.relationGet(peers, { app: 'postgresql-k8s' });
    await t.relationGet(db, { app: 'pgbouncer-k8s' });
    await t.relationSet(peers, { members: '2' }, { app: true });
    expect(await t.relationGet(peers, { app: 'postgresql-k8s' })).toEqual({ members: '2' });
    expect(await t.relationGet(db, { app: 'pgbouncer-k8s' })).toEqual({ database: 'app' });
    expect(runner.callsOf('relation-get')).toHaveLength(2);
  });

  it('relation-set to a bucket never read leaves the next read to Juju', async () => {
    const runner = bucketsRunner({ 'database-peers:3 postgresql-k8s/0': { state: 'running', other: 'z' } });
    const t = new HookTools(runner, { unitName: 'postgresql-k8s/0' });
    await t.relationSet(peers, { state: 'running' });
    expect(await t.relationGet(peers, { unit: 'postgresql-k8s/0' })).toEqual({ state: 'running', other: 'z' });
    expect(runner.callsOf('relation-get')).toHaveLength(1);
  });

  it('a failed relation-set leaves the cached bucket alone', async () => {
    const runner = bucketsRunner({ 'database-peers:3 postgresql-k8s': { members: '1' } }).respond('relation-set', fail('cannot write relation settings'));
    const t = new HookTools(runner, { unitName: 'postgresql-k8s/0' });
    await t.relationGet(peers, { app: 'postgresql-k8s' });
    await expect(t.relationSet(peers, { members: '2' }, { app: true })).rejects.toMatchObject({ code: 'permission-denied' });
    expect(await t.relationGet(peers, { app: 'postgresql-k8s' })).toEqual({ members: '1' });
  });

  it('state-set and state-delete update the cached state', async () => {
    const runner = new RecordingToolRunner()
      .respond('state-get', jsonOut({ a: '1', b: '2' }))
      .respond('state-set', ok())
      .respond('state-delete', ok());
    const t = new HookTools(runner, { unitName: 'postgresql-k8s/0' });
    await t.stateGet();
    await t.stateSet({ a: '10', c: '3' });
    await t.stateDelete('b');
    expect(await t.stateGet()).toEqual({ a: '10', c: '3' });
    expect(await t.stateGetKey('c')).toBe('3');
    expect(await t.stateGetKey('b')).toBeUndefined();
    expect(runner.callsOf('state-get')).toHaveLength(1);
  });

  it('per-key state reads follow writes too', async () => {
    const runner = new RecordingToolRunner().respond('state-get', jsonOut('old')).respond('state-set', ok()).respond('state-delete', ok());
    const t = new HookTools(runner, { unitName: 'postgresql-k8s/0' });
    expect(await t.stateGetKey('k')).toBe('old');
    await t.stateSet({ k: 'new' });
    expect(await t.stateGetKey('k')).toBe('new');
    await t.stateDelete('k');
    expect(await t.stateGetKey('k')).toBeUndefined();
    expect(runner.callsOf('state-get')).toHaveLength(1);
  });

  it('status-set drops the cached status of the same scope only', async () => {
    const runner = new RecordingToolRunner()
      .respond('status-get', jsonOut({ status: 'maintenance', message: '', 'status-data': {} }), ['--include-data', '--format=json', '--application=false'])
      .respond('status-get', jsonOut({ 'application-status': { status: 'active', message: '', 'status-data': {}, units: {} } }), ['--include-data', '--format=json', '--application=true'])
      .respond('status-set', ok());
    const t = new HookTools(runner, { unitName: 'postgresql-k8s/0' });
    await t.statusGet();
    await t.statusGet({ application: true });
    await t.statusSet('active', 'Primary');
    await t.statusGet();
    await t.statusGet({ application: true });
    expect(runner.callsOf('status-get')).toHaveLength(3);
  });
});

describe('HookTools logging', () => {
  it('logs tool runs at debug without action-set values or stdin', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const runner = new RecordingToolRunner().respond('action-set', ok()).respond('relation-set', ok());
    const t = new HookTools(runner, { unitName: 'postgresql-k8s/0', logger: createLogger({ destination, level: 'debug' }) });
    await t.actionSet({ password: 'hunter2' });
    await t.relationSet(db, { secret: 'p4ssw0rd' });
    const output = lines.join('');
    expect(output).toContain('"tool":"action-set"');
    expect(output).toContain('password=[redacted]');
    expect(output).toContain('"tool":"relation-set"');
    expect(output).not.toContain('hunter2');
    expect(output).not.toContain('p4ssw0rd');
  });
});
