import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxFixture, type StatusDoc } from '../../support/sandbox-fixture.ts';

// The test-client partner charm deployed by name (`deploy test-client client`, built from
// sandbox/charms/test-client) next to a stand-in provider deployed from a charm source directory,
// related, and driven through its actions. The real provider (our charm's `database` endpoint)
// and the writer against real PostgreSQL are covered by the client-relation tests.
const PROVIDER_SOURCE = path.join(import.meta.dirname, 'fixtures', 'fake-provider');
let fixture: SandboxFixture;

const unitStatus = (status: StatusDoc, app: string, unit: string) => status.applications[app]?.units[unit]?.['workload-status'];

async function waitForClientStatus(current: string, message: string): Promise<StatusDoc> {
  return fixture.until(
    () => fixture.status(),
    (status) => {
      const seen = unitStatus(status, 'client', 'client/0');
      return seen?.current === current && seen.message === message && status.applications['client']?.units['client/0']?.['juju-status'].current === 'idle';
    },
    `client/0 ${current} "${message}"`,
    180_000,
  );
}

beforeAll(async () => {
  fixture = await SandboxFixture.create('test-client');
});

afterAll(async () => {
  await fixture?.teardown();
});

describe('test-client partner charm in the sandbox', () => {
  it('deploys by name and waits for a database', async () => {
    const deployed = await fixture.cliOk(['deploy', 'test-client', 'client', '--timeout', '5m'], 6 * 60_000);
    expect(deployed.stderr + deployed.stdout).toMatch(/Deploying "client" from local charm "test-client" \(test-client\)/);
    await waitForClientStatus('waiting', 'waiting for database');
  });

  it('deploys a charm source directory, relates, and database_created fires once', async () => {
    await fixture.cliOk(['deploy', PROVIDER_SOURCE, 'pg', '--timeout', '5m'], 6 * 60_000);
    await fixture.cliOk(['relate', 'client:database', 'pg:database', '--timeout', '5m'], 6 * 60_000);
    await waitForClientStatus('active', 'database ready');

    const report = await fixture.runOk('client/0', 'report');
    expect(JSON.parse(String(report['events']))).toMatchObject({ 'database-relation-created': 1, 'database-created': 1 });
    expect(report).toMatchObject({ status: 'active', message: 'database ready', 'writer-running': 'false' });
  });

  it('get-credentials shows what the client holds, the password only when asked', async () => {
    const credentials = await fixture.runOk('client/0', 'get-credentials');
    expect(credentials).toMatchObject({
      mode: 'database',
      ready: 'true',
      'has-password': 'true',
      database: 'client_database',
      endpoints: expect.stringMatching(/^pg-primary\..+\.svc\.cluster\.local:5432$/),
      version: '14.23',
    });
    expect(credentials['username']).toMatch(/^relation_id_\d+$/);
    expect(credentials).not.toHaveProperty('password');
    expect(credentials).not.toHaveProperty('uris');

    const shown = await fixture.runOk('client/0', 'get-credentials', { 'show-password': true });
    expect(shown).toMatchObject({ password: 'fakepassword0123', uris: expect.stringContaining(':fakepassword0123@pg-primary.') });
  });

  it('remove-relation: the client waits for a database again', async () => {
    await fixture.cliOk(['remove-relation', 'client:database', 'pg:database'], 6 * 60_000);
    await waitForClientStatus('waiting', 'waiting for database');
    const report = await fixture.runOk('client/0', 'report');
    expect(JSON.parse(String(report['events']))).toMatchObject({ 'database-created': 1, 'database-relation-broken': 1 });
  });
});
