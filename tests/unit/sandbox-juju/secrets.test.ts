import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Model } from '../../../sandbox/juju/model.ts';
import { buildModel, hook } from './fixtures.ts';

/** Create an app-owned secret as the pg leader and grant it to the client app over the db relation. */
async function sharedSecret(model: Model, dbRelation: number, content = ['username=relation-5', 'password=first']): Promise<string> {
  const owner = hook(model, { unit: 'pg/0' });
  const added = await owner.run('secret-add', ['--label', 'database.5.user.secret', '--description', 'db creds', ...content]);
  expect(added.exitCode).toBe(0);
  const uri = added.stdout.trim();
  expect((await owner.run('secret-grant', ['-r', String(dbRelation), uri])).exitCode).toBe(0);
  owner.ctx.commit();
  return uri;
}

describe('secret-add', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'secret-add-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates an app-owned secret from #file, #base64 and plain values, readable in the same hook', async () => {
    const { model } = buildModel();
    await writeFile(path.join(dir, 'password'), 'p@ss word\n');
    const { ctx, run, json } = hook(model, { unit: 'pg/0' }, dir);
    const added = await run('secret-add', ['--label', 'app-secret', '--owner', 'application', 'password#file=password', `token#base64=${Buffer.from('t0k').toString('base64')}`, 'user=op']);
    expect(added.exitCode).toBe(0);
    expect(added.stdout).toMatch(/^secret:[0-9a-v]{20}\n$/);
    const uri = added.stdout.trim();
    expect(await json('secret-get', [uri])).toEqual({ password: 'p@ss word\n', token: 't0k', user: 'op' });
    expect(await json('secret-get', ['--label', 'app-secret'])).toEqual({ password: 'p@ss word\n', token: 't0k', user: 'op' });
    // As in Juju, the first positional is always the URI: a key needs the URI too.
    expect(await run('secret-get', ['--label', 'app-secret', 'user'])).toMatchObject({ exitCode: 2, stderr: 'ERROR secret URI "user" not valid\n' });
    expect((await run('secret-get', [uri, `token#base64`])).stdout).toBe(`${Buffer.from('t0k').toString('base64')}\n`);
    expect(await json('secret-ids')).toEqual([uri.slice('secret:'.length)]);
    expect(Object.keys(model.secrets)).toEqual([]);
    ctx.commit();
    const secret = model.secrets[uri.slice('secret:'.length)]!;
    expect(secret).toMatchObject({ owner: { kind: 'application', name: 'pg' }, label: 'app-secret', revisions: [{ revision: 1 }] });
    expect(secret.revisions[0]!.content['user']).toBe(Buffer.from('op').toString('base64'));
  });

  it('needs leadership for application secrets but not for unit secrets', async () => {
    const { model } = buildModel();
    const { ctx, run } = hook(model, { unit: 'pg/1' });
    expect(await run('secret-add', ['foo=bar'])).toEqual({ exitCode: 1, stdout: '', stderr: 'ERROR this unit is not the leader\n' });
    const unitOwned = await run('secret-add', ['--owner', 'unit', 'foo=bar']);
    expect(unitOwned.exitCode).toBe(0);
    ctx.commit();
    expect(Object.values(model.secrets)[0]!.owner).toEqual({ kind: 'unit', name: 'pg/1' });
  });

  it('rejects bad content and flags as usage errors', async () => {
    const { model } = buildModel();
    const { run } = hook(model, { unit: 'pg/0' }, dir);
    const cases: Array<[string[], string]> = [
      [[], 'ERROR missing secret value or filename\n'],
      [['Bad=x'], 'ERROR key "Bad" not valid\n'],
      [['ab=x'], 'ERROR key "ab" not valid\n'],
      [['=x'], 'ERROR key value "=x" not valid\n'],
      [['--rotate', 'sometimes', 'key=x'], 'ERROR rotate policy "sometimes" not valid\n'],
      [['--owner', 'model', 'key=x'], 'ERROR secret owner "model" not valid\n'],
      [['--expire', 'soon', 'key=x'], 'ERROR expire time or duration "soon" not valid\n'],
      [['--expire', '-1h', 'key=x'], 'ERROR negative expire duration "-1h" not valid\n'],
    ];
    for (const [args, stderr] of cases) expect(await run('secret-add', args)).toEqual({ exitCode: 2, stdout: '', stderr });
    const missingFile = await run('secret-add', ['key#file=absent']);
    expect(missingFile.exitCode).toBe(2);
    expect(missingFile.stderr).toContain('reading content for secret key "key"');
  });

  it('keeps labels unique per owner', async () => {
    const { model } = buildModel();
    const { run } = hook(model, { unit: 'pg/0' });
    expect((await run('secret-add', ['--label', 'one', 'key=a'])).exitCode).toBe(0);
    expect(await run('secret-add', ['--label', 'one', 'key=b'])).toEqual({ exitCode: 1, stdout: '', stderr: 'ERROR secret with label "one" already exists\n' });
  });

  it('parses --expire and --rotate into the metadata', async () => {
    const { model } = buildModel();
    const { ctx, run } = hook(model, { unit: 'pg/0' });
    const uri = (await run('secret-add', ['--expire', '1h30m', '--rotate', 'daily', 'key=v'])).stdout.trim();
    ctx.commit();
    const id = uri.slice('secret:'.length);
    const later = hook(model, { unit: 'pg/0' });
    const info = await later.json('secret-info-get', [uri]);
    expect(info).toEqual({
      [id]: { revision: 1, label: '', owner: 'application', rotation: 'daily', expiry: '2026-01-02T04:34:05.000Z', rotates: '2026-01-03T03:04:05.000Z' },
    });
    expect(await later.json('secret-ids')).toEqual([id]);
  });

  it('accepts for --expire what Juju parses: RFC 3339, a zone-less time (UTC, fractions allowed) or a duration', async () => {
    const cases: Array<[string, string]> = [
      ['2027-09-08T10:41:12.096923', '2027-09-08T10:41:12.096Z'], // ops: naive datetime.isoformat()
      ['2027-09-08T10:41:12', '2027-09-08T10:41:12.000Z'],
      ['2027-09-08T10:41:12,5', '2027-09-08T10:41:12.500Z'],
      ['2027-09-08T1:41:12', '2027-09-08T01:41:12.000Z'],
      ['2027-09-08T10:41:12Z', '2027-09-08T10:41:12.000Z'],
      ['2027-09-08T10:41:12.5+02:00', '2027-09-08T08:41:12.500Z'],
      ['2028-02-29T00:00:00-00:30', '2028-02-29T00:30:00.000Z'],
      ['24h', '2026-01-03T03:04:05.000Z'],
      ['1.5h', '2026-01-02T04:34:05.000Z'],
      ['90\u03bcs', '2026-01-02T03:04:05.000Z'],
    ];
    for (const [spec, expiry] of cases) {
      const { model } = buildModel();
      const { ctx, run } = hook(model, { unit: 'pg/0' });
      const added = await run('secret-add', ['--expire', spec, 'key=v']);
      expect(added.exitCode, `${spec}: ${added.stderr}`).toBe(0);
      ctx.commit();
      expect(Object.values(model.secrets)[0]!.expireTime, spec).toBe(expiry);
      const { ctx: setCtx, run: set } = hook(model, { unit: 'pg/0' });
      expect((await set('secret-set', [added.stdout.trim(), '--expire', spec])).exitCode).toBe(0);
      setCtx.commit();
      expect(Object.values(model.secrets)[0]!.expireTime, spec).toBe(expiry);
    }
    const { model } = buildModel();
    const { run } = hook(model, { unit: 'pg/0' });
    for (const spec of ['2027-09-08', '2027-09-08 10:41:12', '2027-09-08t10:41:12', '2027-02-29T10:41:12', '2027-09-08T24:00:00', '2027-09-08T10:41:12z', '2027-09-08T10:41:12+0200', '2027-09-08T10:41:12.']) {
      expect(await run('secret-add', ['--expire', spec, 'key=v']), spec).toEqual({ exitCode: 2, stdout: '', stderr: `ERROR expire time or duration ${JSON.stringify(spec)} not valid\n` });
    }
    for (const spec of ['0', '-0', '-1s']) {
      expect((await run('secret-add', ['--expire', spec, 'key=v'])).stderr, spec).toBe(`ERROR negative expire duration ${JSON.stringify(spec)} not valid\n`);
    }
  });
});

