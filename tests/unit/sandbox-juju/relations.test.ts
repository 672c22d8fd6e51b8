import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { addUnit, enterScope, markRelationDying, removeUnit } from '../../../sandbox/juju/model.ts';
import { addressBag, buildModel, hook } from './fixtures.ts';

function relationHook(unit: string, relationId: number, endpoint: string, remoteUnit: string, remoteApp: string, kind = 'changed') {
  return { unit, hookName: `${endpoint}-relation-${kind}`, relationId, remoteUnit, remoteApp };
}

describe('relation-ids and relation-list', () => {
  it('default to the hook relation and list sorted remote units in scope', async () => {
    const { model, dbRelation, peerRelation } = buildModel();
    const { json, run } = hook(model, relationHook('pg/1', dbRelation, 'database', 'client/0', 'client'));
    expect(await json('relation-ids')).toEqual([`database:${dbRelation}`]);
    expect(await json('relation-ids', ['database-peers'])).toEqual([`database-peers:${peerRelation}`]);
    expect(await json('relation-ids', ['certificates'])).toEqual([]);
    expect(await json('relation-list')).toEqual(['client/0', 'client/1']);
    expect(await json('relation-list', ['-r', `database-peers:${peerRelation}`])).toEqual(['pg/0', 'pg/2']);
    expect(await json('relation-list', ['--app', '-r', String(dbRelation)])).toBe('client');
    expect((await run('relation-list', ['--app'])).stdout).toBe('client\n');
  });

  it('need an endpoint or relation outside relation hooks', async () => {
    const { model } = buildModel();
    const { run } = hook(model, { unit: 'pg/0', hookName: 'update-status' });
    expect(await run('relation-ids')).toEqual({ exitCode: 2, stdout: '', stderr: 'ERROR no endpoint name specified\n' });
    expect(await run('relation-list')).toEqual({ exitCode: 2, stdout: '', stderr: 'ERROR no relation id specified\n' });
  });

  it('validate -r while parsing flags, so a dead relation is a usage error ops reads as relation not found', async () => {
    const { model } = buildModel();
    const { run } = hook(model, { unit: 'pg/0' });
    const unknown = await run('relation-list', ['-r', 'database:99']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toBe('ERROR invalid value "database:99" for flag -r: relation not found\n');
    const garbage = await run('relation-get', ['--relation', 'db:x', '-', 'client/0']);
    expect(garbage).toMatchObject({ exitCode: 2, stderr: 'ERROR invalid value "db:x" for flag --relation: invalid relation id\n' });
    // A client application's unit cannot address the pg peer relation.
    const { model: m2, peerRelation } = buildModel();
    const client = hook(m2, { unit: 'client/0' });
    expect((await client.run('relation-get', ['-r', String(peerRelation), '-', 'pg/0'])).stderr).toContain('relation not found');
  });

  it('leave out the broken relation in its -relation-broken hook', async () => {
    const { model, dbRelation } = buildModel();
    markRelationDying(model, dbRelation);
    const { json } = hook(model, { unit: 'pg/0', hookName: 'database-relation-broken', relationId: dbRelation, remoteApp: 'client' });
    expect(await json('relation-ids', ['database'])).toEqual([]);
  });
});

describe('entering a relation scope', () => {
  it("puts Juju's own addresses in the unit's bag, peer and non-peer, keeping keys already there", async () => {
    const { model, dbRelation, peerRelation } = buildModel();
    const peer = model.relations.find((r) => r.id === peerRelation)!;
    const db = model.relations.find((r) => r.id === dbRelation)!;
    expect(peer.unitData['pg/1']).toEqual({ 'private-address': '10.0.0.2', 'ingress-address': '10.0.0.2', 'egress-subnets': '10.0.0.2/32' });
    expect(db.unitData['client/1']).toEqual(addressBag('10.0.1.2'));
    // The unit sees its own bag, and the others see it, before any relation hook has run.
    const own = hook(model, relationHook('pg/0', peerRelation, 'database-peers', 'pg/1', 'pg'));
    expect(await own.json('relation-get', ['-', 'pg/0'])).toEqual(addressBag('10.0.0.1'));
    expect(await own.json('relation-get', ['ingress-address'])).toBe('10.0.0.2');
    // Entering again (a unit written to in relation-created) keeps what the charm wrote.
    db.unitData['pg/2'] = { extra: 'kept' };
    db.scope = db.scope.filter((u) => u !== 'pg/2');
    enterScope(model, dbRelation, 'pg/2');
    expect(db.unitData['pg/2']).toEqual({ extra: 'kept', ...addressBag('10.0.0.3') });
  });

  it('writes a /128 egress subnet for an IPv6 address', () => {
    const { model, peerRelation } = buildModel();
    const unit = addUnit(model, 'pg', { address: 'fd00::5' });
    enterScope(model, peerRelation, unit.name);
    expect(model.relations.find((r) => r.id === peerRelation)!.unitData[unit.name]).toEqual({
      'private-address': 'fd00::5',
      'ingress-address': 'fd00::5',
      'egress-subnets': 'fd00::5/128',
    });
  });
});

describe('relation-get', () => {
  it('reads the remote unit by default and the remote app with --app', async () => {
    const { model, dbRelation } = buildModel();
    const relation = model.relations.find((r) => r.id === dbRelation)!;
    relation.unitData['client/0'] = { 'private-address': '10.0.1.1' };
    relation.appData['client'] = { database: 'app', 'requested-secrets': '["username"]' };
    const { json, run } = hook(model, relationHook('pg/0', dbRelation, 'database', 'client/0', 'client'));
    expect(await json('relation-get')).toEqual({ 'private-address': '10.0.1.1' });
    expect(await json('relation-get', ['private-address'])).toBe('10.0.1.1');
    expect(await json('relation-get', ['nope'])).toBeNull();
    expect(await json('relation-get', ['--app'])).toEqual({ database: 'app', 'requested-secrets': '["username"]' });
    expect(await json('relation-get', ['-r', `database:${dbRelation}`, '--app', '-', 'client/1'])).toEqual({ database: 'app', 'requested-secrets': '["username"]' });
    expect(await json('relation-get', ['-', 'client/1'])).toEqual(addressBag('10.0.1.2'));
    expect((await run('relation-get', ['database'])).stdout).toBe('');
    expect(await run('relation-get', ['-', 'client'])).toMatchObject({ exitCode: 2, stderr: 'ERROR expected unit name, got application name "client"\n' });
    expect(await run('relation-get', ['-', 'Not_A_Unit'])).toMatchObject({ exitCode: 2, stderr: 'ERROR invalid unit name "Not_A_Unit"\n' });
  });

  it('falls back to the remote application when the hook has no remote unit', async () => {
    const { model, dbRelation } = buildModel();
    model.relations.find((r) => r.id === dbRelation)!.appData['client'] = { database: 'app' };
    const { json, run } = hook(model, { unit: 'pg/0', hookName: 'database-relation-created', relationId: dbRelation, remoteApp: 'client' });
    expect(await json('relation-get')).toEqual({ database: 'app' });
    const outside = hook(model, { unit: 'pg/0' });
    expect(await outside.run('relation-get', ['-r', String(dbRelation)])).toMatchObject({ exitCode: 2, stderr: 'ERROR no unit or application specified\n' });
    expect((await run('relation-get', ['-r', String(dbRelation), '--app', '-', 'pg'])).exitCode).toBe(0);
  });

  it('lets only the leader read its own application bucket, except in a peer relation', async () => {
    const { model, dbRelation, peerRelation } = buildModel();
    model.relations.find((r) => r.id === dbRelation)!.appData['pg'] = { endpoints: 'pg-primary:5432' };
    model.relations.find((r) => r.id === peerRelation)!.appData['pg'] = { 'cluster-initialised': 'true' };
    const peer = hook(model, { unit: 'pg/2', hookName: 'database-peers-relation-changed', relationId: peerRelation, remoteApp: 'pg' });
    expect(await peer.json('relation-get', ['--app'])).toEqual({ 'cluster-initialised': 'true' });
    expect(await peer.run('relation-set', ['--app', 'x=y'])).toMatchObject({ exitCode: 1, stderr: 'ERROR cannot write relation settings\n' });
    const follower = hook(model, { unit: 'pg/1' });
    const refused = await follower.run('relation-get', ['--format=json', '-r', String(dbRelation), '--app', '-', 'pg']);
    expect(refused).toEqual({ exitCode: 1, stdout: '', stderr: 'ERROR permission denied\n' });
    const leader = hook(model, { unit: 'pg/0' });
    expect(await leader.json('relation-get', ['-r', String(dbRelation), '--app', '-', 'pg'])).toEqual({ endpoints: 'pg-primary:5432' });
  });
});

describe('relation-set', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('is pending until commit, visible to the writer at once, and tells the remote units', async () => {
    const { model, dbRelation } = buildModel();
    const writer = hook(model, relationHook('pg/0', dbRelation, 'database', 'client/0', 'client'));
    const set = await writer.run('relation-set', ['-r', `database:${dbRelation}`, '--file', '-'], JSON.stringify({ endpoints: 'pg:5432', 'read-only': '' }));
    expect(set).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    expect(await writer.json('relation-get', ['-', 'pg/0'])).toEqual({ ...addressBag('10.0.0.1'), endpoints: 'pg:5432' });
    // Another unit's context reads the controller's copy, which does not have it yet.
    const reader = hook(model, relationHook('client/0', dbRelation, 'database', 'pg/0', 'pg'));
    expect(await reader.json('relation-get')).toEqual(addressBag('10.0.0.1'));
    const { events } = writer.ctx.commit();
    expect(await reader.json('relation-get')).toEqual({ ...addressBag('10.0.0.1'), endpoints: 'pg:5432' });
    expect(events).toEqual([
      { kind: 'relation-changed', hook: 'database-relation-changed', unit: 'client/0', relationId: dbRelation, remoteUnit: 'pg/0', remoteApp: 'pg' },
      { kind: 'relation-changed', hook: 'database-relation-changed', unit: 'client/1', relationId: dbRelation, remoteUnit: 'pg/0', remoteApp: 'pg' },
    ]);
  });

  it('is dropped by discard', async () => {
    const { model, dbRelation } = buildModel();
    const before = structuredClone(model);
    const writer = hook(model, { unit: 'pg/0' });
    await writer.run('relation-set', ['-r', String(dbRelation), 'a=1']);
    await writer.run('relation-set', ['-r', String(dbRelation), '--app', 'b=2']);
    expect(writer.ctx.discard().events).toEqual([]);
    expect(model).toEqual(before);
  });

  it('refuses --app to a non-leader with the text ops keys on', async () => {
    const { model, dbRelation } = buildModel();
    const { run } = hook(model, { unit: 'pg/2' });
    expect(await run('relation-set', ['-r', String(dbRelation), '--app', 'x=y'])).toEqual({ exitCode: 1, stdout: '', stderr: 'ERROR cannot write relation settings\n' });
  });

  it('merges app data, deletes empty values and only reports real changes', async () => {
    const { model, dbRelation } = buildModel();
    model.relations.find((r) => r.id === dbRelation)!.appData['pg'] = { keep: 'k', drop: 'd' };
    const leader = hook(model, { unit: 'pg/0' });
    await leader.run('relation-set', ['-r', String(dbRelation), '--app', 'drop=', 'new=n']);
    expect(await leader.json('relation-get', ['-r', String(dbRelation), '--app', '-', 'pg'])).toEqual({ keep: 'k', new: 'n' });
    const { events } = leader.ctx.commit();
    expect(model.relations.find((r) => r.id === dbRelation)!.appData['pg']).toEqual({ keep: 'k', new: 'n' });
    expect(events.map((e) => [e.unit, e.kind === 'relation-changed' && e.remoteUnit])).toEqual([
      ['client/0', null],
      ['client/1', null],
    ]);
    const again = hook(model, { unit: 'pg/0' });
    await again.run('relation-set', ['-r', String(dbRelation), '--app', 'keep=k']);
    expect(again.ctx.commit().events).toEqual([]);
  });

  it('tells the other peers about a peer bucket change', async () => {
    const { model, peerRelation } = buildModel();
    const { ctx, run } = hook(model, { unit: 'pg/1' });
    await run('relation-set', ['-r', String(peerRelation), 'member=pg-1']);
    expect(ctx.commit().events.map((e) => [e.hook, e.unit])).toEqual([
      ['database-peers-relation-changed', 'pg/0'],
      ['database-peers-relation-changed', 'pg/2'],
    ]);
  });

  it("gives the leader of a single-unit application relation-changed for its own peer app bag write, as Juju 3.6 does", async () => {
    const { model, peerRelation, dbRelation } = buildModel();
    // Three units: the leader's peer app write reaches the other two, not itself.
    const many = hook(model, { unit: 'pg/0' });
    await many.run('relation-set', ['-r', String(peerRelation), '--app', 'state=one']);
    expect(many.ctx.commit().events.map((e) => [e.hook, e.unit])).toEqual([
      ['database-peers-relation-changed', 'pg/1'],
      ['database-peers-relation-changed', 'pg/2'],
    ]);
    removeUnit(model, 'pg/1');
    removeUnit(model, 'pg/2');
    const single = hook(model, { unit: 'pg/0' });
    await single.run('relation-set', ['-r', String(peerRelation), '--app', 'state=two']);
    expect(single.ctx.commit().events).toEqual([
      { kind: 'relation-changed', hook: 'database-peers-relation-changed', unit: 'pg/0', relationId: peerRelation, remoteUnit: null, remoteApp: 'pg' },
    ]);
    // Not for its own unit bag, not for a non-peer app bag, and not when nothing changed.
    const others = hook(model, { unit: 'pg/0' });
    await others.run('relation-set', ['-r', String(peerRelation), 'member=pg-0']);
    await others.run('relation-set', ['-r', String(dbRelation), '--app', 'endpoints=pg:5432']);
    await others.run('relation-set', ['-r', String(peerRelation), '--app', 'state=two']);
    expect(others.ctx.commit().events.map((e) => [e.hook, e.unit])).toEqual([
      ['database-relation-changed', 'client/0'],
      ['database-relation-changed', 'client/1'],
    ]);
  });

  it('reads YAML files relative to the tool cwd; arguments override the file', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'relset-'));
    await writeFile(path.join(dir, 'data.yaml'), 'port: 5432\nname: from-file\nflag: true\n');
    const { model, dbRelation } = buildModel();
    const { json, run } = hook(model, { unit: 'pg/0' }, dir);
    expect((await run('relation-set', ['-r', String(dbRelation), '--file', 'data.yaml', 'name=from-arg'])).exitCode).toBe(0);
    expect(await json('relation-get', ['-r', String(dbRelation), '-', 'pg/0'])).toEqual({ ...addressBag('10.0.0.1'), port: '5432', name: 'from-arg', flag: 'true' });
    const missing = await run('relation-set', ['-r', String(dbRelation), '--file', 'nope.yaml']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toBe(`ERROR open ${path.join(dir, 'nope.yaml')}: no such file or directory\n`);
    const nested = await run('relation-set', ['-r', String(dbRelation), '--file', '-'], 'a: {b: c}\n');
    expect(nested.exitCode).toBe(1);
    expect(nested.stderr).toContain('cannot unmarshal !!map into string');
  });

  it('rejects malformed and duplicate key=value arguments as usage errors', async () => {
    const { model, dbRelation } = buildModel();
    const { run } = hook(model, { unit: 'pg/0' });
    expect(await run('relation-set', ['-r', String(dbRelation), 'novalue'])).toMatchObject({ exitCode: 2, stderr: 'ERROR expected "key=value", got "novalue"\n' });
    expect(await run('relation-set', ['-r', String(dbRelation), 'a=1', 'a=2'])).toMatchObject({ exitCode: 2, stderr: 'ERROR key "a" specified more than once\n' });
    expect(await run('relation-set', ['a=1'])).toMatchObject({ exitCode: 2, stderr: 'ERROR no relation id specified\n' });
  });

  it('escapes HTML characters in JSON output as Go does', async () => {
    const { model, dbRelation } = buildModel();
    const { run } = hook(model, { unit: 'pg/0' });
    await run('relation-set', ['-r', String(dbRelation), 'q=<a & b>']);
    const out = await run('relation-get', ['--format=json', '-r', String(dbRelation), 'q', 'pg/0']);
    expect(out.stdout).toBe('"\\u003ca \\u0026 b\\u003e"\n');
    expect(JSON.parse(out.stdout)).toBe('<a & b>');
  });

  it('relation-model-get prints the model uuid', async () => {
    const { model, dbRelation } = buildModel();
    const { json } = hook(model, { unit: 'pg/0' });
    expect(await json('relation-model-get', ['-r', `database:${dbRelation}`])).toEqual({ uuid: model.uuid });
  });
});
