import { readFileSync, statSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HookTools } from '../../../src/juju/hook-tools.ts';
import { fail, jsonOut, ok, RecordingToolRunner, type RecordedCall } from './recording-tool-runner.ts';

const MODEL = 'cdac5656-2423-4388-8f30-41854b4cca7d';
const URI = `secret://${MODEL}/cs8b2dvmp25c76a1p2k0`;
const OTHER = `secret://${MODEL}/d0v5f4mp25c76a1p2k99`;

function make(runner: RecordingToolRunner) {
  return new HookTools(runner, { unitName: 'postgresql-k8s/0', modelUuid: MODEL });
}

/** What a `key#file=<path>` argument pointed at, read while the tool "runs". */
interface SeenFile {
  key: string;
  content: string;
  mode: number;
  dirMode: number;
  path: string;
}
function readSecretFiles(call: RecordedCall): SeenFile[] {
  return call.args
    .filter((arg) => arg.includes('#file='))
    .map((arg) => {
      const [key, path] = arg.split('#file=') as [string, string];
      return { key, path, content: readFileSync(path, 'utf8'), mode: statSync(path).mode & 0o777, dirMode: statSync(dirname(path)).mode & 0o777 };
    });
}

describe('secret-add', () => {
  it('passes content through private temp files that are removed afterwards', async () => {
    let seen: SeenFile[] = [];
    const runner = new RecordingToolRunner().respond('secret-add', (call) => {
      seen = readSecretFiles(call);
      return ok(`${URI}\n`);
    });
    const uri = await make(runner).secretAdd(
      { 'operator-password': 'hunter2', 'replication-password': 'r3pl' },
      { owner: 'application', label: 'database-peers.postgresql-k8s.app', description: 'system users', expire: new Date('2030-01-02T03:04:05.678Z'), rotate: 'monthly' },
    );
    expect(uri).toBe(URI);
    const [call] = runner.calls as [RecordedCall];
    expect(call.args.slice(0, 10)).toEqual([
      '--label', 'database-peers.postgresql-k8s.app',
      '--description', 'system users',
      '--expire', '2030-01-02T03:04:05Z',
      '--rotate', 'monthly',
      '--owner', 'application',
    ]);
    expect(call.args.slice(10).map((a) => a.split('#file=')[0])).toEqual(['operator-password', 'replication-password']);
    expect(call.args.join(' ')).not.toContain('hunter2');
    expect(call.stdin).toBeUndefined();
    expect(seen.map(({ key, content, mode, dirMode }) => ({ key, content, mode, dirMode }))).toEqual([
      { key: 'operator-password', content: 'hunter2', mode: 0o600, dirMode: 0o700 },
      { key: 'replication-password', content: 'r3pl', mode: 0o600, dirMode: 0o700 },
    ]);
    expect(existsSync(dirname(seen[0]!.path))).toBe(false);
  });

  it('removes the temp files when the tool fails too', async () => {
    let path = '';
    const runner = new RecordingToolRunner().respond('secret-add', (call) => {
      path = readSecretFiles(call)[0]!.path;
      return fail('this unit is not the leader');
    });
    await expect(make(runner).secretAdd({ password: 'x' }, { owner: 'application' })).rejects.toMatchObject({ code: 'not-leader' });
    expect(existsSync(dirname(path))).toBe(false);
  });

  it('refuses invalid content before running anything', async () => {
    const runner = new RecordingToolRunner();
    const t = make(runner);
    await expect(t.secretAdd({}, { owner: 'unit' })).rejects.toThrow('must not be empty');
    await expect(t.secretAdd({ pw: 'x' }, { owner: 'unit' })).rejects.toThrow('secret key "pw" is invalid');
    await expect(t.secretAdd({ 'Pass-word': 'x' }, { owner: 'unit' })).rejects.toMatchObject({ code: 'invalid-hook-tool-argument' });
    await expect(t.secretAdd({ password: 5 as unknown as string }, { owner: 'unit' })).rejects.toThrow('must be a string');
    expect(runner.calls).toEqual([]);
  });

  it('rejects output that is not a secret URI', async () => {
    await expect(make(new RecordingToolRunner().respond('secret-add', ok('\n'))).secretAdd({ password: 'x' }, { owner: 'unit' })).rejects.toMatchObject({
      code: 'hook-tool-bad-output',
    });
  });
});

