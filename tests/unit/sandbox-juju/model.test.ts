import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { charmMetaFromYaml } from '../../../sandbox/juju/charm-meta.ts';
import {
  addApplication,
  addRelation,
  addUnit,
  createModel,
  effectiveConfig,
  loadModel,
  ModelStore,
  ModelStoreError,
  modelPath,
  newSecretId,
  parseSecretUri,
  removeRelation,
  removeUnit,
  saveModel,
  SandboxModelError,
  setConfig,
  setLeader,
} from '../../../sandbox/juju/model.ts';
import { buildModel, CLIENT_METADATA, hook, PG_ACTIONS, PG_CONFIG, PG_METADATA } from './fixtures.ts';

describe('charm metadata', () => {
  it('reads endpoints, storage, containers, config and actions from the charm YAML files', () => {
    const meta = charmMetaFromYaml({ metadata: PG_METADATA, config: PG_CONFIG, actions: PG_ACTIONS });
    expect(meta.endpoints).toEqual({
      'database-peers': { role: 'peers', interface: 'postgresql_peers' },
      database: { role: 'provides', interface: 'postgresql_client' },
      certificates: { role: 'requires', interface: 'tls-certificates', limit: 1, optional: true },
    });
    expect(meta.storage).toEqual({ pgdata: { type: 'filesystem', location: '/var/lib/postgresql/data', multiple: false } });
    expect(meta.containers['postgresql']).toEqual({ resource: 'postgresql-image', mounts: [{ storage: 'pgdata', location: '/var/lib/postgresql/data' }] });
    expect(meta.config['memory_shared_buffers']).toEqual({ type: 'int', default: null });
    expect(meta.actions['set-password']).toMatchObject({ required: ['username'], additionalProperties: false });
  });

  it('rejects malformed files with a typed error', () => {
    expect(() => charmMetaFromYaml({ metadata: 'provides: [1, 2]' })).toThrow(SandboxModelError);
    expect(() => charmMetaFromYaml({ metadata: 'name: x', config: 'options: {a: {type: list}}' })).toThrow(/invalid config.yaml/);
  });
});

describe('topology', () => {
  it('gives a new application its peer relations and its first unit the leadership', () => {
    const { model, peerRelation } = buildModel();
    expect(model.relations.find((r) => r.id === peerRelation)).toMatchObject({ interface: 'postgresql_peers', endpoints: [{ app: 'pg', name: 'database-peers' }] });
    expect(model.applications['pg']!.leader).toBe('pg/0');
    expect(model.units['pg/2']!.storage).toEqual([{ id: 'pgdata/2', name: 'pgdata', kind: 'filesystem', location: '/var/lib/juju/storage/pgdata/2' }]);
    removeUnit(model, 'pg/0');
    expect(model.applications['pg']!.leader).toBeNull();
    expect(model.relations.every((r) => !r.scope.includes('pg/0'))).toBe(true);
    setLeader(model, 'pg', 'pg/2');
    expect(model.applications['pg']!.leader).toBe('pg/2');
    expect(() => setLeader(model, 'pg', 'client/0')).toThrow(/not a unit of "pg"/);
    expect(addUnit(model, 'pg').name).toBe('pg/3');
  });

  it('refuses relations Juju would refuse', () => {
    const model = createModel({ name: 'm' });
    const pg = charmMetaFromYaml({ metadata: PG_METADATA });
    addApplication(model, { name: 'pg', charm: pg });
    addApplication(model, { name: 'pg2', charm: pg });
    addApplication(model, { name: 'client', charm: charmMetaFromYaml({ metadata: CLIENT_METADATA }) });
    expect(() => addRelation(model, 'pg:database', 'pg2:database')).toThrow(/both endpoints have role "provides"/);
    expect(() => addRelation(model, 'pg:certificates', 'client:database')).toThrow(/interfaces differ/);
    expect(() => addRelation(model, 'pg:database-peers', 'pg2:database-peers')).toThrow(/peer relations/);
    expect(() => addRelation(model, 'pg:nope', 'client')).toThrow(/has no "nope" relation/);
    expect(() => addApplication(model, { name: 'Bad_Name', charm: pg })).toThrow(/invalid application name/);
    const relation = addRelation(model, 'client', 'pg');
    expect(relation.endpoints).toEqual([{ app: 'client', name: 'database' }, { app: 'pg', name: 'database' }]);
    expect(() => addRelation(model, 'pg:database', 'client:database')).toThrow(/already exists/);
    removeRelation(model, relation.id);
    expect(model.relations.some((r) => r.id === relation.id)).toBe(false);
  });

  it('enforces endpoint limits', () => {
    const model = createModel({ name: 'm' });
    const tls = charmMetaFromYaml({ metadata: 'name: tls\nprovides: {certificates: {interface: tls-certificates}}' });
    addApplication(model, { name: 'pg', charm: charmMetaFromYaml({ metadata: PG_METADATA }) });
    addApplication(model, { name: 'tls-a', charm: tls });
    addApplication(model, { name: 'tls-b', charm: tls });
    addRelation(model, 'pg:certificates', 'tls-a:certificates');
    expect(() => addRelation(model, 'pg:certificates', 'tls-b:certificates')).toThrow(/limit of 1/);
  });

  it('setConfig coerces operator strings, validates types and reports changed keys', () => {
    const { model } = buildModel();
    expect(setConfig(model, 'pg', { durability_wal_keep_size: '8192', cpu_wal_compression: 'false', synchronous_node_count: 'all' })).toEqual([
      'cpu_wal_compression',
      'durability_wal_keep_size',
    ]);
    expect(effectiveConfig(model.applications['pg']!)).toMatchObject({ durability_wal_keep_size: 8192, cpu_wal_compression: false });
    expect(() => setConfig(model, 'pg', { durability_wal_keep_size: '1.5' })).toThrow(/expected int/);
    expect(() => setConfig(model, 'pg', { nope: 'x' })).toThrow(/unknown option "nope"/);
    expect(setConfig(model, 'pg', { durability_wal_keep_size: null })).toEqual(['durability_wal_keep_size']);
    expect(effectiveConfig(model.applications['pg']!)['durability_wal_keep_size']).toBe(4096);
  });
});

