import { describe, expect, it } from 'vitest';
import {
  hasMultipleClientEndpoints,
  readClientRelations,
  relationIdOfUser,
  relationUser,
  requestingDatabagCount,
  type ClientRelation,
  type ClientRelationTools,
} from '../../../src/relations/client-relations.ts';

function relation(id: number, endpoint: string, bags: Partial<ClientRelation> = {}): ClientRelation {
  return { id, endpoint, remoteApp: 'client', remoteAppBag: {}, remoteUnitBags: {}, localAppBag: {}, localUnitBag: {}, ...bags };
}

describe('relation users', () => {
  it('names the user relation_id_<id> and reads the id back, nothing else', () => {
    expect(relationUser(7)).toBe('relation_id_7');
    expect(relationIdOfUser('relation_id_7')).toBe(7);
    for (const other of ['relation_id_', 'relation_id_07', 'pgbouncer_auth_relation_id_7', 'relation-7', 'operator']) expect(relationIdOfUser(other)).toBeUndefined();
  });
});

describe('requestingDatabagCount', () => {
  it('counts every bag naming the database: one for a first and only requester', () => {
    const first = relation(1, 'database', { remoteAppBag: { database: 'app' } });
    expect(requestingDatabagCount({ relations: [first] }, 'app')).toBe(1);
    const answered = relation(1, 'database', { remoteAppBag: { database: 'app' }, localAppBag: { database: 'app' } });
    const second = relation(2, 'database', { remoteAppBag: { database: 'app' } });
    expect(requestingDatabagCount({ relations: [answered, second] }, 'app')).toBe(3);
    const legacy = relation(3, 'db', { remoteUnitBags: { 'old/0': { database: 'app' } } });
    expect(requestingDatabagCount({ relations: [legacy] }, 'app')).toBe(1);
  });
});

describe('hasMultipleClientEndpoints', () => {
  it('is true only for database together with db or db-admin', () => {
    expect(hasMultipleClientEndpoints({ relations: [relation(1, 'database'), relation(2, 'database')] })).toBe(false);
    expect(hasMultipleClientEndpoints({ relations: [relation(1, 'db'), relation(2, 'db-admin')] })).toBe(false);
    expect(hasMultipleClientEndpoints({ relations: [relation(1, 'database'), relation(2, 'db')] })).toBe(true);
    expect(hasMultipleClientEndpoints({ relations: [relation(1, 'db-admin'), relation(2, 'database')] })).toBe(true);
  });
});

describe('readClientRelations', () => {
  const tools: ClientRelationTools = {
    relationIds: async (endpoint) => (endpoint === 'database' ? [{ endpoint, id: 9 }, { endpoint, id: 4 }] : endpoint === 'db' ? [{ endpoint, id: 5 }] : []),
    relationList: async () => ['client/0'],
    relationRemoteApp: async () => 'client',
    relationGet: async (ref, owner) => ({ owner: 'app' in owner ? `app:${owner.app}` : `unit:${owner.unit}`, rel: String(ref.id) }),
  };

  it('reads every client relation once, sorted by id, our app bag only on the leader', async () => {
    const snapshot = await readClientRelations(tools, { appName: 'pg', unitName: 'pg/1', isLeader: false });
    expect(snapshot.relations.map((r) => `${r.endpoint}:${r.id}`)).toEqual(['database:4', 'db:5', 'database:9']);
    expect(snapshot.relations[0]).toEqual({
      id: 4,
      endpoint: 'database',
      remoteApp: 'client',
      remoteAppBag: { owner: 'app:client', rel: '4' },
      remoteUnitBags: { 'client/0': { owner: 'unit:client/0', rel: '4' } },
      localAppBag: undefined,
      localUnitBag: { owner: 'unit:pg/1', rel: '4' },
    });
    const leader = await readClientRelations(tools, { appName: 'pg', unitName: 'pg/0', isLeader: true });
    expect(leader.relations[0]!.localAppBag).toEqual({ owner: 'app:pg', rel: '4' });
  });

  it('leaves out the relation breaking in this hook', async () => {
    const snapshot = await readClientRelations(tools, { appName: 'pg', unitName: 'pg/0', isLeader: true, breaking: { endpoint: 'database', id: 9 } });
    expect(snapshot.relations.map((r) => r.id)).toEqual([4, 5]);
  });
});
