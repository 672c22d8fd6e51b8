import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode } from '../../../src/errors.ts';
import { APP, allActive, isCaughtUpReplica, isClean, newPgClient, SandboxFixture, summarize, type StatusDoc, type UnitStatus } from '../../support/sandbox-fixture.ts';
import { member } from '../cluster/helpers.ts';
import {
  ackedIds,
  jujuLeader,
  latestContent,
  readModel,
  relationOf,
  secretByUri,
  secretsLabelled,
  waitForMoreWrites,
  waitForReplay,
  workloadOf,
  writerStatus,
} from './helpers.ts';

// One 3-unit deployment of the real charm (trusted, Kubernetes DCS) and test-client applications
// related to it, scenario after scenario: a data_interfaces 0.58 client gets its credentials in
// secrets and writes through <app>-primary, reads through <app>-replicas; a second client shares
// its database; a switchover and a failover while the first one writes lose no acknowledged write;
// remove-relation drops the user; scale 3 → 1 → 3 moves read-only-endpoints; bad database names
// block our leader with a message naming the relation, and fixing the client's config clears it;
// a legacy `db` client next to `database` ones is asked to choose one endpoint, alone it blocks on
// disabled extensions, then is served once they are enabled, and its user goes with the relation.
// (PgBouncer and the authorisation rules observer: pgbouncer.test.ts.)

const MIN = 60_000;
const A = 'client-a';
const B = 'client-b';
const LEGACY = 'legacy';
const BAD = 'bad';
const DATABASE = 'client_a_database';
const TABLE = 'continuous_writes';
let sbx: SandboxFixture;
let model = '';

beforeAll(async () => {
  sbx = await SandboxFixture.create('relations');
});

afterAll(async () => {
  const leftovers = await sbx?.teardown();
  expect(leftovers === null || isClean(leftovers), JSON.stringify(leftovers)).toBe(true);
}, 5 * MIN);

const leaderOf = (units: Record<string, UnitStatus>): string | undefined => Object.entries(units).find(([, u]) => u.patroni?.role === 'leader')?.[0];
const healthy = (units: Record<string, UnitStatus>, count: number): boolean =>
  allActive(units, count, { primaryLabel: false }) && Object.values(units).filter((u) => u.patroni?.role !== 'leader').every((u) => isCaughtUpReplica(u.patroni));
const primaryService = () => `${APP}-primary.${model}.svc.cluster.local`;
const replicasService = () => `${APP}-replicas.${model}.svc.cluster.local`;

async function deployClient(app: string, config: Record<string, string> = {}): Promise<void> {
  const args = ['deploy', 'test-client', app, '--timeout', '5m'];
  for (const [k, v] of Object.entries(config)) args.push('--config', `${k}=${v}`);
  await sbx.cliOk(args, 6 * MIN);
}

async function relate(app: string, endpoint: string): Promise<void> {
  await sbx.cliOk(['relate', `${app}:${endpoint}`, `${APP}:${endpoint}`, '--timeout', '8m'], 9 * MIN);
}

/** Waits (on status) until `unit` shows `current` "message" and its agent is idle. */
async function waitForUnit(unit: string, current: string, message: string | RegExp, timeoutMs = 3 * MIN): Promise<StatusDoc> {
  const app = unit.slice(0, unit.lastIndexOf('/'));
  return sbx.until(
    () => sbx.status(),
    (status) => {
      const seen = workloadOf(status, unit);
      const agent = status.applications[app]?.units[unit]?.['juju-status'].current;
      return seen?.current === current && (typeof message === 'string' ? seen.message === message : message.test(seen.message ?? '')) && agent === 'idle';
    },
    `${unit} ${current} "${String(message)}"`,
    timeoutMs,
  );
}

/** The `read` action's results (counts through the primary and the read-only endpoint). */
async function read(unit: string): Promise<{ primary: Record<string, string>; replica: Record<string, string> }> {
  return (await sbx.runOk(unit, 'read')) as { primary: Record<string, string>; replica: Record<string, string> };
}