describe('secret ids', () => {
  it('are 20-character xids in creation order and parse in every accepted form', () => {
    const a = newSecretId(new Date('2026-01-01T00:00:00Z'));
    const b = newSecretId(new Date('2026-01-01T00:00:01Z'));
    expect(a).toMatch(/^[0-9a-v]{19}[0g]$/);
    expect(a < b).toBe(true);
    expect(parseSecretUri(`secret:${a}`)).toBe(a);
    expect(parseSecretUri(`secret://11111111-2222-4333-8444-555555555555/${a}`)).toBe(a);
    expect(parseSecretUri(a)).toBe(a);
    expect(parseSecretUri('secret:short')).toBeNull();
    expect(parseSecretUri(`secret://${a}`)).toBeNull();
  });
});

describe('persistence', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'model-store-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips a model with relations, secrets and actions', async () => {
    const { model, dbRelation } = buildModel();
    const { ctx, run } = hook(model, { unit: 'pg/0' });
    await run('relation-set', ['-r', String(dbRelation), 'a=1']);
    const uri = (await run('secret-add', ['--label', 'x', 'key=value'])).stdout.trim();
    await run('secret-grant', ['-r', String(dbRelation), uri]);
    await run('state-set', ['k=v']);
    ctx.commit();
    await saveModel(dir, model);
    expect(await loadModel(dir)).toEqual(model);
    expect((await readdir(dir)).sort()).toEqual(['model.json']);
  });

  it('loads nothing from an empty directory and refuses a corrupt file', async () => {
    expect(await loadModel(dir)).toBeNull();
    await writeFile(modelPath(dir), '{"name": 5}');
    await expect(loadModel(dir)).rejects.toThrow(ModelStoreError);
    await writeFile(modelPath(dir), '{not json');
    await expect(loadModel(dir)).rejects.toThrow(/not valid/);
  });

  it('ModelStore writes saves in order and snapshots the model at save time', async () => {
    const store = new ModelStore(dir);
    const model = createModel({ name: 'm', uuid: 'u' });
    const saves: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) {
      model.nextActionId = i + 1;
      saves.push(store.save(model));
    }
    model.nextActionId = 999; // after the last save: must not reach disk
    await Promise.all(saves);
    const onDisk = JSON.parse(await readFile(modelPath(dir), 'utf8'));
    expect(onDisk.nextActionId).toBe(20);
    expect(await readdir(dir)).toEqual(['model.json']);
  });

  it('reports a save into an unusable directory as a typed error and leaves no temp file', async () => {
    const file = path.join(dir, 'not-a-dir');
    await writeFile(file, '');
    await expect(saveModel(file, createModel({ name: 'm' }))).rejects.toThrow(ModelStoreError);
    expect(await readdir(dir)).toEqual(['not-a-dir']);
  });
});
