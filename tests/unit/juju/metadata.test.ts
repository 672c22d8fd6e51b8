import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CharmMetadataError, loadCharmMetadata, parseCharmMetadata } from '../../../src/juju/metadata.ts';
import { ACTIONS_YAML, METADATA_YAML, referenceMetadata } from './charm-metadata.ts';

describe('parseCharmMetadata', () => {
  it('collects endpoints with their role, storages, containers and action names', () => {
    const metadata = referenceMetadata();
    expect(metadata.name).toBe('postgresql-k8s');
    expect(metadata.endpoints.get('database-peers')).toEqual({ role: 'peer', interface: 'postgresql_peers' });
    expect(metadata.endpoints.get('replication-offer')).toEqual({ role: 'provides', interface: 'postgresql_async', limit: 1, optional: true });
    expect(metadata.endpoints.get('s3-parameters')).toEqual({ role: 'requires', interface: 's3', limit: 1, optional: true });
    expect([...metadata.endpoints.keys()]).toHaveLength(10);
    expect(metadata.storages.get('pgdata')).toEqual({ type: 'filesystem', location: '/var/lib/postgresql/data' });
    expect(metadata.containers.get('postgresql')).toEqual({
      resource: 'postgresql-image',
      mounts: [{ storage: 'pgdata', location: '/var/lib/postgresql/data' }],
    });
    expect([...metadata.actions].sort()).toEqual(['create-backup', 'get-password', 'get-primary', 'set-password']);
  });

  it('accepts empty sections and no actions', () => {
    const metadata = parseCharmMetadata({ name: 'x', peers: null, containers: { c: null } });
    expect(metadata.endpoints.size).toBe(0);
    expect(metadata.containers.get('c')).toEqual({ mounts: [] });
    expect(metadata.actions.size).toBe(0);
  });

  it('rejects malformed metadata with a readable message', () => {
    expect(() => parseCharmMetadata({ requires: { db: { limit: 1 } } })).toThrow(/metadata.yaml is not valid:.*interface/s);
    expect(() => parseCharmMetadata({ storage: { data: { type: 'tape' } } })).toThrow(CharmMetadataError);
    expect(() => parseCharmMetadata({ peers: { x: { interface: 'a' } }, provides: { x: { interface: 'b' } } })).toThrow(
      'endpoint "x" is declared twice',
    );
    expect(() => parseCharmMetadata({}, ['not', 'a', 'map'])).toThrow(/actions.yaml is not valid/);
  });
});

describe('loadCharmMetadata', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'charm-meta-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads metadata.yaml and actions.yaml from the charm dir', async () => {
    await writeFile(join(dir, 'metadata.yaml'), METADATA_YAML);
    await writeFile(join(dir, 'actions.yaml'), ACTIONS_YAML);
    const metadata = await loadCharmMetadata(dir);
    expect(metadata.endpoints.get('database')?.role).toBe('provides');
    expect(metadata.actions.has('get-password')).toBe(true);
  });

  it('works without actions.yaml', async () => {
    await writeFile(join(dir, 'metadata.yaml'), METADATA_YAML);
    expect((await loadCharmMetadata(dir)).actions.size).toBe(0);
  });

  it('falls back to a unified charmcraft.yaml', async () => {
    await writeFile(join(dir, 'charmcraft.yaml'), `${METADATA_YAML}\nactions:\n  get-primary:\n    description: x\n`);
    const metadata = await loadCharmMetadata(dir);
    expect(metadata.storages.has('pgdata')).toBe(true);
    expect([...metadata.actions]).toEqual(['get-primary']);
  });

  it('fails clearly when there is no metadata or it is not YAML', async () => {
    await expect(loadCharmMetadata(dir)).rejects.toThrow(/neither metadata.yaml nor charmcraft.yaml/);
    await writeFile(join(dir, 'metadata.yaml'), 'name: [unclosed');
    await expect(loadCharmMetadata(dir)).rejects.toMatchObject({ code: 'invalid-charm-metadata', message: 'metadata.yaml is not valid YAML' });
  });
});
