import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP, allActive, isCaughtUpReplica, isClean, SandboxFixture, type StatusDoc, type UnitStatus } from '../../support/sandbox-fixture.ts';
import { member } from '../cluster/helpers.ts';
import { ackedIds, waitForMoreWrites, waitForReplay, workloadOf } from './helpers.ts';

// PostgreSQL (2 units, trusted) ← pgbouncer-k8s (sandbox/charms/pgbouncer: Debian's pgbouncer as
// its workload) ← test-client. pgbouncer asks our `database` endpoint for `pgbouncer` as a
// SUPERUSER and then makes users and databases on our server behind the charm's back, as
// pgbouncer-k8s does: those get their pg_hba rules through the authorisation rules observer's
// Pebble notices (src/workload/authorisation-rules-observer.ts), which a first scenario proves
// alone with a user made by hand. The client then writes through pgbouncer's Service, reads
// through `<db>_readonly`, and keeps writing through a switchover and a failover with nothing
// acknowledged lost.
const MIN = 60_000;
const PGB = 'pgbouncer-k8s';
const CLIENT = 'test-client';
const CLIENT_DATABASE = 'test_client_database';
const NOTICE_HOOK = 'postgresql-pebble-custom-notice';
/** pgbouncer-k8s-operator gives a new user 90 s to appear in pg_hba; we promise a third of that. */
const RULE_BUDGET_MS = 30_000;
let sbx: SandboxFixture;

beforeAll(async () => {
  sbx = await SandboxFixture.create('pgbouncer');
});

afterAll(async () => {
  const leftovers = await sbx?.teardown();
  expect(leftovers === null || isClean(leftovers), JSON.stringify(leftovers)).toBe(true);
}, 5 * MIN);

const leaderOf = (units: Record<string, UnitStatus>): string | undefined => Object.entries(units).find(([, u]) => u.patroni?.role === 'leader')?.[0];
const healthy = (units: Record<string, UnitStatus>): boolean =>
  allActive(units, 2, { primaryLabel: false }) && Object.values(units).filter((u) => u.patroni?.role !== 'leader').every((u) => isCaughtUpReplica(u.patroni));

/** Waits until `unit` is active and its agent idle. */
async function waitForIdleActive(unit: string, timeoutMs: number): Promise<StatusDoc> {
  const app = unit.slice(0, unit.lastIndexOf('/'));
  return sbx.until(
    () => sbx.status(),
    (status) => workloadOf(status, unit)?.current === 'active' && status.applications[app]?.units[unit]?.['juju-status'].current === 'idle',
    `${unit} active and idle`,
    timeoutMs,
  );
}

async function ruleCount(unit: string, user: string): Promise<number> {
  const rows = await sbx.sql<{ n: number }>(unit, 'SELECT count(*)::int AS n FROM pg_hba_file_rules WHERE $1 = ANY(user_name)', { params: [user] });
  return rows[0]!.n;
}

async function functionsIn(database: string, schema: string): Promise<number> {
  const rows = await sbx.sql(await sbx.primary(), 'SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1 AND p.proname = $2', {
    database,
    params: [schema, 'get_auth'],
  });
  return rows.length;
}

