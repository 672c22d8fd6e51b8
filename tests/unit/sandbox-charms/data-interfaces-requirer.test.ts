import { describe, expect, it } from 'vitest';
import {
  DatabaseRequirer,
  DEFAULT_REQUESTED_SECRETS,
  diffBags,
  eventsForDiff,
  secretLabel,
  type DatabaseRequirerEvent,
} from '../../../sandbox/charms/lib/data-interfaces-requirer.ts';
import { decodeDict, pythonJsonDumps } from '../../../sandbox/charms/lib/python-json.ts';
import { twoApps, type TwoApps } from './two-apps.ts';

const CLIENT = 'client';
const PG = 'pg';
const options = { endpoint: 'database', database: 'client_database' };

function setup(units = 1): TwoApps {
  return twoApps({
    requirer: { app: CLIENT, endpoint: 'database', units },
    provider: { app: PG, endpoint: 'database', units: 1 },
    interfaceName: 'postgresql_client',
  });
}

const ref = (world: TwoApps) => ({ endpoint: 'database', id: world.relationId });
const providerRef = (world: TwoApps) => ({ endpoint: 'database', id: world.relationId });

/** What a data_interfaces provider writes: secrets owned by its app, labelled and granted, then the bag. */
async function provide(world: TwoApps, fields: { user?: Record<string, string>; plain?: Record<string, string> }): Promise<string | undefined> {
  return world.hook(`${PG}/0`, { hookName: 'database-relation-changed', relationId: world.relationId, remoteApp: CLIENT }, async (tools) => {
    let uri: string | undefined;
    const bag: Record<string, string> = { ...fields.plain };
    if (fields.user !== undefined) {
      uri = await tools.secretAdd(fields.user, { owner: 'application', label: `database.${world.relationId}.user.secret` });
      await tools.secretGrant(uri, world.relationId);
      bag['secret-user'] = uri;
    }
    await tools.relationSet(providerRef(world), bag, { app: true });
    return uri;
  });
}

async function changed(world: TwoApps, unit: string): Promise<DatabaseRequirerEvent['kind'][]> {
  return world.hook(unit, { hookName: 'database-relation-changed', relationId: world.relationId, remoteApp: PG, remoteUnit: `${PG}/0` }, async (tools) =>
    (await new DatabaseRequirer(tools, options).relationChanged(ref(world), PG)).map((event) => event.kind),
  );
}

function created(world: TwoApps, unit: string, extra: Partial<typeof options> & { extraUserRoles?: string; externalNodeConnectivity?: boolean } = {}) {
  return world.hook(unit, { hookName: 'database-relation-created', relationId: world.relationId, remoteApp: PG }, (tools) =>
    new DatabaseRequirer(tools, { ...options, ...extra }).relationCreated(ref(world)),
  );
}

function onClient<T>(world: TwoApps, unit: string, body: (db: DatabaseRequirer) => Promise<T>): Promise<T> {
  return world.hook(unit, { hookName: 'update-status' }, (tools) => body(new DatabaseRequirer(tools, options)));
}

