import { readFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CHANGE_FAILED_MESSAGE,
  NOT_LEADER_MESSAGE,
  NOT_READY_MESSAGE,
  setPassword,
  USERNAME_REQUIRED_MESSAGE,
  type SetPasswordDeps,
} from '../../../src/actions/index.ts';
import { asSuperuser, startPostgres, tryLogin, type PostgresInstance } from '../../support/postgres-instance.ts';
import { charmHarness } from '../../support/juju-harness.ts';
import { fakeCluster, startFakePatroni, type FakeCluster, type FakePatroni } from '../../support/fake-patroni.ts';
import { APP, appSecretField, capturedLogger, memberSqlFrom, seedAppSecret, startActionOn, testPatroniClient } from '../../unit/actions/support.ts';

const OLD = { operator: 'opOld0001', replication: 'replOld0001', rewind: 'rewOld0001', monitoring: 'monOld0001', backup: 'bkOld0001' } as const;
const AUTH_FAILED = '28P01';

let pg: PostgresInstance;
let leaderApi: FakePatroni;
let replicaApi: FakePatroni;
/** What both members' Patroni report: unit 0 leads (on the real PostgreSQL), unit 1 replays WAL. */
let cluster: FakeCluster;

beforeAll(async () => {
  // log_statement=all: the test proves the password change itself stays out of the server log.
  pg = await startPostgres({ settings: { log_statement: 'all' } });
  await asSuperuser(pg, async (client) => {
    await client.query('CREATE ROLE operator SUPERUSER LOGIN');
    await client.query('CREATE ROLE replication REPLICATION LOGIN');
    await client.query('CREATE ROLE rewind LOGIN');
    await client.query('CREATE ROLE monitoring LOGIN');
    await client.query('CREATE ROLE backup SUPERUSER LOGIN');
  });
});

afterAll(async () => {
  await pg?.stop();
});

beforeEach(async () => {
  await asSuperuser(pg, async (client) => {
    for (const [user, password] of Object.entries(OLD)) await client.query(`ALTER ROLE ${user} PASSWORD '${password}'`);
  });
  cluster = fakeCluster([
    { name: `${APP}-0`, role: 'leader', state: 'running', host: '127.0.0.1', port: pg.port },
    { name: `${APP}-1`, role: 'sync_standby', state: 'running', host: '127.0.0.1', port: 1, xlog: { replayed_location: 2 ** 52 } },
  ]);
  leaderApi = await startFakePatroni({ self: `${APP}-0`, cluster });
  replicaApi = await startFakePatroni({ self: `${APP}-1`, cluster });
});
const replica = () => cluster.members[1]!;

afterEach(async () => {
  await leaderApi.close();
  await replicaApi.close();
});

interface RunOptions {
  unit?: string;
  /** Replace some dependencies; gets the action's own secret store. */
  deps?: (secrets: SetPasswordDeps['secrets']) => Partial<SetPasswordDeps>;
}

async function run(params: Record<string, unknown>, options: RunOptions = {}) {
  const harness = charmHarness({ units: 2 });
  await seedAppSecret(harness, {
    'operator-password': OLD.operator,
    'replication-password': OLD.replication,
    'rewind-password': OLD.rewind,
    'monitoring-password': OLD.monitoring,
    'backup-password': OLD.backup,
    'patroni-password': 'patOld0001',
  });
  const unit = options.unit ?? `${APP}/0`;
  const running = startActionOn(harness, unit, 'set-password', params);
  const { logger, text } = capturedLogger();
  // No host here: the action must aim at the leader Patroni names (host and port from /cluster).
  const memberSql = memberSqlFrom({ user: 'operator', password: OLD.operator, database: 'postgres' });
  await setPassword(
    running.event,
    {
      tools: running.tools,
      secrets: running.secrets,
      logger,
      unitName: unit,
      appName: APP,
      patroni: () => testPatroniClient(leaderApi.url),
      memberSql,
      ...options.deps?.(running.secrets),
    },
    { replayTimeoutMs: 400, replayIntervalMs: 50 },
  );
  running.commit(); // Juju commits an action's hook-tool writes whenever it exits 0, failed or not.
  return { action: running.action, logs: text(), secret: (field: string) => appSecretField(harness, field) };
}

