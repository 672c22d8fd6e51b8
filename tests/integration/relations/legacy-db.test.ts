import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP, SandboxFixture, type StatusDoc } from '../../support/sandbox-fixture.ts';

// PostgreSQL (2 units) ← test-client on the legacy `db` endpoint, as an ops-lib-pgsql client asking
// for `pg_trgm:public,unaccent:public` (what the reference's Mattermost/Discourse tests ask for):
// Blocked until the plugins are enabled, then the client finds a ready `master` (our bags echo its
// extensions and allow its egress subnet), writes through the primary Service and reads through
// the replicas Service; remove-relation drops the user.
const CLIENT = 'test-client';
const DATABASE = 'test_client_database';
const EXTENSIONS_BLOCKED = 'extensions requested through relation';
/** Deploys, relations and config changes each follow the hooks until the model settles. */
const TEST_TIMEOUT = 20 * 60_000;
let fixture: SandboxFixture;

const clientUnit = (status: StatusDoc) => status.applications[CLIENT]?.units[`${CLIENT}/0`];

async function waitForClient(current: string, message: string, timeoutMs = 420_000): Promise<StatusDoc> {
  return fixture.until(
    () => fixture.status(),
    (status) => clientUnit(status)?.['workload-status'].current === current && clientUnit(status)?.['workload-status'].message === message && clientUnit(status)?.['juju-status'].current === 'idle',
    `${CLIENT}/0 ${current} "${message}"`,
    timeoutMs,
  );
}

beforeAll(async () => {
  fixture = await SandboxFixture.create('legacy-db');
  await fixture.deploy(2);
  await fixture.waitForActive(2);
}, TEST_TIMEOUT);

afterAll(async () => {
  await fixture?.teardown();
});

describe('a legacy db client with extensions', () => {
  let user = '';

  it('blocks while the requested extensions are disabled, handing out nothing', async () => {
    await fixture.cliOk(['deploy', CLIENT, '--timeout', '5m'], 6 * 60_000);
    await fixture.cliOk(['config', CLIENT, 'extensions=pg_trgm:public,unaccent:public', '--timeout', '5m'], 6 * 60_000);
    await fixture.cliOk(['relate', `${CLIENT}:db`, `${APP}:db`, '--timeout', '8m'], 9 * 60_000);

    const status = await fixture.until(
      () => fixture.status(),
      (doc) => doc.applications[APP]?.['application-status'].message === EXTENSIONS_BLOCKED,
      `${APP} blocked "${EXTENSIONS_BLOCKED}"`,
      300_000,
    );
    expect(status.applications[APP]!['application-status'].current).toBe('blocked');
    expect(clientUnit(status)?.['workload-status'].current).toBe('waiting');
    const primary = await fixture.primary();
    expect(await fixture.sql(primary, 'SELECT 1 FROM pg_database WHERE datname = $1', { params: [DATABASE] })).toHaveLength(0);
  }, TEST_TIMEOUT);

  it('serves the client once the plugins are enabled, and the status clears', async () => {
    await fixture.cliOk(['config', APP, 'plugin_pg_trgm_enable=true', 'plugin_unaccent_enable=true', '--timeout', '10m'], 11 * 60_000);
    await waitForClient('active', 'database ready');
    await fixture.waitForActive(2);

    const credentials = await fixture.runOk(`${CLIENT}/0`, 'get-credentials');
    expect(credentials).toMatchObject({
      mode: 'db',
      ready: 'true',
      database: DATABASE,
      endpoints: expect.stringMatching(new RegExp(`^${APP}-primary\\..+\\.svc\\.cluster\\.local:5432$`)),
      'read-only-endpoints': expect.stringMatching(new RegExp(`^${APP}-replicas\\..+\\.svc\\.cluster\\.local:5432$`)),
    });
    user = String(credentials['username']);
    expect(user).toMatch(/^relation_id_\d+$/);

    const primary = await fixture.primary();
    const roles = await fixture.sql<{ rolsuper: boolean; member: boolean }>(
      primary,
      "SELECT rolsuper, pg_has_role(rolname, 'relation_access', 'member') AS member FROM pg_roles WHERE rolname = $1",
      { params: [user] },
    );
    expect(roles).toEqual([{ rolsuper: false, member: true }]);
    const extensions = await fixture.sql<{ extname: string }>(primary, 'SELECT extname FROM pg_extension ORDER BY extname', { database: DATABASE });
    expect(extensions.map((row) => row.extname)).toEqual(expect.arrayContaining(['pg_trgm', 'unaccent']));
  }, TEST_TIMEOUT);

  it('writes through the primary Service and reads them back through the replicas Service', async () => {
    await fixture.runOk(`${CLIENT}/0`, 'start-continuous-writes');
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const stopped = await fixture.runOk(`${CLIENT}/0`, 'stop-continuous-writes');
    const writes = Number(stopped['writes']);
    expect(writes).toBeGreaterThan(0);
    expect(stopped).toMatchObject({ failures: '0', uncertain: '[]' });

    const read = await fixture.until(
      () => fixture.runOk(`${CLIENT}/0`, 'read'),
      (result) => (result['replica'] as { count?: string } | undefined)?.count === String(writes),
      'the replica has every acknowledged write',
      60_000,
    );
    expect(read).toMatchObject({
      primary: { host: expect.stringMatching(new RegExp(`^${APP}-primary\\.`)), count: String(writes) },
      replica: { host: expect.stringMatching(new RegExp(`^${APP}-replicas\\.`)), count: String(writes) },
    });
  }, TEST_TIMEOUT);

  it('drops the user when the relation is removed', async () => {
    await fixture.cliOk(['remove-relation', `${CLIENT}:db`, `${APP}:db`, '--timeout', '8m'], 9 * 60_000);
    await fixture.until(
      async () => fixture.sql(await fixture.primary(), 'SELECT 1 FROM pg_roles WHERE rolname = $1', { params: [user] }),
      (rows) => rows.length === 0,
      `${user} dropped`,
      120_000,
    );
    await fixture.waitForActive(2);
  }, TEST_TIMEOUT);
});