describe('data_interfaces requirer: relation-created', () => {
  it('the leader writes requested-secrets and provided-secrets into its app and unit bags, and the database into the app bag', async () => {
    const world = setup(2);
    expect(await created(world, `${CLIENT}/0`)).toBe(true);
    const requested = '["username", "password", "tls", "tls-ca", "uris", "read-only-uris", "entity-name", "entity-password"]';
    expect(world.appBag(CLIENT)).toEqual({ 'requested-secrets': requested, 'provided-secrets': '["mtls-cert"]', database: 'client_database' });
    expect(world.unitBag(`${CLIENT}/0`)).toMatchObject({ 'requested-secrets': requested, 'provided-secrets': '["mtls-cert"]' });
    expect(world.unitBag(`${CLIENT}/0`)).not.toHaveProperty('database');
  });

  it('a non-leader writes nothing', async () => {
    const world = setup(2);
    expect(await created(world, `${CLIENT}/1`)).toBe(false);
    expect(world.appBag(CLIENT)).toEqual({});
    expect(Object.keys(world.unitBag(`${CLIENT}/1`)).sort()).toEqual(['egress-subnets', 'ingress-address', 'private-address']);
  });

  it('extra-user-roles only when non-empty; external-node-connectivity only when asked', async () => {
    const plain = setup();
    await created(plain, `${CLIENT}/0`, { extraUserRoles: '' });
    expect(plain.appBag(CLIENT)).not.toHaveProperty('extra-user-roles');
    expect(plain.appBag(CLIENT)).not.toHaveProperty('external-node-connectivity');

    const rich = setup();
    await created(rich, `${CLIENT}/0`, { extraUserRoles: 'CREATEDB,CREATEROLE', externalNodeConnectivity: true });
    expect(rich.appBag(CLIENT)).toMatchObject({ 'extra-user-roles': 'CREATEDB,CREATEROLE', 'external-node-connectivity': 'true' });
  });

  it('an empty database name writes no database key (relation-set deletes it)', async () => {
    const world = setup();
    await created(world, `${CLIENT}/0`, { database: '' });
    expect(world.appBag(CLIENT)).not.toHaveProperty('database');
  });
});