describe('secret-get for consumers', () => {
  it('pins on first read, --peek reads the latest once, --refresh re-pins', async () => {
    const { model, dbRelation } = buildModel();
    const uri = await sharedSecret(model, dbRelation);
    const id = uri.slice('secret:'.length);

    const first = hook(model, { unit: 'client/0' });
    expect(await first.json('secret-get', [uri, '--label', 'db-creds'])).toEqual({ username: 'relation-5', password: 'first' });
    first.ctx.commit();
    expect(model.secrets[id]!.consumers['client/0']).toEqual({ revision: 1, label: 'db-creds' });

    const owner = hook(model, { unit: 'pg/0' });
    expect((await owner.run('secret-set', [uri, 'username=relation-5', 'password=second'])).exitCode).toBe(0);
    expect((await owner.run('secret-set', [uri, 'username=relation-5', 'password=third'])).exitCode).toBe(0);
    // The owner sees the pending update only with --peek/--refresh.
    expect(await owner.json('secret-get', [uri, 'password'])).toBe('first');
    expect(await owner.json('secret-get', [uri, '--peek', 'password'])).toBe('third');
    const { events } = owner.ctx.commit();
    expect(model.secrets[id]!.revisions.map((r) => r.revision)).toEqual([1, 2]);
    // The leader read its application's secret (secret-get above), so it is told too, under the owner's label.
    expect(events).toEqual([
      { kind: 'secret-changed', hook: 'secret-changed', unit: 'client/0', secretId: uri, label: 'db-creds', revision: 2 },
      { kind: 'secret-changed', hook: 'secret-changed', unit: 'pg/0', secretId: uri, label: 'database.5.user.secret', revision: 2 },
    ]);

    const consumer = hook(model, { unit: 'client/0', hookName: 'secret-changed', secretId: uri, secretLabel: 'db-creds' });
    expect(await consumer.json('secret-get', ['--label', 'db-creds'])).toEqual({ username: 'relation-5', password: 'first' });
    expect(await consumer.json('secret-get', [uri, '--peek', 'password'])).toBe('third');
    expect(model.secrets[id]!.consumers['client/0']!.revision).toBe(1);
    expect(await consumer.json('secret-get', [uri, '--refresh', 'password'])).toBe('third');
    expect(await consumer.json('secret-get', [uri, 'password'])).toBe('third');
    // Nobody tracks revision 1 any more: the owner's leader is told to remove it.
    expect(consumer.ctx.commit().events).toEqual([
      { kind: 'secret-remove', hook: 'secret-remove', unit: 'pg/0', secretId: uri, label: 'database.5.user.secret', revision: 1 },
    ]);
  });

  it('refuses units without a grant, unknown secrets and conflicting flags', async () => {
    const { model, dbRelation } = buildModel();
    const uri = await sharedSecret(model, dbRelation);
    const stranger = hook(model, { unit: 'pg/1' });
    // A follower of the owning application reads its application's secret as an owner.
    expect((await stranger.run('secret-get', [uri])).exitCode).toBe(0);

    const { run } = hook(model, { unit: 'client/1' });
    expect((await run('secret-get', [uri])).exitCode).toBe(0);
    expect(await run('secret-get', ['secret:aaaaaaaaaaaaaaaaaaaa'])).toEqual({ exitCode: 1, stdout: '', stderr: 'ERROR secret "aaaaaaaaaaaaaaaaaaaa" not found\n' });
    expect(await run('secret-get', ['--label', 'unknown'])).toMatchObject({ exitCode: 1, stderr: 'ERROR consumer label "unknown" not found\n' });
    expect(await run('secret-get', ['not-a-uri'])).toMatchObject({ exitCode: 2, stderr: 'ERROR secret URI "not-a-uri" not valid\n' });
    expect(await run('secret-get', [uri, '--peek', '--refresh'])).toMatchObject({ exitCode: 2, stderr: 'ERROR specify one of --peek or --refresh but not both\n' });
    expect(await run('secret-get')).toMatchObject({ exitCode: 2, stderr: 'ERROR require either a secret URI or label\n' });
    expect(await run('secret-get', [uri, 'nokey'])).toMatchObject({ exitCode: 1, stderr: 'ERROR secret key "nokey" not found\n' });

    const revoke = hook(model, { unit: 'pg/0' });
    expect((await revoke.run('secret-revoke', [uri, '--app', 'client'])).exitCode).toBe(0);
    revoke.ctx.commit();
    expect(await hook(model, { unit: 'client/1' }).run('secret-get', [uri])).toEqual({ exitCode: 1, stdout: '', stderr: 'ERROR permission denied\n' });
  });

  it("tells the owning application's units that read the secret of each new revision, under the owner's label", async () => {
    const { model, dbRelation } = buildModel();
    const uri = await sharedSecret(model, dbRelation);
    const id = uri.slice('secret:'.length);
    // A plain read by label (no --refresh) is enough; a follower always reads the latest.
    const follower = hook(model, { unit: 'pg/1' });
    expect(await follower.json('secret-get', ['--label', 'database.5.user.secret'])).toEqual({ username: 'relation-5', password: 'first' });
    // A follower's label next to the URI does not relabel the secret (only the owner may).
    expect(await follower.json('secret-get', [uri, '--label', 'mine', 'password'])).toBe('first');
    follower.ctx.commit();
    expect(model.secrets[id]!.label).toBe('database.5.user.secret');
    expect(model.secrets[id]!.consumers['pg/1']).toEqual({ revision: 0, label: null });

    const leader = hook(model, { unit: 'pg/0' });
    expect((await leader.run('secret-set', [uri, 'username=relation-5', 'password=second'])).exitCode).toBe(0);
    expect(leader.ctx.commit().events).toEqual([
      { kind: 'secret-changed', hook: 'secret-changed', unit: 'pg/1', secretId: uri, label: 'database.5.user.secret', revision: 2 },
      // The follower's record pins nothing, and no consumer read revision 1.
      { kind: 'secret-remove', hook: 'secret-remove', unit: 'pg/0', secretId: uri, label: 'database.5.user.secret', revision: 1 },
    ]);
    const changed = hook(model, { unit: 'pg/1', hookName: 'secret-changed', secretId: uri, secretLabel: 'database.5.user.secret' });
    expect(await changed.json('secret-get', ['--label', 'database.5.user.secret'])).toEqual({ username: 'relation-5', password: 'second' });
    expect(changed.ctx.commit().events).toEqual([]);
  });

  it("shows an application's secret metadata to its leader only", async () => {
    const { model, dbRelation } = buildModel();
    const uri = await sharedSecret(model, dbRelation);
    const follower = hook(model, { unit: 'pg/1' });
    expect(await follower.run('secret-info-get', [uri])).toEqual({ exitCode: 1, stdout: '', stderr: `ERROR secret "${uri.slice('secret:'.length)}" not found\n` });
    expect(await follower.run('secret-info-get', ['--label', 'database.5.user.secret'])).toEqual({
      exitCode: 1,
      stdout: '',
      stderr: 'ERROR secret "database.5.user.secret" not found\n',
    });
    expect(await follower.json('secret-ids')).toBeNull();
    const leader = hook(model, { unit: 'pg/0' });
    expect(Object.keys((await leader.json('secret-info-get', [uri])) as object)).toEqual([uri.slice('secret:'.length)]);
    expect(await leader.json('secret-ids')).toEqual([uri.slice('secret:'.length)]);
  });

  it('accepts the secret://<model>/<id> form', async () => {
    const { model, dbRelation } = buildModel();
    const uri = await sharedSecret(model, dbRelation);
    const long = `secret://${model.uuid}/${uri.slice('secret:'.length)}`;
    expect(await hook(model, { unit: 'client/0' }).json('secret-get', [long, 'username'])).toBe('relation-5');
  });

  it('unit-level grants reach only that unit', async () => {
    const { model, dbRelation } = buildModel();
    const owner = hook(model, { unit: 'pg/0' });
    const uri = (await owner.run('secret-add', ['key=v'])).stdout.trim();
    expect(await owner.run('secret-grant', ['-r', String(dbRelation), '--unit', 'pg/1', uri])).toMatchObject({
      exitCode: 2,
      stderr: 'ERROR cannot specify unit "pg/1" in relation to application "client"\n',
    });
    expect((await owner.run('secret-grant', ['--relation', String(dbRelation), '--unit', 'client/1', uri])).exitCode).toBe(0);
    expect(await owner.run('secret-grant', [uri])).toMatchObject({ exitCode: 2, stderr: 'ERROR no relation id specified\n' });
    owner.ctx.commit();
    expect((await hook(model, { unit: 'client/1' }).run('secret-get', [uri])).exitCode).toBe(0);
    expect((await hook(model, { unit: 'client/0' }).run('secret-get', [uri])).stderr).toBe('ERROR permission denied\n');
  });
});

