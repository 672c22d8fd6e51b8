import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP, SandboxFixture } from '../../support/sandbox-fixture.ts';

// The authorisation rules observer (src/workload/authorisation-rules-observer.ts) in a real
// deployment: a user and database made behind the charm's back, as PgBouncer makes them for its
// own clients, get a pg_hba rule on every unit within seconds, and only through the
// `postgresql-pebble-custom-notice` hooks the observer's notices become, not at the next
// update-status. A client relation is there because, like PgBouncer's, the users PostgreSQL
// holds are looked at only while a client relation exists.
const MIN = 60_000;
const USER = 'relation_id_9999';
const DATABASE = 'oob_9999';
const PASSWORD = 'Oob-Passw0rd-9999';
const NOTICE_HOOK = 'postgresql-pebble-custom-notice';
/** pgbouncer-k8s-operator gives a new user 90 s; we promise a third of that. */
const BUDGET_MS = 30_000;

let sbx: SandboxFixture;

beforeAll(async () => {
  sbx = await SandboxFixture.create('rules-observer');
});

afterAll(async () => {
  await sbx?.teardown();
});

async function ruleCount(unit: string): Promise<number> {
  const rows = await sbx.sql<{ n: number }>(unit, 'SELECT count(*)::int AS n FROM pg_hba_file_rules WHERE $1 = ANY(user_name)', { params: [USER] });
  return rows[0]!.n;
}

describe('authorisation rules observer on a 2-unit deployment', () => {
  it('deploys 2 units and relates a client', async () => {
    await sbx.deploy(2);
    await sbx.cliOk(['deploy', 'test-client', 'client', '--timeout', '5m'], 6 * MIN);
    await sbx.cliOk(['relate', 'client:database', `${APP}:database`, '--timeout', '8m'], 9 * MIN);
    await sbx.until(
      () => sbx.status(),
      (status) => status.applications['client']?.units['client/0']?.['workload-status'].message === 'database ready',
      'client/0 "database ready"',
      3 * MIN,
    );
    for (const unit of [`${APP}/0`, `${APP}/1`]) expect(await ruleCount(unit)).toBe(0);
  }, 15 * MIN);

  it('a user and database created out of band get their rule on every unit within 30 s, through the custom notice alone', async () => {
    const primary = await sbx.primary();
    const since = Date.now();
    await sbx.sql(primary, `CREATE ROLE ${USER} WITH LOGIN PASSWORD '${PASSWORD}'`);
    await sbx.sql(primary, `CREATE DATABASE ${DATABASE}`);
    await sbx.sql(primary, `REVOKE ALL PRIVILEGES ON DATABASE ${DATABASE} FROM PUBLIC`);
    await sbx.sql(primary, `GRANT ALL PRIVILEGES ON DATABASE ${DATABASE} TO ${USER}`);
    // PgBouncer starts its 90 s of polling once its GRANT is done.
    const grantedAt = Date.now();

    for (const unit of [`${APP}/0`, `${APP}/1`]) {
      await sbx.until(() => ruleCount(unit), (n) => n > 0, `a pg_hba rule for ${USER} on ${unit}`, BUDGET_MS, 250).catch(async (error: unknown) => {
        const log = (await sbx.debugLog(unit)).split('\n').filter((line) => /authorisation-rules-observer|custom-notice|notice/.test(line));
        throw new Error(`${String(error)}\n${log.slice(-30).join('\n')}`);
      });
      const seenAt = Date.now();
      expect(seenAt - grantedAt).toBeLessThan(BUDGET_MS);
      // Every hook that ran on the unit before its rule was there is the observer's notice.
      const hooks = (await sbx.hooksStarted(unit, since)).filter((h) => h.at <= seenAt).map((h) => h.hook);
      expect(hooks.length).toBeGreaterThan(0);
      expect(new Set(hooks)).toEqual(new Set([NOTICE_HOOK]));
      // And the rule admits it: it logs in to its database on this member.
      const rows = await sbx.sql<{ who: string }>(unit, 'SELECT current_user AS who', { user: USER, password: PASSWORD, database: DATABASE });
      expect(rows).toEqual([{ who: USER }]);
    }
  });
});