describe('data_interfaces requirer: relation-changed', () => {
  it('database-created fires once, on each unit, when secret-user appears; the unit bag keeps the snapshot', async () => {
    const world = setup(2);
    await created(world, `${CLIENT}/0`);
    expect(await changed(world, `${CLIENT}/0`)).toEqual([]); // nothing from the provider yet
    const uri = await provide(world, {
      user: { username: 'relation_id_0', password: 'pw1', uris: 'postgresql://relation_id_0:pw1@pg-primary:5432/client_database' },
      plain: { endpoints: 'pg-primary:5432', 'read-only-endpoints': 'pg-replicas:5432', version: '14.23', database: 'client_database', data: '{"database": "client_database"}' },
    });
    expect(await changed(world, `${CLIENT}/0`)).toEqual(['database-created']);
    expect(await changed(world, `${CLIENT}/1`)).toEqual(['database-created']);
    expect(await changed(world, `${CLIENT}/0`)).toEqual([]);
    expect(await changed(world, `${CLIENT}/1`)).toEqual([]);

    const snapshot = world.unitBag(`${CLIENT}/0`)['data'];
    expect(snapshot).toBe(
      pythonJsonDumps({ database: 'client_database', endpoints: 'pg-primary:5432', 'read-only-endpoints': 'pg-replicas:5432', 'secret-user': uri!, version: '14.23' }),
    );
    expect(decodeDict(snapshot)).not.toHaveProperty('data');
  });

  it('registers the secret under the consumer label <endpoint>.<id>.user.secret as it appears', async () => {
    const world = setup();
    await created(world, `${CLIENT}/0`);
    const uri = await provide(world, { user: { username: 'u', password: 'p' }, plain: { endpoints: 'h:5432' } });
    await changed(world, `${CLIENT}/0`);
    const secret = Object.values(world.model.secrets).find((s) => uri?.endsWith(s.id))!;
    expect(secret.consumers[`${CLIENT}/0`]?.label).toBe(secretLabel(ref(world), 'user'));
    expect(secretLabel(ref(world), 'tls')).toBe(`database.${world.relationId}.tls.secret`);
  });

  it('later endpoint changes fire endpoints-changed or read-only-endpoints-changed, one event per hook', async () => {
    const world = setup();
    await created(world, `${CLIENT}/0`);
    await provide(world, { user: { username: 'u', password: 'p' }, plain: { endpoints: 'a:5432', 'read-only-endpoints': 'b:5432' } });
    expect(await changed(world, `${CLIENT}/0`)).toEqual(['database-created']);

    await provide(world, { plain: { 'read-only-endpoints': 'b:5432,c:5432' } });
    expect(await changed(world, `${CLIENT}/0`)).toEqual(['read-only-endpoints-changed']);

    await provide(world, { plain: { endpoints: 'c:5432', 'read-only-endpoints': 'a:5432' } });
    expect(await changed(world, `${CLIENT}/0`)).toEqual(['endpoints-changed']);

    await provide(world, { plain: { version: '14.24' } });
    expect(await changed(world, `${CLIENT}/0`)).toEqual([]);
  });

  it('credentials and endpoints in one provider hook give database-created alone', async () => {
    const world = setup();
    await created(world, `${CLIENT}/0`);
    await provide(world, { user: { username: 'u', password: 'p' }, plain: { endpoints: 'a:5432', 'read-only-endpoints': 'b:5432' } });
    expect(await changed(world, `${CLIENT}/0`)).toEqual(['database-created']);
  });

  it('endpoints written before the credentials fire endpoints-changed first, then database-created', async () => {
    const world = setup();
    await created(world, `${CLIENT}/0`);
    await provide(world, { plain: { endpoints: 'a:5432' } });
    expect(await changed(world, `${CLIENT}/0`)).toEqual(['endpoints-changed']);
    await provide(world, { user: { username: 'u', password: 'p' } });
    expect(await changed(world, `${CLIENT}/0`)).toEqual(['database-created']);
  });

  it('a provider without secrets: database-created when username and password arrive together', async () => {
    const world = setup();
    await created(world, `${CLIENT}/0`);
    await provide(world, { plain: { username: 'u' } });
    expect(await changed(world, `${CLIENT}/0`)).toEqual([]);
    await provide(world, { plain: { password: 'p' } });
    // password added alone: the library needs both in one diff, so nothing fires.
    expect(await changed(world, `${CLIENT}/0`)).toEqual([]);
    expect(await onClient(world, `${CLIENT}/0`, (db) => db.isResourceCreated(ref(world), PG))).toBe(true);
  });

  it('status codes raised and resolved by the provider', async () => {
    const world = setup();
    await created(world, `${CLIENT}/0`);
    await provide(world, { plain: { status: '[{"code": 7, "message": "m", "resolution": "r"}]' } });
    const raised = await world.hook(`${CLIENT}/0`, { hookName: 'database-relation-changed', relationId: world.relationId, remoteApp: PG }, (tools) =>
      new DatabaseRequirer(tools, options).relationChanged(ref(world), PG),
    );
    expect(raised).toEqual([{ kind: 'status-raised', relation: ref(world), status: { code: 7, message: 'm', resolution: 'r' } }]);
    await provide(world, { plain: { status: '[]' } });
    const resolved = await world.hook(`${CLIENT}/0`, { hookName: 'database-relation-changed', relationId: world.relationId, remoteApp: PG }, (tools) =>
      new DatabaseRequirer(tools, options).relationChanged(ref(world), PG),
    );
    expect(resolved.map((e) => e.kind)).toEqual(['status-resolved']);
  });
});