describe('pgbouncer-k8s in front of a 2-unit deployment', () => {
  let authUser = '';

  it('pgbouncer relates backend-database: its SUPERUSER auth user and get_auth on our server, and it goes active', async () => {
    await sbx.deploy(2);
    await sbx.waitFor((u) => healthy(u), '2 active units with a caught-up replica', 4 * MIN);
    await sbx.cliOk(['deploy', '--trust', 'pgbouncer', '--timeout', '5m'], 6 * MIN);
    await sbx.cliOk(['relate', `${PGB}:backend-database`, `${APP}:database`, '--timeout', '8m'], 9 * MIN);
    await waitForIdleActive(`${PGB}/0`, 6 * MIN);

    const roles = await sbx.sql<{ rolname: string; rolsuper: boolean; md5: boolean }>(
      await sbx.primary(),
      "SELECT rolname, rolsuper, rolpassword LIKE 'md5%' AS md5 FROM pg_authid WHERE rolname LIKE 'pgbouncer_auth_relation_id_%'",
    );
    expect(roles).toHaveLength(1);
    expect(roles[0]).toMatchObject({ rolsuper: true, md5: true });
    authUser = roles[0]!.rolname;
    for (const database of ['pgbouncer', 'postgres']) expect(await functionsIn(database, authUser), `get_auth in ${database}`).toBe(1);
    // The auth user was made behind our back, yet every unit admits it.
    for (const unit of Object.keys(await sbx.units())) expect(await ruleCount(unit, authUser), unit).toBeGreaterThan(0);
  }, 20 * MIN);

  it('a user and database made out of band get their rule on every unit within 30 s, through the custom notice alone', async () => {
    const user = 'relation_id_9999';
    const database = 'oob_9999';
    const password = 'Oob-Passw0rd-9999';
    await sbx.waitFor((u) => healthy(u), 'our units settled', 3 * MIN);
    const primary = await sbx.primary();
    const since = Date.now();
    await sbx.sql(primary, `CREATE ROLE ${user} WITH LOGIN PASSWORD '${password}'`);
    await sbx.sql(primary, `CREATE DATABASE ${database}`);
    await sbx.sql(primary, `REVOKE ALL PRIVILEGES ON DATABASE ${database} FROM PUBLIC`);
    await sbx.sql(primary, `GRANT ALL PRIVILEGES ON DATABASE ${database} TO ${user}`);
    const grantedAt = Date.now();

    for (const unit of Object.keys(await sbx.units())) {
      await sbx.until(() => ruleCount(unit, user), (n) => n > 0, `a pg_hba rule for ${user} on ${unit}`, RULE_BUDGET_MS, 250).catch(async (error: unknown) => {
        const log = (await sbx.debugLog(unit)).split('\n').filter((line) => /authorisation-rules-observer|custom-notice|notice/.test(line));
        throw new Error(`${String(error)}\n${log.slice(-30).join('\n')}`);
      });
      const seenAt = Date.now();
      expect(seenAt - grantedAt).toBeLessThan(RULE_BUDGET_MS);
      // Every hook the unit ran before its rule was there is the observer's notice (not update-status).
      const hooks = (await sbx.hooksStarted(unit, since)).filter((h) => h.at <= seenAt).map((h) => h.hook);
      expect(hooks.length).toBeGreaterThan(0);
      expect(new Set(hooks)).toEqual(new Set([NOTICE_HOOK]));
      const rows = await sbx.sql<{ who: string }>(unit, 'SELECT current_user AS who', { user, password, database });
      expect(rows).toEqual([{ who: user }]);
    }
  }, 3 * MIN);

  it("a client of pgbouncer gets pgbouncer's Service as its endpoints; its user, database and get_auth are on our server", async () => {
    await sbx.cliOk(['deploy', CLIENT, '--timeout', '5m'], 6 * MIN);
    await sbx.cliOk(['relate', `${CLIENT}:database`, `${PGB}:database`, '--timeout', '8m'], 9 * MIN);
    await waitForIdleActive(`${CLIENT}/0`, 6 * MIN);

    const credentials = await sbx.runOk(`${CLIENT}/0`, 'get-credentials');
    expect(credentials).toMatchObject({
      ready: 'true',
      database: CLIENT_DATABASE,
      endpoints: expect.stringMatching(/^pgbouncer-k8s-service\..+\.svc\.cluster\.local:6432$/),
      'read-only-endpoints': expect.stringMatching(/^pgbouncer-k8s-service\..+\.svc\.cluster\.local:6432$/),
      version: expect.stringMatching(/^15\.\d+$/),
    });
    const user = String(credentials['username']);
    expect(user).toMatch(/^relation_id_\d+$/);
    const primary = await sbx.primary();
    expect(await sbx.sql(primary, 'SELECT 1 FROM pg_roles WHERE rolname = $1', { params: [user] })).toHaveLength(1);
    expect(await sbx.sql(primary, 'SELECT 1 FROM pg_database WHERE datname = $1', { params: [CLIENT_DATABASE] })).toHaveLength(1);
    expect(await functionsIn(CLIENT_DATABASE, authUser)).toBe(1);
  }, 20 * MIN);

  it('writes through pgbouncer and reads them back through <db>_readonly', async () => {
    await sbx.runOk(`${CLIENT}/0`, 'start-continuous-writes');
    await waitForMoreWrites(sbx, `${CLIENT}/0`, 30, 'first writes through pgbouncer', 2 * MIN);
    const read = (await sbx.runOk(`${CLIENT}/0`, 'read')) as { primary: Record<string, string>; replica: Record<string, string> };
    expect(read.primary).toMatchObject({ host: expect.stringMatching(/^pgbouncer-k8s-service\./) });
    expect(read.replica).toMatchObject({ host: expect.stringMatching(/^pgbouncer-k8s-service\./) });
    expect(Number(read.primary['count'])).toBeGreaterThan(0);
    expect(Number(read.replica['count'])).toBeGreaterThan(0);
    // On our server, written by the client's user through pgbouncer.
    const sessions = await sbx.sql<{ n: number }>(await sbx.primary(), 'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND usename LIKE $2', {
      params: [CLIENT_DATABASE, 'relation_id_%'],
    });
    expect(sessions[0]!.n).toBeGreaterThan(0);
  }, 5 * MIN);

  it('switchover while the client writes through pgbouncer: writes resume on the new primary', async () => {
    const status = await sbx.waitFor((u) => healthy(u) && Object.values(u).some((x) => x.patroni?.role === 'sync_standby'), 'a sync standby', 3 * MIN);
    const units = status.applications[APP]!.units;
    const candidate = Object.keys(units).find((u) => units[u]!.patroni?.role === 'sync_standby')!;
    await sbx.runOk(candidate, 'promote-to-primary', { scope: 'unit' });
    await sbx.until(() => sbx.units(), (u) => leaderOf(u) === candidate, `${candidate} to lead`, 3 * MIN);
    await waitForMoreWrites(sbx, `${CLIENT}/0`, 30, `through pgbouncer after the switchover to ${candidate}`, 3 * MIN);
  }, 8 * MIN);

  it('failover (the primary frozen and killed) while the client writes through pgbouncer: writes resume, 0 acknowledged writes lost', async () => {
    const before = await sbx.waitFor((u) => healthy(u), 'both units healthy', 3 * MIN);
    const units = before.applications[APP]!.units;
    const oldPrimary = leaderOf(units)!;
    const survivor = Object.keys(units).find((u) => u !== oldPrimary)!;
    let frozen = false;
    try {
      // Frozen, its Pebble does not restart Patroni at once: a node that stays down.
      await sbx.signalPebble(oldPrimary, 'freeze');
      frozen = true;
      await sbx.killMember(oldPrimary);
      await sbx.until(
        async () => (await sbx.patroniCluster(units[survivor]!.address, 2_000)).find((m) => m.role === 'leader' && m.state === 'running')?.name,
        (name) => name !== undefined && name === member(survivor),
        `${survivor} to lead`,
        3 * MIN,
        250,
      );
      // Back as a replica (with strict synchronous mode, the new primary commits once it has a standby again).
      await sbx.chaos([oldPrimary]);
      frozen = false;
    } finally {
      if (frozen) await sbx.chaos([oldPrimary]).catch(() => undefined);
    }
    await waitForMoreWrites(sbx, `${CLIENT}/0`, 30, `through pgbouncer after the failover to ${survivor}`, 4 * MIN);
    await sbx.waitFor((u) => healthy(u), `${oldPrimary} back as a caught-up replica`, 5 * MIN);

    const stopped = await sbx.runOk(`${CLIENT}/0`, 'stop-continuous-writes');
    const acked = await ackedIds(sbx, `${CLIENT}/0`);
    expect(Number(stopped['writes'])).toBe(acked.length);
    const allowed = new Set([...acked, ...(JSON.parse(String(stopped['uncertain'])) as number[])]);
    const addresses = Object.values(await sbx.units()).map((u) => u.address);
    await waitForReplay(sbx, addresses, 2 * MIN);
    for (const host of addresses) {
      const ids = (await sbx.sql<{ id: string }>(host, 'SELECT id::text FROM continuous_writes', { database: CLIENT_DATABASE })).map((r) => Number(r.id));
      const present = new Set(ids);
      expect({ host, missing: acked.filter((id) => !present.has(id)), unexpected: ids.filter((id) => !allowed.has(id)), doubled: ids.length - present.size }).toEqual({
        host,
        missing: [],
        unexpected: [],
        doubled: 0,
      });
    }
    const status = await sbx.status();
    expect(workloadOf(status, `${PGB}/0`)?.current).toBe('active');
  }, 12 * MIN);
});
