import { describe, expect, it } from 'vitest';
import { changeEvents, isReady, PgsqlRequirer, type PgsqlEvent } from '../../../sandbox/charms/lib/pgsql-requirer.ts';
import { twoApps, type TwoApps } from './two-apps.ts';

const CLIENT = 'client';
const PG = 'pg';

function setup(): TwoApps {
  return twoApps({ requirer: { app: CLIENT, endpoint: 'db', units: 2 }, provider: { app: PG, endpoint: 'db', units: 2 }, interfaceName: 'pgsql' });
}
const ref = (world: TwoApps) => ({ endpoint: 'db', id: world.relationId });
const env = (world: TwoApps, hook: string) => ({ hookName: `db-relation-${hook}`, relationId: world.relationId, remoteApp: PG, remoteUnit: `${PG}/0` });

function joined(world: TwoApps, unit: string, request?: { database: string; extensions?: string[] }): Promise<PgsqlEvent[]> {
  return world.hook(unit, env(world, 'joined'), async (tools) => {
    const db = new PgsqlRequirer(tools, 'db');
    const events = await db.relationJoined(ref(world));
    if (request !== undefined && events.includes('database-relation-joined') && (await tools.isLeader())) await db.request(ref(world), request);
    return events;
  });
}
const changed = (world: TwoApps, unit: string) => world.hook(unit, env(world, 'changed'), (tools) => new PgsqlRequirer(tools, 'db').relationChanged(ref(world)));
const master = (world: TwoApps, unit: string) => world.hook(unit, { hookName: 'update-status' }, (tools) => new PgsqlRequirer(tools, 'db').master(ref(world)));

/** What our charm writes in the reference's databags, to its app bag and to each unit's bag. */
async function serve(world: TwoApps, fields: Record<string, string>): Promise<void> {
  for (const unit of [`${PG}/0`, `${PG}/1`]) {
    await world.hook(unit, { hookName: 'db-relation-changed', relationId: world.relationId, remoteApp: CLIENT }, async (tools) => {
      if (await tools.isLeader()) await tools.relationSet(ref(world), fields, { app: true });
      await tools.relationSet(ref(world), fields);
    });
  }
}

const MASTER = 'dbname=client_db host=pg-primary password=x port=5432 user=relation_id_0';
const allowed = '10.1.0.10/32,10.1.0.11/32';

describe('pgsql (ops-lib-pgsql) requirer', () => {
  it('the leader writes database and sorted extensions to its app and unit bags; the other unit mirrors them from leadership', async () => {
    const world = setup();
    expect(await joined(world, `${CLIENT}/0`, { database: 'client_db', extensions: ['unaccent:public', 'pg_trgm:public'] })).toEqual(['database-relation-joined']);
    expect(world.appBag(CLIENT)).toEqual({ database: 'client_db', extensions: 'pg_trgm:public,unaccent:public' });
    expect(world.unitBag(`${CLIENT}/0`)).toMatchObject({ database: 'client_db', extensions: 'pg_trgm:public,unaccent:public' });
    expect(await joined(world, `${CLIENT}/1`)).toEqual(['database-relation-joined']);
    expect(world.unitBag(`${CLIENT}/1`)).toMatchObject({ database: 'client_db', extensions: 'pg_trgm:public,unaccent:public' });
    expect(await joined(world, `${CLIENT}/1`)).toEqual([]); // once per relation
  });

  it('master is available only once the bag echoes the request and admits our egress subnet', async () => {
    const world = setup();
    await joined(world, `${CLIENT}/0`, { database: 'client_db', extensions: ['pg_trgm:public'] });
    await joined(world, `${CLIENT}/1`);

    await serve(world, { master: MASTER, database: 'client_db', 'allowed-subnets': allowed });
    expect(await changed(world, `${CLIENT}/0`)).toEqual([]); // extensions not echoed
    expect(await master(world, `${CLIENT}/0`)).toBeUndefined();

    await serve(world, { extensions: 'pg_trgm:public', 'allowed-subnets': '10.1.0.10/32' });
    expect(await changed(world, `${CLIENT}/0`)).toEqual(['master-available', 'master-changed', 'database-available', 'database-changed']);
    expect(await changed(world, `${CLIENT}/1`)).toEqual([]); // 10.1.0.11 not admitted yet

    await serve(world, { 'allowed-subnets': allowed, standbys: 'host=pg-replicas a=1\nhost=pg-replicas b=2' });
    expect(await changed(world, `${CLIENT}/1`)).toEqual(['master-available', 'master-changed', 'standby-available', 'standby-changed', 'database-available', 'database-changed']);
    expect(await changed(world, `${CLIENT}/0`)).toEqual(['standby-available', 'standby-changed', 'database-available', 'database-changed']);
    expect(await master(world, `${CLIENT}/1`)).toBe(MASTER);
    expect(await changed(world, `${CLIENT}/1`)).toEqual([]);
  });

  it('roles: a provider that never echoes them never becomes ready', () => {
    const own = { 'egress-subnets': '10.0.0.1/32' };
    const bag = { master: 'x', database: 'd', 'allowed-subnets': '10.0.0.1/32' };
    expect(isReady({ database: 'd' }, own, bag)).toBe(true);
    expect(isReady({ database: 'd', roles: 'admin' }, own, bag)).toBe(false);
    expect(isReady({ database: '' }, own, { ...bag, database: 'anything' })).toBe(true);
    expect(isReady({ database: 'd' }, { 'egress-subnets': '10.0.0.1/32,10.0.0.2/32' }, bag)).toBe(false);
  });

  it('changeEvents: gone when the master disappears', () => {
    expect(changeEvents({ master: 'm', standbys: [] }, null, [])).toEqual(['master-changed', 'master-gone', 'database-changed', 'database-gone']);
    expect(changeEvents({ master: 'm', standbys: ['s'] }, 'm2', ['s'])).toEqual(['master-changed', 'database-changed']);
  });
});