describe('data_interfaces requirer: fetch', () => {
  it('resolves secret fields by URI and reads the latest revision (--refresh)', async () => {
    const world = setup();
    await created(world, `${CLIENT}/0`);
    const uri = await provide(world, {
      user: { username: 'relation_id_0', password: 'first', uris: 'postgresql://x' },
      plain: { endpoints: 'a:5432', version: '14.23', database: 'client_database' },
    });
    await changed(world, `${CLIENT}/0`);
    const data = await onClient(world, `${CLIENT}/0`, (db) => db.fetch(ref(world), undefined, PG));
    expect(data).toEqual({ username: 'relation_id_0', password: 'first', uris: 'postgresql://x', endpoints: 'a:5432', version: '14.23', database: 'client_database' });

    await world.hook(`${PG}/0`, { hookName: 'update-status' }, (tools) => tools.secretSet(uri!, { content: { username: 'relation_id_0', password: 'second', uris: 'postgresql://y' } }));
    expect(await onClient(world, `${CLIENT}/0`, (db) => db.fetchField(ref(world), 'password', PG))).toBe('second');
  });

  it('reads the secret by URI on a unit that never saw it appear (no label yet), and labels it', async () => {
    const world = setup(2);
    await created(world, `${CLIENT}/0`);
    const uri = await provide(world, { user: { username: 'u', password: 'p' } });
    expect(await onClient(world, `${CLIENT}/1`, (db) => db.fetch(ref(world), ['username', 'password'], PG))).toEqual({ username: 'u', password: 'p' });
    const secret = Object.values(world.model.secrets).find((s) => uri?.endsWith(s.id))!;
    expect(secret.consumers[`${CLIENT}/1`]?.label).toBe(`database.${world.relationId}.user.secret`);
  });

  it('falls back to plain databag fields when the group has no secret', async () => {
    const world = setup();
    await created(world, `${CLIENT}/0`);
    await provide(world, { plain: { username: 'u', password: 'p', endpoints: 'a:5432' } });
    expect(await onClient(world, `${CLIENT}/0`, (db) => db.fetch(ref(world), undefined, PG))).toEqual({ username: 'u', password: 'p', endpoints: 'a:5432' });
  });

  it('uses the requested-secrets list in its unit bag over its own', async () => {
    const world = setup();
    await world.hook(`${CLIENT}/0`, { hookName: 'database-relation-created', relationId: world.relationId }, (tools) =>
      new DatabaseRequirer(tools, { ...options, requestedSecrets: ['username', 'password'] }).relationCreated(ref(world)),
    );
    expect(world.unitBag(`${CLIENT}/0`)['requested-secrets']).toBe('["username", "password"]');
    // provided-secrets: every known secret field we did not request.
    expect(world.unitBag(`${CLIENT}/0`)['provided-secrets']).toBe('["uris", "read-only-uris", "tls", "tls-ca", "mtls-cert", "entity-name", "entity-password"]');
    // uris is not requested: it is read from the bag even though secret-user holds one.
    await provide(world, { user: { username: 'u', password: 'p', uris: 'in-secret' }, plain: { uris: 'in-bag' } });
    expect(await onClient(world, `${CLIENT}/0`, (db) => db.fetch(ref(world), ['username', 'uris'], PG))).toEqual({ username: 'u', uris: 'in-bag' });
  });
});

describe('data_interfaces requirer: pure parts', () => {
  it('diffBags: added, changed, deleted; data is never part of the snapshot', () => {
    const { diff, snapshot } = diffBags({ a: '1', b: '2', gone: 'x' }, { a: '1', b: '3', c: '4', data: '{}' });
    expect(diff).toEqual({ added: new Set(['c']), changed: new Set(['b']), deleted: new Set(['gone']) });
    expect(snapshot).toEqual({ a: '1', b: '3', c: '4' });
  });

  it('eventsForDiff: database-created wins; an entity request never gets it', () => {
    const diff = { added: new Set(['secret-user', 'endpoints']), changed: new Set<string>(), deleted: new Set<string>() };
    expect(eventsForDiff(diff, {})).toEqual(['database-created']);
    expect(eventsForDiff(diff, { 'entity-type': 'USER' })).toEqual(['endpoints-changed']);
  });

  it('pythonJsonDumps writes what json.dumps writes', () => {
    expect(pythonJsonDumps(DEFAULT_REQUESTED_SECRETS)).toBe('["username", "password", "tls", "tls-ca", "uris", "read-only-uris", "entity-name", "entity-password"]');
    expect(pythonJsonDumps({ a: 'é"\n', b: '' })).toBe('{"a": "\\u00e9\\"\\n", "b": ""}');
    expect(pythonJsonDumps([])).toBe('[]');
  });
});