async function expectUnchanged(result: Awaited<ReturnType<typeof run>>, user: keyof typeof OLD = 'replication') {
  expect(await result.secret(`${user}-password`)).toBe(OLD[user]);
  expect(await tryLogin(pg, user, OLD[user])).toBeNull();
}

describe('set-password refusals (nothing changes)', () => {
  it('runs only on the leader', async () => {
    const result = await run({ username: 'replication', password: 'NewPass0001' }, { unit: `${APP}/1` });
    expect(result.action).toMatchObject({ failed: true, message: NOT_LEADER_MESSAGE, results: {} });
    await expectUnchanged(result);
    expect(leaderApi.requests).toEqual([]);
  });

  it.each([[{}], [{ username: '' }], [{ password: 'NewPass0001' }]])('requires a username: %j', async (params) => {
    const result = await run(params);
    expect(result.action).toMatchObject({ failed: true, message: USERNAME_REQUIRED_MESSAGE });
    await expectUnchanged(result);
  });

  it('accepts only system users and Patroni', async () => {
    const result = await run({ username: 'postgres', password: 'NewPass0001' });
    expect(result.action.message).toBe(
      'The action can be run only for system users or Patroni: backup, replication, rewind, operator, monitoring, patroni not postgres',
    );
    const ldap = await run({ username: 'alice' }, { deps: () => ({ ldapEnabled: async () => true }) });
    expect(ldap.action.message).toBe('The action can be run only for system users when LDAP is enabled');
    expect(leaderApi.requests).toEqual([]);
  });

  it.each([
    ['', 'The password must not be empty: give a password, or leave the parameter out to generate one'],
    ['two\nlines', 'The password must not contain control characters (such as newlines or tabs): choose another password'],
  ])('refuses the password %j', async (password, message) => {
    const result = await run({ username: 'replication', password });
    expect(result.action).toMatchObject({ failed: true, message });
    await expectUnchanged(result);
  });

  it('refuses while a member is not running', async () => {
    replica().state = 'starting';
    const result = await run({ username: 'replication', password: 'NewPass0001' });
    expect(result.action).toMatchObject({ failed: true, message: NOT_READY_MESSAGE, results: {} });
    await expectUnchanged(result);
  });

  it('refuses when no Patroni answers', async () => {
    await leaderApi.close();
    const result = await run({ username: 'replication', password: 'NewPass0001' });
    expect(result.action.message).toBe(NOT_READY_MESSAGE);
    await expectUnchanged(result);
  });

  it('fails without touching the secret when the database refuses the change', async () => {
    cluster.members[0]!.port = 1;
    const result = await run({ username: 'replication', password: 'NewPass0001' });
    expect(result.action).toMatchObject({ failed: true, message: CHANGE_FAILED_MESSAGE, results: {} });
    await expectUnchanged(result);
    expect(result.logs).not.toContain('NewPass0001');
  });
});