describe('secret-get', () => {
  it.each([
    ['by uri', { id: URI }, {}, ['--format=json', URI]],
    ['by bare id (canonicalised as ops does)', { id: 'cs8b2dvmp25c76a1p2k0' }, {}, ['--format=json', URI]],
    ['by label', { label: 'tls' }, {}, ['--format=json', '--label', 'tls']],
    ['by uri, setting the label', { id: URI, label: 'tls' }, {}, ['--format=json', URI, '--label', 'tls']],
    ['refresh', { id: URI }, { refresh: true }, ['--format=json', URI, '--refresh']],
    ['peek', { label: 'tls' }, { peek: true }, ['--format=json', '--label', 'tls', '--peek']],
  ])('%s', async (_name, lookup, options, args) => {
    const runner = new RecordingToolRunner().respond('secret-get', jsonOut({ password: 'hunter2' }));
    expect(await make(runner).secretGet(lookup, options)).toEqual({ password: 'hunter2' });
    expect(runner.calls).toEqual([{ tool: 'secret-get', args, stdin: undefined }]);
  });

  it('refuses an empty lookup and peek+refresh together', async () => {
    const t = make(new RecordingToolRunner());
    await expect(t.secretGet({})).rejects.toThrow('give an id or a label');
    await expect(t.secretGet({ id: URI }, { peek: true, refresh: true })).rejects.toThrow('exclude each other');
  });

  it('memoises by id, by label, and by label once the label is known to name an id', async () => {
    const runner = new RecordingToolRunner().respond('secret-get', jsonOut({ password: 'a' }));
    const t = make(runner);
    await t.secretGet({ id: URI });
    await t.secretGet({ id: 'secret:cs8b2dvmp25c76a1p2k0' }); // same xid, other spelling
    expect(runner.calls).toHaveLength(1);
    await t.secretGet({ id: URI, label: 'peer' }); // sets the label: must run
    await t.secretGet({ id: URI, label: 'peer' }); // label already set for this id
    await t.secretGet({ label: 'peer' }); // known to be URI
    expect(runner.calls).toHaveLength(2);
    await t.secretGet({ label: 'unknown-label' });
    await t.secretGet({ label: 'unknown-label' });
    expect(runner.calls).toHaveLength(3);
  });

  it('peek and refresh are separate reads; refresh also answers later plain reads', async () => {
    const runner = new RecordingToolRunner().respond('secret-get', (call) => jsonOut({ v: call.args.includes('--refresh') || call.args.includes('--peek') ? 'new' : 'old' }));
    const t = make(runner);
    expect(await t.secretGet({ id: URI })).toEqual({ v: 'old' });
    expect(await t.secretGet({ id: URI }, { peek: true })).toEqual({ v: 'new' });
    expect(await t.secretGet({ id: URI })).toEqual({ v: 'old' });
    expect(await t.secretGet({ id: URI }, { refresh: true })).toEqual({ v: 'new' });
    expect(await t.secretGet({ id: URI })).toEqual({ v: 'new' });
    expect(runner.calls).toHaveLength(3);
  });
});

describe('secret-ids output shapes', () => {
  it.each([
    ['a list of ids (Juju 3.6)', ['cs8b2dvmp25c76a1p2k0'], ['cs8b2dvmp25c76a1p2k0']],
    ['null when nothing is owned', null, []],
    ['a map of id to label', { cs8b2dvmp25c76a1p2k0: 'peer', d0v5f4mp25c76a1p2k99: '' }, ['cs8b2dvmp25c76a1p2k0', 'd0v5f4mp25c76a1p2k99']],
  ])('%s', async (_name, output, ids) => {
    expect(await make(new RecordingToolRunner().respond('secret-ids', jsonOut(output))).secretIds()).toEqual(ids);
  });
});

