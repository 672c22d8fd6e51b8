import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APP,
  allActive,
  connectError,
  isCaughtUpReplica,
  isClean,
  OPERATOR,
  SandboxFixture,
  summarize,
  type UnitStatus,
} from '../../support/sandbox-fixture.ts';
import { describeReport, leaderAwayFromUnit0, unitNames, writer } from './helpers.ts';

// One 3-unit sandbox running the real charm; the scenarios run in order and build on each other:
// deploy, configuration (live, restart-needing, invalid), password rotation under writes,
// switchover (promote-to-primary). Every wait is on a condition. Juju leadership is on a unit
// other than 0 (a seeded choice), as Juju may give it: nothing here may rely on unit 0 leading.

const MIN = 60_000;
const LEADERSHIP = leaderAwayFromUnit0(3);
let sbx: SandboxFixture;
const timings: Record<string, number> = {};

beforeAll(async () => {
  sbx = await SandboxFixture.create('lifecycle', { leaderSeed: LEADERSHIP.seed });
});

afterAll(async () => {
  const leftovers = await sbx?.teardown();
  if (Object.keys(timings).length > 0) console.info(`cluster lifecycle timings (s): ${JSON.stringify(timings)}`);
  expect(leftovers === null || isClean(leftovers), JSON.stringify(leftovers)).toBe(true);
}, 5 * MIN);

async function timed<T>(name: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await work();
  } finally {
    timings[name] = Math.round((Date.now() - started) / 100) / 10;
  }
}

/** Patroni's role for each unit, from status json. */
const roles = (units: Record<string, UnitStatus>): Record<string, string> =>
  Object.fromEntries(Object.entries(units).map(([name, u]) => [name, u.patroni?.role ?? '-']));

const leaderOf = (units: Record<string, UnitStatus>): string | undefined => Object.entries(units).find(([, u]) => u.patroni?.role === 'leader')?.[0];

/** One leader and every other unit a caught-up replica (sync or not) in Patroni. */
const healthyCluster = (units: Record<string, UnitStatus>, count: number): boolean => {
  const list = Object.values(units);
  return list.length === count && list.filter((u) => u.patroni?.role === 'leader').length === 1 && list.filter((u) => u.patroni?.role !== 'leader').every((u) => isCaughtUpReplica(u.patroni));
};

async function showOnEveryUnit(setting: string): Promise<Record<string, string>> {
  const units = unitNames(await sbx.units());
  const values = await Promise.all(units.map(async (u) => (await sbx.sql<{ value: string }>(u, `SELECT current_setting('${setting}') AS value`))[0]!.value));
  return Object.fromEntries(units.map((u, i) => [u, values[i]!]));
}