describe('set-password on a real PostgreSQL', () => {
  it('changes a user on the primary, stores it, and waits for the replica to replay it', async () => {
    const result = await run({ username: 'replication', password: 'NewRepl0002' });
    expect(result.action).toMatchObject({ failed: false, results: { password: 'NewRepl0002' } });
    expect(await tryLogin(pg, 'replication', 'NewRepl0002')).toBeNull();
    expect(await tryLogin(pg, 'replication', OLD.replication)).toBe(AUTH_FAILED);
    expect(await result.secret('replication-password')).toBe('NewRepl0002');
    expect(replicaApi.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /patroni']);

    expect(result.logs).toContain('password changed and stored');
    expect(result.logs).not.toContain('NewRepl0002');
    const serverLog = await readFile(pg.logFile, 'utf8');
    expect(serverLog).toContain('pg_current_wal_lsn'); // statements are logged…
    expect(serverLog).not.toContain('NewRepl0002'); // …but not the password change
  });

  it('rotates operator itself with a generated 16-character password', async () => {
    const result = await run({ username: 'operator' });
    const password = result.action.results['password'];
    expect(result.action.failed).toBe(false);
    expect(password).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(await tryLogin(pg, 'operator', password as string)).toBeNull();
    expect(await tryLogin(pg, 'operator', OLD.operator)).toBe(AUTH_FAILED);
    expect(await result.secret('operator-password')).toBe(password);
    expect(result.logs).not.toContain(password as string);
  });

  it('returns the stored password without changing anything when it is the same', async () => {
    const result = await run({ username: 'rewind', password: OLD.rewind });
    expect(result.action).toMatchObject({ failed: false, results: { password: OLD.rewind } });
    expect(leaderApi.requests).toEqual([]);
    expect(result.logs).toContain('The old and new passwords are equal.');
  });

  it('keeps the new password, and says so, when a replica has not replayed it in time', async () => {
    replica().xlog = { replayed_location: 0 };
    const result = await run({ username: 'monitoring', password: 'NewMon0003' });
    expect(result.action.failed).toBe(true);
    expect(result.action.message).toBe(
      `The password was changed and stored, but ${APP}/1 had not replayed it after 0.4 s: logging in there with the new password fails until they catch up (check them with juju status; nothing needs to be run again)`,
    );
    expect(result.action.results).toEqual({ password: 'NewMon0003' });
    expect(await result.secret('monitoring-password')).toBe('NewMon0003');
    expect(await tryLogin(pg, 'monitoring', 'NewMon0003')).toBeNull();
  });

  it('still refreshes this unit when a replica lags, and reports both problems', async () => {
    replicaApi.on('/patroni', { status: 503, json: { state: 'running', role: 'replica' } });
    const result = await run(
      { username: 'backup', password: 'NewBk0007' },
      { deps: () => ({ refreshWorkloadConfig: () => Promise.reject(new Error('no pebble')) }) },
    );
    expect(result.action.message).toBe(
      `The password was changed and stored, but ${APP}/1 had not replayed it after 0.4 s: logging in there with the new password fails until they catch up (check them with juju status; nothing needs to be run again); and this unit's Patroni configuration could not be refreshed (no pebble); the next hook on this unit retries`,
    );
    expect(replicaApi.requests.length).toBeGreaterThan(1); // polled until the deadline
    expect(await result.secret('backup-password')).toBe('NewBk0007');
  });

  it('puts the old password back when the secret cannot be written', async () => {
    const harnessSecrets = { get: async () => OLD.operator, set: async () => Promise.reject(new Error('secret-set: permission denied')) };
    const result = await run({ username: 'operator', password: 'NewOp0004' }, { deps: () => ({ secrets: harnessSecrets }) });
    expect(result.action).toMatchObject({ failed: true, message: CHANGE_FAILED_MESSAGE, results: {} });
    await expectUnchanged(result, 'operator');
    expect(await tryLogin(pg, 'operator', 'NewOp0004')).toBe(AUTH_FAILED);
  });

  it('changes the Patroni REST password without touching the database, then refreshes this unit', async () => {
    const seenInRefresh: Array<string | undefined> = [];
    const result = await run(
      { username: 'patroni', password: 'NewPat0005' },
      {
        deps: (secrets) => ({
          refreshWorkloadConfig: async () => {
            seenInRefresh.push(await secrets.get('app', 'patroni-password'));
          },
        }),
      },
    );
    expect(result.action).toMatchObject({ failed: false, results: { password: 'NewPat0005' } });
    expect(await result.secret('patroni-password')).toBe('NewPat0005');
    expect(replicaApi.requests).toEqual([]); // no WAL to wait for
    expect(seenInRefresh).toEqual(['NewPat0005']); // refreshed after the secret holds the new password
    await expectUnchanged(result, 'operator');
  });

  it('reports a failed local refresh after the password is in force', async () => {
    const result = await run(
      { username: 'rewind', password: 'NewRew0006' },
      { deps: () => ({ refreshWorkloadConfig: () => Promise.reject(new Error('pebble: connection refused')) }) },
    );
    expect(result.action.message).toBe(
      "The password was changed and stored, but this unit's Patroni configuration could not be refreshed (pebble: connection refused); the next hook on this unit retries",
    );
    expect(result.action.results).toEqual({ password: 'NewRew0006' });
    expect(await tryLogin(pg, 'rewind', 'NewRew0006')).toBeNull();
    expect(await result.secret('rewind-password')).toBe('NewRew0006');
  });
});