describe('secret-set and the other writes', () => {
  it('secret-set sends metadata, --owner application, the uri, then content files', async () => {
    let seen: SeenFile[] = [];
    const runner = new RecordingToolRunner().respond('secret-set', (call) => {
      seen = readSecretFiles(call);
      return ok();
    });
    await make(runner).secretSet('cs8b2dvmp25c76a1p2k0', { content: { password: 'n3w' }, label: 'peer', rotate: 'never' });
    const [call] = runner.calls as [RecordedCall];
    expect(call.args.slice(0, 7)).toEqual(['--label', 'peer', '--rotate', 'never', '--owner', 'application', URI]);
    expect(call.args).toHaveLength(8);
    expect(seen.map((f) => [f.key, f.content])).toEqual([['password', 'n3w']]);
    expect(call.args.join(' ')).not.toContain('n3w');
  });

  it('secret-set without content is a metadata-only update', async () => {
    const runner = new RecordingToolRunner().respond('secret-set', ok());
    await make(runner).secretSet(URI, { description: 'rotated' });
    expect(runner.calls[0]!.args).toEqual(['--description', 'rotated', '--owner', 'application', URI]);
  });

  it('secret-set drops cached reads of that secret only (by id and by its label)', async () => {
    const runner = new RecordingToolRunner()
      .respond('secret-get', jsonOut({ password: 'a' }))
      .respond('secret-info-get', jsonOut({ cs8b2dvmp25c76a1p2k0: { revision: 1, label: 'peer', owner: 'application' } }))
      .respond('secret-set', ok());
    const t = make(runner);
    await t.secretGet({ id: URI, label: 'peer' });
    await t.secretGet({ id: OTHER });
    await t.secretInfoGet({ id: URI });
    await t.secretSet(URI, { content: { password: 'b' } });
    await t.secretGet({ id: OTHER });
    expect(runner.callsOf('secret-get')).toHaveLength(2);
    await t.secretGet({ label: 'peer' });
    await t.secretGet({ id: URI });
    await t.secretInfoGet({ id: URI });
    expect(runner.callsOf('secret-get')).toHaveLength(3);
    expect(runner.callsOf('secret-info-get')).toHaveLength(2);
  });

  it('secret-info-get by id or label, parsed, and cached', async () => {
    const out = { cs8b2dvmp25c76a1p2k0: { revision: 4, label: 'peer', owner: 'application', rotation: 'monthly', rotates: '2030-01-01T00:00:00Z', access: [{ target: 'application-pgbouncer-k8s', scope: 'relation-5', role: 'view' }] } };
    const runner = new RecordingToolRunner().respond('secret-info-get', jsonOut(out));
    const t = make(runner);
    expect(await t.secretInfoGet({ label: 'peer' })).toEqual({
      id: 'cs8b2dvmp25c76a1p2k0',
      revision: 4,
      label: 'peer',
      owner: 'application',
      rotation: 'monthly',
      rotates: '2030-01-01T00:00:00Z',
      access: [{ target: 'application-pgbouncer-k8s', scope: 'relation-5', role: 'view' }],
    });
    await t.secretInfoGet({ id: 'cs8b2dvmp25c76a1p2k0' }); // the label taught us the id
    await t.secretInfoGet({ label: 'peer' });
    expect(runner.calls.map((c) => c.args)).toEqual([['--format=json', '--label', 'peer']]);
    await expect(make(new RecordingToolRunner().respond('secret-info-get', jsonOut({}))).secretInfoGet({ id: URI })).rejects.toThrow('expected exactly one secret');
  });

  it('grant, revoke, remove and ids use ops argv; writes drop the affected reads', async () => {
    const runner = new RecordingToolRunner()
      .respond('secret-grant', ok())
      .respond('secret-revoke', ok())
      .respond('secret-remove', ok())
      .respond('secret-ids', jsonOut([URI]))
      .respond('secret-add', ok(`${OTHER}\n`));
    const t = make(runner);
    await t.secretGrant(URI, 5);
    await t.secretGrant(URI, 5, 'pgbouncer-k8s/0');
    await t.secretRevoke('cs8b2dvmp25c76a1p2k0', 5, 'pgbouncer-k8s/0');
    await t.secretRemove(URI, 3);
    await t.secretRemove(URI);
    expect(runner.calls.map((c) => [c.tool, ...c.args])).toEqual([
      ['secret-grant', '--relation', '5', URI],
      ['secret-grant', '--relation', '5', '--unit', 'pgbouncer-k8s/0', URI],
      ['secret-revoke', '--relation', '5', '--unit', 'pgbouncer-k8s/0', URI],
      ['secret-remove', URI, '--revision', '3'],
      ['secret-remove', URI],
    ]);
    expect(await t.secretIds()).toEqual([URI]);
    await t.secretIds();
    await t.secretAdd({ password: 'x' }, { owner: 'unit' });
    await t.secretIds();
    expect(runner.callsOf('secret-ids')).toEqual([
      { tool: 'secret-ids', args: ['--format=json'], stdin: undefined },
      { tool: 'secret-ids', args: ['--format=json'], stdin: undefined },
    ]);
  });
});