describe("a follower's secret-set of its application's secret", () => {
  it('passes as a tool and is refused when the hook commits, with Juju\'s leadership error; nothing of the hook is applied', async () => {
    const { model, dbRelation } = buildModel();
    const uri = await sharedSecret(model, dbRelation);
    const id = uri.slice('secret:'.length);
    const before = structuredClone(model.secrets[id]);
    const follower = hook(model, { unit: 'pg/2', hookName: 'config-changed' });
    expect(await follower.run('secret-set', [uri, 'password=x'])).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    expect(await follower.run('secret-set', [uri, '--label', 'other'])).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    expect((await follower.run('relation-set', ['-r', String(dbRelation), 'seen=yes'])).exitCode).toBe(0);
    const report = follower.ctx.commit();
    expect(report.error).toBe('updating secrets: "pg/2" is not leader of "pg"');
    expect(report.events).toEqual([]);
    expect(model.secrets[id]).toEqual(before);
    expect(model.relations.find((r) => r.id === dbRelation)!.unitData['pg/2']?.['seen']).toBeUndefined();

    // The leader's own secret-set commits as before.
    const leader = hook(model, { unit: 'pg/0' });
    expect((await leader.run('secret-set', [uri, 'password=x'])).exitCode).toBe(0);
    expect(leader.ctx.commit().error).toBeUndefined();
    expect(model.secrets[id]!.revisions).toHaveLength(2);
  });
});