/** The SQLSTATE of a login as `user` to the client database (its pg_hba rule names that database), or undefined. */
async function loginError(host: string, user: string, password: string): Promise<string | undefined> {
  const client = newPgClient(host, { user, password, database: DATABASE });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return errorCode(error) ?? String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A bag without what Juju itself writes into every unit's bag. */
function charmKeys(bag: Record<string, string> | undefined): Record<string, string> {
  const { 'private-address': _p, 'ingress-address': _i, 'egress-subnets': _e, ...rest } = bag ?? {};
  return rest;
}

/** The addresses a name resolves to inside `unit`'s pod (the sandbox's cluster DNS). */
async function resolve(unit: string, name: string): Promise<string[]> {
  const result = await sbx.ssh(unit, ['getent', 'ahostsv4', name]);
  return [...new Set(result.stdout.split('\n').filter((l) => l !== '').map((l) => l.split(/\s+/)[0]!))].sort();
}

describe('client relations on a 3-unit deployment of the real charm', () => {
  it('deploys 3 units and the test clients', async () => {
    const status = await sbx.deploy(3).then(() => sbx.waitFor((u) => allActive(u, 3) && healthy(u, 3), '3 active units with caught-up replicas', 3 * MIN));
    model = status.model.name;
    await deployClient(A);
    await deployClient(B, { 'database-name': DATABASE });
    await deployClient(LEGACY, { extensions: 'pg_trgm:public,unaccent:public' });
    await deployClient(BAD, { 'database-name': 'postgres' });
    await waitForUnit(`${A}/0`, 'waiting', 'waiting for database');
  }, 15 * MIN);

  it('a data_interfaces 0.58 client relates: credentials in secrets, the whole bag, database_created once; writes through the primary Service, reads through the replicas Service', async () => {
    await relate(A, 'database');
    await waitForUnit(`${A}/0`, 'active', 'database ready');

    const relation = (await relationOf(sbx, A, 'database'))!;
    const snapshot = await readModel(sbx);
    const ours = relation.appData[APP]!;
    // data_interfaces 0.58, key for key: the requested fields only in secrets, the rest plain.
    expect(Object.keys(ours).sort()).toEqual(['data', 'database', 'endpoints', 'read-only-endpoints', 'secret-tls', 'secret-user', 'version']);
    expect(ours).toMatchObject({
      database: DATABASE,
      endpoints: `${primaryService()}:5432`,
      'read-only-endpoints': `${replicasService()}:5432`,
      version: expect.stringMatching(/^15\.\d+$/),
    });
    expect(JSON.parse(ours['data']!)).toEqual({
      database: DATABASE,
      'provided-secrets': '["mtls-cert"]',
      'requested-secrets': '["username", "password", "tls", "tls-ca", "uris", "read-only-uris", "entity-name", "entity-password"]',
    });
    const userSecret = secretByUri(snapshot, ours['secret-user']!)!;
    const tlsSecret = secretByUri(snapshot, ours['secret-tls']!)!;
    expect(userSecret.label).toBe(`database.${relation.id}.user.secret`);
    expect(tlsSecret.label).toBe(`database.${relation.id}.tls.secret`);
    for (const secret of [userSecret, tlsSecret]) {
      expect(secret.owner).toEqual({ kind: 'application', name: APP });
      expect(secret.grants).toEqual([{ target: A, targetKind: 'application', relationId: relation.id, role: 'view' }]);
    }
    const user = `relation_id_${relation.id}`;
    const credentials = latestContent(userSecret);
    expect(Object.keys(credentials).sort()).toEqual(['password', 'read-only-uris', 'uris', 'username']);
    expect(credentials['username']).toBe(user);
    expect(credentials['password']).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(credentials['uris']).toBe(`postgresql://${user}:${credentials['password']}@${primaryService()}:5432/${DATABASE}`);
    expect(credentials['read-only-uris']).toBe(`postgresql://${user}:${credentials['password']}@${replicasService()}:5432/${DATABASE}`);
    expect(latestContent(tlsSecret)).toEqual({ tls: 'False' });
    // Nothing of ours in our unit bags on a postgresql_client relation.
    for (const unit of Object.keys(await sbx.units())) expect(charmKeys(relation.unitData[unit]), unit).toEqual({});

    const report = await sbx.runOk(`${A}/0`, 'report');
    expect(JSON.parse(String(report['events']))).toEqual({ 'database-relation-created': 1, 'database-created': 1 });

    const started = await sbx.runOk(`${A}/0`, 'start-continuous-writes');
    expect(started).toMatchObject({ started: 'true', mode: 'database', host: primaryService(), database: DATABASE });
    await waitForMoreWrites(sbx, `${A}/0`, 50, 'first writes', MIN);

    // The names resolve, inside the client's pod, to the primary and to the two replicas.
    const units = await sbx.units();
    const primary = leaderOf(units)!;
    expect(await resolve(`${A}/0`, primaryService())).toEqual([units[primary]!.address]);
    expect(await resolve(`${A}/0`, replicasService())).toEqual(Object.entries(units).filter(([n]) => n !== primary).map(([, u]) => u.address).sort());
    const counts = await read(`${A}/0`);
    expect(counts.primary).toMatchObject({ host: primaryService() });
    expect(counts.replica).toMatchObject({ host: replicasService() });
    expect(Number(counts.primary['count'])).toBeGreaterThan(0);
    expect(Number(counts.replica['count'])).toBeGreaterThan(0);
    // The writer logs in as the relation's user.
    const sessions = await sbx.sql<{ n: number }>(primary, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1 AND application_name = 'test-client-writer'", { params: [user] });
    expect(sessions[0]!.n).toBe(1);
  }, 12 * MIN);

  it('a second client asking for the same database gets its own user on it and reads the first one\'s rows', async () => {
    await relate(B, 'database');
    await waitForUnit(`${B}/0`, 'active', 'database ready');
    const a = await sbx.runOk(`${A}/0`, 'get-credentials');
    const b = await sbx.runOk(`${B}/0`, 'get-credentials');
    expect(b).toMatchObject({ ready: 'true', database: DATABASE, endpoints: a['endpoints'], 'read-only-endpoints': a['read-only-endpoints'] });
    expect(b['username']).toMatch(/^relation_id_\d+$/);
    expect(b['username']).not.toBe(a['username']);
    const counts = await read(`${B}/0`);
    expect(Number(counts.primary['count'])).toBeGreaterThan(0);
    expect(JSON.parse(String((await sbx.runOk(`${B}/0`, 'report'))['events']))).toMatchObject({ 'database-created': 1 });
    // The first client is undisturbed.
    await waitForMoreWrites(sbx, `${A}/0`, 20, 'after the second client related', MIN);
  }, 12 * MIN);

  it('switchover (promote-to-primary) while the client writes: the primary Service follows, writes resume', async () => {
    const status = await sbx.waitFor((u) => healthy(u, 3) && Object.values(u).some((x) => x.patroni?.role === 'sync_standby'), 'a sync standby', 3 * MIN);
    const units = status.applications[APP]!.units;
    const candidate = Object.keys(units).find((u) => units[u]!.patroni?.role === 'sync_standby')!;
    await sbx.runOk(candidate, 'promote-to-primary', { scope: 'unit' });
    await sbx.until(() => sbx.units(), (u) => leaderOf(u) === candidate, `${candidate} to lead`, 3 * MIN);
    await waitForMoreWrites(sbx, `${A}/0`, 50, `after the switchover to ${candidate}`, 2 * MIN);
    expect(await resolve(`${A}/0`, primaryService())).toEqual([units[candidate]!.address]);
  }, 8 * MIN);

  it('failover (the primary crashes and stays down past the ttl) while the client writes: writes resume, 0 acknowledged writes lost', async () => {
    const before = await sbx.units();
    const oldPrimary = leaderOf(before)!;
    const addresses = Object.values(before).map((u) => u.address);
    let frozen = false;
    try {
      // Frozen, its Pebble does not restart Patroni at once: a node that stays down (as cluster/failures.test.ts).
      await sbx.signalPebble(oldPrimary, 'freeze');
      frozen = true;
      await sbx.killMember(oldPrimary);
      const newPrimary = await sbx.until(
        async () => (await sbx.patroniCluster(before[Object.keys(before).find((u) => u !== oldPrimary)!]!.address, 2_000)).find((m) => m.role === 'leader' && m.state === 'running')?.name,
        (name) => name !== undefined && name !== member(oldPrimary),
        'another member to lead',
        3 * MIN,
        250,
      );
      await waitForMoreWrites(sbx, `${A}/0`, 50, `after the failover to ${newPrimary ?? '?'}`, 3 * MIN);
      await sbx.chaos([oldPrimary]);
      frozen = false;
    } finally {
      if (frozen) await sbx.chaos([oldPrimary]).catch(() => undefined);
    }
    await sbx.waitFor((u) => healthy(u, 3), `${oldPrimary} back as a caught-up replica`, 5 * MIN);

    const stopped = await sbx.runOk(`${A}/0`, 'stop-continuous-writes');
    const acked = await ackedIds(sbx, `${A}/0`);
    const uncertain = JSON.parse(String(stopped['uncertain'])) as number[];
    console.info(`client writes: ${JSON.stringify(stopped)}; writer ${JSON.stringify(await writerStatus(sbx, `${A}/0`))}`);
    expect(Number(stopped['writes'])).toBe(acked.length);
    expect(Number(stopped['last-written-id'])).toBe(Math.max(...acked));
    expect(Number(stopped['connects'])).toBeGreaterThanOrEqual(3);

    await waitForReplay(sbx, addresses, 2 * MIN);
    const counts = await read(`${A}/0`);
    expect(Number(counts.primary['count'])).toBeGreaterThanOrEqual(acked.length);
    expect(Number(counts.primary['max-id'])).toBeGreaterThanOrEqual(Number(stopped['last-written-id']));
    // Id by id, on every member: each acknowledged write is there, nothing else but uncertain ones.
    const allowed = new Set([...acked, ...uncertain]);
    for (const host of addresses) {
      const ids = (await sbx.sql<{ id: string }>(host, `SELECT id::text FROM ${TABLE}`, { database: DATABASE })).map((r) => Number(r.id));
      const present = new Set(ids);
      expect({ host, missing: acked.filter((id) => !present.has(id)), unexpected: ids.filter((id) => !allowed.has(id)), rows: ids.length - new Set(ids).size }).toEqual({
        host,
        missing: [],
        unexpected: [],
        rows: 0,
      });
    }
  }, 12 * MIN);

  it('remove-relation: the user is gone, its old password is refused, its secrets removed; the other client keeps working', async () => {
    const shown = await sbx.runOk(`${B}/0`, 'get-credentials', { 'show-password': true });
    const user = String(shown['username']);
    const password = String(shown['password']);
    const relation = (await relationOf(sbx, B, 'database'))!;
    const primary = await sbx.primary();
    expect(await loginError(await sbx.unitAddress(primary), user, password)).toBeUndefined();

    await sbx.cliOk(['remove-relation', `${B}:database`, `${APP}:database`, '--timeout', '8m'], 9 * MIN);
    await waitForUnit(`${B}/0`, 'waiting', 'waiting for database');
    expect(await sbx.sql(primary, 'SELECT rolname FROM pg_roles WHERE rolname = $1', { params: [user] })).toEqual([]);
    for (const unit of Object.keys(await sbx.units())) {
      expect(['28P01', '28000'], unit).toContain(await loginError(await sbx.unitAddress(unit), user, password));
    }
    expect(secretsLabelled(await readModel(sbx), new RegExp(`^database\\.${relation.id}\\.`))).toEqual([]);
    const counts = await read(`${A}/0`);
    expect(Number(counts.primary['count'])).toBeGreaterThan(0);
  }, 12 * MIN);

  it('scale 3 → 1 → 3: read-only-endpoints names the primary on one unit and the replicas Service again on three', async () => {
    const before = await sbx.units();
    const keep = leaderOf(before)!;
    for (const unit of Object.keys(before).filter((u) => u !== keep)) await sbx.removeUnit(unit);
    await sbx.waitForActive(1, 3 * MIN);
    await sbx.until(
      () => sbx.runOk(`${A}/0`, 'get-credentials'),
      (c) => c['read-only-endpoints'] === `${primaryService()}:5432`,
      'read-only-endpoints to name the primary',
      2 * MIN,
      1_000,
    );
    expect(Number((await read(`${A}/0`)).replica['count'])).toBeGreaterThan(0);

    // With several applications in the model, add-unit (and config) must name ours.
    await sbx.cliOk(['add-unit', APP, '-n', '2', '--wait', '--timeout', '10m'], 11 * MIN);
    await sbx.waitFor((u) => healthy(u, 3), '3 units with caught-up replicas', 5 * MIN);
    const credentials = await sbx.until(
      () => sbx.runOk(`${A}/0`, 'get-credentials'),
      (c) => c['read-only-endpoints'] === `${replicasService()}:5432`,
      'read-only-endpoints to name the replicas Service',
      2 * MIN,
      1_000,
    );
    expect(credentials['endpoints']).toBe(`${primaryService()}:5432`);
    const counts = await read(`${A}/0`);
    expect(counts.replica).toMatchObject({ host: replicasService() });
    expect(Number(counts.replica['count'])).toBe(Number(counts.primary['count']));
  }, 15 * MIN);

  // Before the legacy client: while a `db` relation exists next to `database`, the charm shows
  // "Please choose one endpoint…", which outranks a bad name's message.
  it('bad input: a reserved, then a quoted and uppercase database name blocks our leader naming the relation; the rest keeps working; fixing the client\'s config clears it', async () => {
    await relate(BAD, 'database');
    const relation = (await relationOf(sbx, BAD, 'database'))!;
    let status = await sbx.status();
    const leader = jujuLeader(status);
    status = await waitForUnit(leader, 'blocked', `invalid database name "postgres" on database:${relation.id}: it is reserved; ask the client for another name`);
    expect(workloadOf(status, `${BAD}/0`)).toMatchObject({ current: 'waiting', message: 'waiting for database' });
    expect(relation.appData[APP] ?? {}).toEqual({});
    // The rest of the model keeps working.
    expect(Number((await read(`${A}/0`)).primary['count'])).toBeGreaterThan(0);
    expect(Object.values(status.applications[APP]!.units).filter((u) => u.patroni?.role === 'leader')).toHaveLength(1);

    await sbx.cliOk(['config', BAD, 'database-name=Bad"Name', '--timeout', '8m'], 9 * MIN);
    await waitForUnit(leader, 'blocked', `invalid database name "Bad\\"Name" on database:${relation.id}: it contains quotes or backslashes; ask the client for another name`);
    await sbx.cliOk(['config', BAD, 'database-name=BadName', '--timeout', '8m'], 9 * MIN);
    await waitForUnit(leader, 'blocked', `invalid database name "BadName" on database:${relation.id}: it contains uppercase letters; ask the client for another name`);

    await sbx.cliOk(['config', BAD, 'database-name=bad_fixed', '--timeout', '8m'], 9 * MIN);
    await waitForUnit(`${BAD}/0`, 'active', 'database ready');
    status = await sbx.waitFor((u) => allActive(u, 3, { primaryLabel: false }), 'our units active again', 3 * MIN);
    expect(workloadOf(status, leader)?.current, summarize(status.applications[APP]!.units)).toBe('active');
    expect(await sbx.runOk(`${BAD}/0`, 'get-credentials')).toMatchObject({ ready: 'true', database: 'bad_fixed' });
  }, 12 * MIN);

  it('a legacy db client next to database clients: our leader asks to choose one endpoint; alone, it blocks on disabled extensions, handing out nothing', async () => {
    await relate(LEGACY, 'db');
    const leader = jujuLeader(await sbx.status());
    await waitForUnit(leader, 'blocked', 'Please choose one endpoint to use. No need to relate all of them simultaneously!');
    for (const app of [A, BAD]) await sbx.cliOk(['remove-relation', `${app}:database`, `${APP}:database`, '--timeout', '8m'], 9 * MIN);
    const status = await sbx.until(
      () => sbx.status(),
      (doc) => doc.applications[APP]?.['application-status'].message === 'extensions requested through relation',
      `${APP} blocked "extensions requested through relation"`,
      5 * MIN,
    );
    expect(status.applications[APP]!['application-status'].current).toBe('blocked');
    expect(workloadOf(status, `${LEGACY}/0`)?.current).toBe('waiting');
    expect(await sbx.sql(await sbx.primary(), "SELECT 1 FROM pg_database WHERE datname = 'legacy_database'")).toHaveLength(0);
  }, 15 * MIN);

  it('the legacy client becomes ready once the plugins are enabled, gets the whole pgsql bags and writes; remove-relation drops its user', async () => {
    await sbx.cliOk(['config', APP, 'plugin_pg_trgm_enable=true', 'plugin_unaccent_enable=true', '--timeout', '10m'], 11 * MIN);
    await waitForUnit(`${LEGACY}/0`, 'active', 'database ready');
    await sbx.waitFor((u) => allActive(u, 3, { primaryLabel: false }), 'our units active again', 3 * MIN);

    const relation = (await relationOf(sbx, LEGACY, 'db'))!;
    const units = await sbx.units();
    const keys = ['allowed-subnets', 'allowed-units', 'database', 'extensions', 'host', 'master', 'password', 'port', 'standbys', 'user', 'version'];
    const user = `relation_id_${relation.id}`;
    for (const bag of [APP, ...Object.keys(units)]) {
      const data = charmKeys(bag === APP ? relation.appData[APP] : relation.unitData[bag]);
      expect(Object.keys(data).sort(), bag).toEqual(keys);
      expect(data, bag).toMatchObject({
        'allowed-units': `${LEGACY}/0`,
        database: 'legacy_database',
        extensions: 'pg_trgm:public,unaccent:public',
        port: '5432',
        user,
        master: expect.stringContaining(`host=${primaryService()}`),
        standbys: expect.stringContaining(`host=${replicasService()}`),
      });
    }
    const started = await sbx.runOk(`${LEGACY}/0`, 'start-continuous-writes');
    expect(started).toMatchObject({ mode: 'db', host: primaryService(), database: 'legacy_database' });
    await waitForMoreWrites(sbx, `${LEGACY}/0`, 30, 'legacy writes', MIN);
    const stopped = await sbx.runOk(`${LEGACY}/0`, 'stop-continuous-writes');
    expect(Number(stopped['writes'])).toBeGreaterThanOrEqual(30);
    const extensions = await sbx.sql<{ extname: string }>(await sbx.primary(), 'SELECT extname FROM pg_extension ORDER BY extname', { database: 'legacy_database' });
    expect(extensions.map((e) => e.extname)).toEqual(expect.arrayContaining(['pg_trgm', 'unaccent']));
    const roles = await sbx.sql<{ rolsuper: boolean; member: boolean }>(await sbx.primary(), "SELECT rolsuper, pg_has_role(rolname, 'relation_access', 'member') AS member FROM pg_roles WHERE rolname = $1", {
      params: [user],
    });
    expect(roles).toEqual([{ rolsuper: false, member: true }]);

    await sbx.cliOk(['remove-relation', `${LEGACY}:db`, `${APP}:db`, '--timeout', '8m'], 9 * MIN);
    await sbx.until(async () => sbx.sql(await sbx.primary(), 'SELECT 1 FROM pg_roles WHERE rolname = $1', { params: [user] }), (rows) => rows.length === 0, `${user} dropped`, 2 * MIN);
    await sbx.waitFor((u) => allActive(u, 3, { primaryLabel: false }), 'our units active without client relations', 3 * MIN);
  }, 15 * MIN);
});
