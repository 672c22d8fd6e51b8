import { describe, expect, it } from 'vitest';
import { parseCharmConfigOrThrow } from '../../../../src/config/index.ts';
import type { ClientRelation } from '../../../../src/relations/client-relations.ts';
import type { ClientLeaderContext } from '../../../../src/relations/endpoint-kind.ts';
import { legacyEndpointKind, publishLegacyUnitBags } from '../../../../src/relations/legacy/provider.ts';
import { SHARED_CREDENTIALS_FIELD } from '../../../../src/relations/legacy/shared-credentials.ts';
import type { RelationUserRecord } from '../../../../src/state/relation-users.ts';

const REQUEST = { database: 'mattermost', extensions: 'pg_trgm:public,unaccent:public' };

function relation(overrides: Partial<ClientRelation> = {}): ClientRelation {
  return {
    id: 4,
    endpoint: 'db',
    remoteApp: 'mattermost',
    remoteAppBag: REQUEST,
    remoteUnitBags: { 'mattermost/0': { ...REQUEST, 'egress-subnets': '10.0.0.5/32' } },
    localAppBag: {},
    localUnitBag: {},
    ...overrides,
  };
}

function world(config: Record<string, unknown>, relations: ClientRelation[], admitted = true) {
  const state = {
    secret: {} as Record<string, string>,
    writes: [] as { id: number; app: boolean; changes: Record<string, string> }[],
    sql: [] as string[],
    book: {} as Record<string, RelationUserRecord>,
    logs: [] as string[],
  };
  const deps = {
    appName: 'postgresql-k8s',
    modelName: 'prod',
    unitName: 'postgresql-k8s/0',
    tools: {
      relationSet: async (ref: { id: number }, changes: Readonly<Record<string, string>>, options: { app?: boolean } = {}) => {
        state.writes.push({ id: ref.id, app: options.app === true, changes: { ...changes } });
      },
    },
    secrets: {
      get: async (_scope: string, field: string) => state.secret[field],
      set: async (_scope: string, fields: Record<string, string | undefined>) => {
        for (const [key, value] of Object.entries(fields)) {
          if (value) state.secret[key] = value;
          else delete state.secret[key];
        }
      },
    },
    logger: { info: () => undefined, debug: () => undefined, warn: (...args: unknown[]) => void state.logs.push(String(args.at(-1))), error: () => undefined },
  };
  const context = {
    deps,
    snapshot: { relations },
    config: parseCharmConfigOrThrow(config),
    peerUnits: [],
    tls: false,
    postgresql: {
      createUser: async (user: string, options: { admin?: boolean; extraUserRoles?: readonly string[] }) => {
        state.sql.push(`CREATE USER ${user}${options.admin ? ' SUPERUSER' : ''} IN ${options.extraUserRoles?.join(',')}`);
      },
      createDatabase: async (database: string, user: string, options: { plugins?: readonly string[] }) => {
        state.sql.push(`CREATE DATABASE ${database} FOR ${user} WITH ${options.plugins?.join(',')}`);
      },
      getPostgreSQLVersion: async () => '15.18',
    },
    book: {
      get users() {
        return state.book;
      },
      set: async (user: string, record: RelationUserRecord) => {
        state.book[user] = record;
      },
      delete: async (user: string) => {
        delete state.book[user];
      },
    },
    usersAdmitted: async () => admitted,
  } as unknown as ClientLeaderContext;
  return { state, context, deps };
}

const ENABLED = { plugin_pg_trgm_enable: true, plugin_unaccent_enable: true };

