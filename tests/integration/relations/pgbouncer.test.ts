import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP, SandboxFixture, type StatusDoc } from '../../support/sandbox-fixture.ts';

// PostgreSQL (1 unit) ← pgbouncer-k8s (sandbox/charms/pgbouncer, Debian's pgbouncer) ← test-client:
// pgbouncer asks our `database` endpoint for `pgbouncer` as a SUPERUSER and sets itself up on our
// server as pgbouncer-k8s does; the client then writes and reads through pgbouncer's Service.
const PGB = 'pgbouncer-k8s';
const CLIENT = 'test-client';
let fixture: SandboxFixture;

const workload = (status: StatusDoc, app: string) => status.applications[app]?.units[`${app}/0`];

async function waitForActive(app: string, timeoutMs = 420_000): Promise<StatusDoc> {
  return fixture.until(
    () => fixture.status(),
    (status) => workload(status, app)?.['workload-status'].current === 'active' && workload(status, app)?.['juju-status'].current === 'idle',
    `${app}/0 active and idle`,
    timeoutMs,
  );
}

beforeAll(async () => {
  fixture = await SandboxFixture.create('pgbouncer');
  await fixture.deploy(1);
  await fixture.waitForActive(1);
});

afterAll(async () => {
  await fixture?.teardown();
});

describe('pgbouncer-k8s in front of our database endpoint', () => {
  let authUser = '';

  it('relates backend-database and sets up its auth user and auth function on our server', async () => {
    await fixture.cliOk(['deploy', '--trust', 'pgbouncer', '--timeout', '5m'], 6 * 60_000);
    await fixture.cliOk(['relate', `${PGB}:backend-database`, `${APP}:database`, '--timeout', '8m'], 9 * 60_000);
    await waitForActive(PGB);

    const primary = await fixture.primary();
    const roles = await fixture.sql<{ rolname: string; rolsuper: boolean; md5: boolean }>(
      primary,
      "SELECT rolname, rolsuper, rolpassword LIKE 'md5%' AS md5 FROM pg_authid WHERE rolname LIKE 'pgbouncer_auth_relation_id_%'",
    );
    expect(roles).toHaveLength(1);
    expect(roles[0]).toMatchObject({ rolsuper: true, md5: true });
    authUser = roles[0]!.rolname;
    for (const database of ['pgbouncer', 'postgres']) {
      const functions = await fixture.sql(primary, 'SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1 AND p.proname = $2', {
        database,
        params: [authUser, 'get_auth'],
      });
      expect(functions, `get_auth in ${database}`).toHaveLength(1);
    }
  });

  it("a client of pgbouncer gets pgbouncer's Service as its endpoints, and its user and database are on our server", async () => {
    await fixture.cliOk(['deploy', CLIENT, '--timeout', '5m'], 6 * 60_000);
    await fixture.cliOk(['relate', `${CLIENT}:database`, `${PGB}:database`, '--timeout', '8m'], 9 * 60_000);
    await waitForActive(CLIENT);

    const credentials = await fixture.runOk(`${CLIENT}/0`, 'get-credentials');
    expect(credentials).toMatchObject({
      ready: 'true',
      database: 'test_client_database',
      endpoints: expect.stringMatching(/^pgbouncer-k8s-service\..+\.svc\.cluster\.local:6432$/),
      'read-only-endpoints': expect.stringMatching(/^pgbouncer-k8s-service\..+\.svc\.cluster\.local:6432$/),
      version: expect.stringMatching(/^\d+\.\d+$/),
    });
    const user = String(credentials['username']);
    expect(user).toMatch(/^relation_id_\d+$/);

    const primary = await fixture.primary();
    expect(await fixture.sql(primary, 'SELECT 1 FROM pg_roles WHERE rolname = $1', { params: [user] })).toHaveLength(1);
    expect(await fixture.sql(primary, "SELECT 1 FROM pg_database WHERE datname = 'test_client_database'")).toHaveLength(1);
    const functions = await fixture.sql(primary, 'SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1', {
      database: 'test_client_database',
      params: [authUser],
    });
    expect(functions).toHaveLength(1);
  });

  it('writes through pgbouncer and reads them back through <db>_readonly', async () => {
    await fixture.runOk(`${CLIENT}/0`, 'start-continuous-writes');
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const stopped = await fixture.runOk(`${CLIENT}/0`, 'stop-continuous-writes');
    const writes = Number(stopped['writes']);
    expect(writes).toBeGreaterThan(0);
    expect(stopped).toMatchObject({ failures: '0', uncertain: '[]' });

    const read = await fixture.runOk(`${CLIENT}/0`, 'read');
    expect(read).toMatchObject({
      primary: { host: expect.stringMatching(/^pgbouncer-k8s-service\./), count: String(writes) },
      replica: { host: expect.stringMatching(/^pgbouncer-k8s-service\./), count: String(writes) },
    });
    // The rows are on our server, written by the client's user through pgbouncer.
    const rows = await fixture.sql<{ count: string }>(await fixture.primary(), 'SELECT count(*)::text AS count FROM continuous_writes', { database: 'test_client_database' });
    expect(rows[0]?.count).toBe(String(writes));
  });
});