describe('a 3-unit cluster of the real charm', () => {
  it('a. deploys 3 units: all active, exactly one Primary, a sync standby, data replicated to both replicas', async () => {
    await timed('deploy', () => sbx.deploy(3));
    const status = await timed('sync-standby', () =>
      sbx.waitFor((units) => allActive(units, 3) && healthyCluster(units, 3) && Object.values(units).some((u) => u.patroni?.role === 'sync_standby'), 'a leader and caught-up sync standby', 3 * MIN),
    );
    const units = status.applications[APP]!.units;
    expect(unitNames(units)).toEqual([`${APP}/0`, `${APP}/1`, `${APP}/2`]);
    const jujuLeaders = Object.entries(units).filter(([, u]) => u.leader).map(([n]) => n);
    expect(jujuLeaders, summarize(units)).toEqual([LEADERSHIP.leader]);
    expect(jujuLeaders[0]).not.toBe(`${APP}/0`);
    const primaries = Object.entries(units).filter(([, u]) => u['workload-status'].message === 'Primary');
    expect(primaries.map(([n]) => n), summarize(units)).toHaveLength(1);
    expect(primaries[0]![0]).toBe(leaderOf(units));
    expect(await sbx.primary()).toBe(primaries[0]![0]);
    const getPrimary = await sbx.runOk(`${APP}/1`, 'get-primary');
    expect(getPrimary['primary']).toBe(primaries[0]![0]);

    const primary = primaries[0]![0];
    await sbx.sql(primary, 'CREATE TABLE cluster_smoke (id int PRIMARY KEY, note text NOT NULL)');
    await sbx.sql(primary, "INSERT INTO cluster_smoke SELECT i, 'row ' || i FROM generate_series(1, 500) AS i");
    expect(await sbx.sql(primary, 'SELECT pg_is_in_recovery() AS r')).toEqual([{ r: false }]);
    for (const replica of unitNames(units).filter((u) => u !== primary)) {
      expect(await sbx.sql(replica, 'SELECT pg_is_in_recovery() AS r')).toEqual([{ r: true }]);
      const rows = await sbx.until(
        () => sbx.sql<{ n: string; s: string }>(replica, 'SELECT count(*) AS n, sum(id) AS s FROM cluster_smoke'),
        (r) => r[0]?.n === '500',
        `the 500 rows on ${replica}`,
        MIN,
      );
      expect(rows).toEqual([{ n: '500', s: String((500 * 501) / 2) }]);
      // A replica refuses writes.
      await expect(sbx.sql(replica, "INSERT INTO cluster_smoke VALUES (501, 'x')")).rejects.toThrow(/read-only/);
    }
  }, 8 * MIN);

  it('b1. a live PostgreSQL parameter (memory_work_mem=8192) reaches SHOW on every unit', async () => {
    expect(Object.values(await showOnEveryUnit('work_mem'))).not.toContain('8MB');
    await timed('config-work_mem', async () => {
      await sbx.config('memory_work_mem=8192');
      await sbx.until(() => showOnEveryUnit('work_mem'), (v) => Object.values(v).every((x) => x === '8MB'), 'work_mem = 8MB on every unit', 2 * MIN);
    });
    await sbx.waitForActive(3, MIN);
  }, 5 * MIN);

  it('b3. an invalid value (profile=dev) Blocks every unit naming the option; setting it back makes them active (config-changed only)', async () => {
    await timed('config-invalid', () => sbx.config('profile=dev'));
    // `config` returns once the config-changed hooks are done and the model settled.
    const blocked = await sbx.units();
    for (const [name, u] of Object.entries(blocked)) {
      expect(u['workload-status'].current, `${name}\n${summarize(blocked)}`).toBe('blocked');
      expect(u['workload-status'].message).toMatch(/profile/);
    }
    // Blocked on config, PostgreSQL keeps serving.
    expect(await sbx.sql(await sbx.primary(), 'SELECT 1 AS one')).toEqual([{ one: 1 }]);

    await timed('config-restore', () => sbx.resetConfig('profile'));
    const restored = await sbx.units();
    expect(Object.values(restored).map((u) => u['workload-status'].current), summarize(restored)).toEqual(['active', 'active', 'active']);
    expect(Object.values(restored).filter((u) => u['workload-status'].message === 'Primary')).toHaveLength(1);
  }, 5 * MIN);

  it('c. set-password for operator while writing: no acknowledged write lost or doubled, the new password works everywhere, the old one nowhere', async () => {
    const units = await sbx.units();
    const addresses = Object.values(units).map((u) => u.address);
    const leader = Object.entries(units).find(([, u]) => u.leader)?.[0];
    // The leader rotates the application's secret; it is not unit 0.
    expect(leader).toBe(LEADERSHIP.leader);
    const oldPassword = await sbx.operatorPassword();
    // The writer asks for the password at each connect: what the test holds at that moment.
    let current = oldPassword;
    const cw = writer(() => addresses, () => current, 'cw_password');
    await cw.start();
    try {
      await cw.waitForWrites(50, MIN);
      const rotatedAt = Date.now();
      const results = await timed('set-password', () => sbx.runOk(leader!, 'set-password', { username: OPERATOR }));
      const newPassword = results['password'];
      expect(typeof newPassword).toBe('string');
      expect(newPassword).not.toBe(oldPassword);
      current = newPassword as string;
      sbx.forgetPassword();
      expect(await sbx.operatorPassword()).toBe(newPassword);
      // Every unit re-renders patroni.yml with the new superuser password within seconds: the
      // leader and the followers read the application secret, so Juju (and the sandbox) send
      // them secret-changed for the new revision.
      await timed('patroni.yml follows set-password', () =>
        Promise.all(
          unitNames(units).map((u) =>
            sbx.until(() => sbx.ssh(u, ['cat', '/var/lib/postgresql/data/patroni.yml']), (r) => r.stdout.includes(newPassword as string), `new password in ${u}'s patroni.yml`, 30_000),
          ),
        ),
      );
      for (const u of unitNames(units)) expect((await sbx.hooksStarted(u, rotatedAt)).map((h) => h.hook), u).toContain('secret-changed');

      // Writes carried on over the rotation (sessions are only checked at login)...
      await cw.waitForWrites(50, MIN);
      // ...and a writer that has to log in again does so with the new password: end its sessions.
      const failuresBefore = cw.report().failures;
      const primary = await sbx.primary();
      const ended = await sbx.sql<{ n: string }>(
        primary,
        `SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity
          WHERE usename = '${OPERATOR}' AND client_addr = inet_client_addr() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
      );
      expect(Number(ended[0]!.n)).toBeGreaterThanOrEqual(1);
      await cw.waitForWrites(50, MIN);
      expect(cw.report().failures).toBeGreaterThan(failuresBefore);
    } finally {
      const report = await cw.stop();
      console.info(`set-password writes: ${describeReport(report)}`);
    }
    // Each unit is read once it has replayed up to the primary's last flushed position.
    const checks = await cw.verifyReplicated(addresses);
    for (const host of addresses) expect(checks[host], host).toMatchObject({ missing: [], duplicated: [], unexpected: [], caughtUp: true });
    for (const host of addresses) {
      expect(await connectError(host, OPERATOR, current), `new password on ${host}`).toBeUndefined();
      expect(await connectError(host, OPERATOR, oldPassword), `old password on ${host}`).toBe('28P01');
    }
    // The other units pick the new secret up (secret-changed) and stay active.
    await sbx.waitFor((u) => allActive(u, 3) && healthyCluster(u, 3), 'all active after the rotation', 3 * MIN);
  }, 8 * MIN);

  it('c2. set-password, then kill -9 of Patroni on another unit at once: that unit runs, healthy and active, within 30 s', async () => {
    const units = await sbx.units();
    const leader = Object.entries(units).find(([, u]) => u.leader)?.[0];
    const other = unitNames(units).find((u) => u !== leader)!;
    const results = await sbx.runOk(leader!, 'set-password', { username: OPERATOR });
    const newPassword = results['password'] as string;
    sbx.forgetPassword();
    // PostgreSQL stays up: Patroni comes back (Pebble) and must log in with the new password.
    const killed = await sbx.killMember(other, { patroniOnly: true });
    expect(killed.patroni.length).toBeGreaterThan(0);
    const member = (unit: string) => sbx.patroniCluster(other).then((ms) => ms.find((m) => m.name === unit.replace('/', '-')));
    await timed('member healthy after set-password and a Patroni kill', () =>
      sbx.until(
        async () => ({ state: (await member(other).catch(() => undefined))?.state, status: (await sbx.units())[other]?.['workload-status'] }),
        (v) => (v.state === 'running' || v.state === 'streaming') && v.status?.current === 'active',
        `${other} running and active after the kill`,
        30_000,
      ),
    );
    expect(await connectError(units[other]!.address, OPERATOR, newPassword)).toBeUndefined();
    await sbx.waitFor((u) => allActive(u, 3) && healthyCluster(u, 3), 'all active after the heal', 3 * MIN);
  }, 5 * MIN);

  it('d1. promote-to-primary scope=unit on a sync standby: it becomes the primary and takes writes', async () => {
    const units = (await sbx.waitFor((u) => healthyCluster(u, 3) && Object.values(u).some((x) => x.patroni?.role === 'sync_standby'), 'a sync standby', 2 * MIN)).applications[APP]!
      .units;
    const oldPrimary = leaderOf(units)!;
    const candidate = unitNames(units).find((u) => units[u]!.patroni?.role === 'sync_standby')!;
    await timed('switchover', () => sbx.runOk(candidate, 'promote-to-primary', { scope: 'unit' }));
    const after = await sbx.waitFor((u) => leaderOf(u) === candidate, `${candidate} to lead in Patroni`, MIN);
    expect(roles(after.applications[APP]!.units)[oldPrimary]).not.toBe('leader');
    expect((await sbx.runOk(oldPrimary, 'get-primary'))['primary']).toBe(candidate);
    await sbx.sql(candidate, "INSERT INTO cluster_smoke VALUES (1000, 'after switchover')");
    // The old primary rejoins as a replica and catches up.
    await sbx.waitFor((u) => healthyCluster(u, 3) && leaderOf(u) === candidate, `${oldPrimary} back as a caught-up replica`, 3 * MIN);
    await sbx.until(() => sbx.sql<{ n: string }>(oldPrimary, 'SELECT count(*) AS n FROM cluster_smoke WHERE id = 1000'), (r) => r[0]?.n === '1', `row 1000 on ${oldPrimary}`, MIN);
    // The action shows "Primary" on the new primary and its peer-bag write moves it off the old
    // one (relation-changed there), well before any update-status.
    await sbx.waitFor((u) => allActive(u, 3) && leaderOf(u) === candidate, `"Primary" shown on ${candidate} alone`, MIN);
  }, 6 * MIN);
});