describe('legacyEndpointKind.serve (leader)', () => {
  it('serves a client asking for enabled extensions: records the user before creating it, then publishes both bags', async () => {
    const { state, context } = world(ENABLED, [relation()]);
    expect(await legacyEndpointKind.serve(context)).toEqual([]);
    expect(state.book).toEqual({ relation_id_4: { database: 'mattermost', roles: ['relation_access'] } });
    expect(state.sql).toEqual([
      'CREATE USER relation_id_4 IN relation_access',
      'CREATE DATABASE mattermost FOR relation_id_4 WITH pgaudit,pg_trgm,unaccent',
    ]);
    expect(state.writes.map((write) => write.app)).toEqual([false, true]);
    expect(state.writes[1]!.changes['extensions']).toBe('pg_trgm:public,unaccent:public');
    expect(state.writes[1]!.changes['host']).toBe('postgresql-k8s-0.postgresql-k8s-endpoints.prod.svc.cluster.local');
    expect(state.logs).toContain('DEPRECATION WARNING - `db` is a legacy interface');
  });

  it('records db-admin users as superusers and creates them SUPERUSER', async () => {
    const { state, context } = world(ENABLED, [relation({ endpoint: 'db-admin' })]);
    await legacyEndpointKind.serve(context);
    expect(state.book['relation_id_4']).toEqual({ database: 'mattermost', roles: ['superuser', 'relation_access'] });
    expect(state.sql[0]).toBe('CREATE USER relation_id_4 SUPERUSER IN relation_access');
  });

  it('blocks while a relation asks for a disabled extension, and clears once none does', async () => {
    const blockedWorld = world({}, [relation()]);
    expect(await legacyEndpointKind.serve(blockedWorld.context)).toEqual([{ kind: 'blocked', message: 'extensions requested through relation' }]);
    expect(blockedWorld.state.sql).toEqual([]);
    expect(blockedWorld.state.writes).toEqual([]);
    // The operator enables the plugins: the same relation is served and nothing is blocked.
    const enabled = world(ENABLED, [relation()]);
    expect(await legacyEndpointKind.serve(enabled.context)).toEqual([]);
    // Or the relation goes: nothing left to block on.
    expect(await legacyEndpointKind.serve(world({}, []).context)).toEqual([]);
  });

  it('blocks on roles until the relation asking for them goes, serving the others meanwhile', async () => {
    const roles = relation({ id: 5, remoteApp: 'old', remoteAppBag: { database: 'old', roles: 'admin' }, remoteUnitBags: {} });
    const { state, context } = world(ENABLED, [relation(), roles]);
    expect(await legacyEndpointKind.serve(context)).toEqual([
      { kind: 'blocked', message: 'roles requested through relation, use postgresql_client interface instead' },
    ]);
    expect(state.writes.every((write) => write.id === 4)).toBe(true);
    expect(await legacyEndpointKind.serve(world(ENABLED, [relation()]).context)).toEqual([]);
  });

  it('blocks on a bad database name, naming the relation', async () => {
    const { state, context } = world(ENABLED, [relation({ remoteAppBag: { database: 'template0' }, remoteUnitBags: {} })]);
    expect(await legacyEndpointKind.serve(context)).toEqual([{ kind: 'blocked', message: 'invalid database name "template0" on db:4: it is reserved; ask the client for another name' }]);
    expect(state.sql).toEqual([]);
  });

  it('hands out nothing until every unit admits the user, and says so', async () => {
    const { state, context } = world(ENABLED, [relation()], false);
    expect(await legacyEndpointKind.serve(context)).toEqual([{ kind: 'waiting', message: 'Waiting for every unit to admit the new client users' }]);
    expect(state.sql).toHaveLength(2);
    expect(state.writes).toEqual([]);
  });

  it('keeps a relation already answered up to date while another relation\'s user waits for pg_hba', async () => {
    const first = world(ENABLED, [relation()]);
    await legacyEndpointKind.serve(first.context);
    const bag = first.state.writes.find((write) => write.app)!.changes;
    const scaled = relation({
      localAppBag: bag,
      localUnitBag: bag,
      remoteUnitBags: { ...relation().remoteUnitBags, 'mattermost/1': { 'egress-subnets': '10.0.0.6/32' } },
    });
    const second = world(ENABLED, [scaled, relation({ id: 6, remoteApp: 'other', remoteAppBag: { database: 'other' }, remoteUnitBags: {} })], false);
    second.state.secret = first.state.secret;
    expect(await legacyEndpointKind.serve(second.context)).toEqual([{ kind: 'waiting', message: 'Waiting for every unit to admit the new client users' }]);
    expect(second.state.writes.map((write) => [write.id, write.changes['allowed-units']])).toEqual([
      [4, 'mattermost/0,mattermost/1'],
      [4, 'mattermost/0,mattermost/1'],
    ]);
    expect(second.state.writes[1]!.changes['allowed-subnets']).toBe('10.0.0.5/32,10.0.0.6/32');
  });
});

describe('publishLegacyUnitBags (other units)', () => {
  it('writes this unit\'s bag with the shared password once its pg_hba is current', async () => {
    const leader = world(ENABLED, [relation()]);
    await legacyEndpointKind.serve(leader.context);
    const follower = world(ENABLED, [relation({ localAppBag: undefined })]);
    follower.state.secret[SHARED_CREDENTIALS_FIELD] = leader.state.secret[SHARED_CREDENTIALS_FIELD]!;
    const unitDeps = { ...follower.deps, unitName: 'postgresql-k8s/1' };
    const input = { snapshot: { relations: [relation({ localAppBag: undefined })] }, config: parseCharmConfigOrThrow(ENABLED), version: async () => '15.18' };
    await publishLegacyUnitBags(unitDeps, { ...input, hbaCurrent: false });
    expect(follower.state.writes).toEqual([]);
    await publishLegacyUnitBags(unitDeps, { ...input, hbaCurrent: true });
    expect(follower.state.writes).toHaveLength(1);
    const leaderUnitBag = leader.state.writes.find((write) => !write.app)!.changes;
    expect(follower.state.writes[0]!.changes).toEqual({ ...leaderUnitBag, host: 'postgresql-k8s-1.postgresql-k8s-endpoints.prod.svc.cluster.local' });
  });
});