describe('secret management by the owner', () => {
  it('needs leadership for application secrets', async () => {
    const { model, dbRelation } = buildModel();
    const uri = await sharedSecret(model, dbRelation);
    const { run } = hook(model, { unit: 'pg/2' });
    for (const [tool, args] of [
      ['secret-remove', [uri]],
      ['secret-grant', ['-r', String(dbRelation), uri]],
      ['secret-revoke', [uri, '--app', 'client']],
    ] as const) {
      expect(await run(tool, [...args])).toEqual({ exitCode: 1, stdout: '', stderr: 'ERROR this unit is not the leader\n' });
    }
    const stranger = hook(model, { unit: 'client/0' });
    expect(await stranger.run('secret-set', [uri, 'password=x'])).toMatchObject({ exitCode: 1, stderr: 'ERROR permission denied\n' });
    expect(await stranger.run('secret-info-get', [uri])).toMatchObject({ exitCode: 1, stderr: `ERROR secret "${uri.slice(7)}" not found\n` });
  });

  it('makes no revision for unchanged content and applies metadata changes', async () => {
    const { model, dbRelation } = buildModel();
    const uri = await sharedSecret(model, dbRelation);
    const id = uri.slice('secret:'.length);
    const { ctx, run } = hook(model, { unit: 'pg/0' });
    await run('secret-set', [uri, '--label', 'renamed', '--description', 'new', 'username=relation-5', 'password=first']);
    expect(ctx.commit().events).toEqual([]);
    expect(model.secrets[id]).toMatchObject({ label: 'renamed', description: 'new' });
    expect(model.secrets[id]!.revisions).toHaveLength(1);
    expect(await hook(model, { unit: 'pg/0' }).json('secret-info-get', ['--label', 'renamed'])).toEqual({
      [id]: {
        revision: 1,
        label: 'renamed',
        owner: 'application',
        description: 'new',
        access: [{ target: 'application-client', scope: 'relation-client.database#pg.database', role: 'view' }],
      },
    });
  });

  it('secret-info-get wants exactly one of URI and label', async () => {
    const { model } = buildModel();
    const { run } = hook(model, { unit: 'pg/0' });
    expect(await run('secret-info-get', ['secret:aaaaaaaaaaaaaaaaaaaa', '--label', 'x'])).toMatchObject({ exitCode: 2, stderr: 'ERROR specify either a secret URI or label but not both\n' });
    expect(await run('secret-info-get')).toMatchObject({ exitCode: 2, stderr: 'ERROR require either a secret URI or label\n' });
    expect(await run('secret-ids', ['--format=json'])).toEqual({ exitCode: 0, stdout: 'null\n', stderr: '' });
  });

  it('removes one revision or the whole secret on commit, and nothing on discard', async () => {
    const { model, dbRelation } = buildModel();
    const uri = await sharedSecret(model, dbRelation);
    const id = uri.slice('secret:'.length);
    const update = hook(model, { unit: 'pg/0' });
    await update.run('secret-set', [uri, 'username=u', 'password=p2']);
    update.ctx.commit();

    const dropRevision = hook(model, { unit: 'pg/0' });
    expect((await dropRevision.run('secret-remove', [uri, '--revision', '1'])).exitCode).toBe(0);
    expect(await dropRevision.run('secret-remove', [uri, '--revision', 'one'])).toMatchObject({ exitCode: 2, stderr: 'ERROR invalid value "one" for flag --revision: parse error\n' });
    dropRevision.ctx.commit();
    expect(model.secrets[id]!.revisions.map((r) => r.revision)).toEqual([2]);

    const failing = hook(model, { unit: 'pg/0' });
    await failing.run('secret-remove', [uri]);
    expect(await failing.json('secret-ids')).toBeNull();
    failing.ctx.discard();
    expect(model.secrets[id]).toBeDefined();

    const removing = hook(model, { unit: 'pg/0' });
    await removing.run('secret-remove', [uri]);
    removing.ctx.commit();
    expect(model.secrets[id]).toBeUndefined();
  });

  it('a secret added and removed in one hook never exists', async () => {
    const { model } = buildModel();
    const { ctx, run } = hook(model, { unit: 'pg/0' });
    const uri = (await run('secret-add', ['key=v'])).stdout.trim();
    await run('secret-set', [uri, 'key=w']);
    expect(await hook(model, { unit: 'pg/0' }).run('secret-get', [uri])).toMatchObject({ exitCode: 1 });
    await run('secret-remove', [uri]);
    ctx.commit();
    expect(model.secrets).toEqual({});
  });
});
