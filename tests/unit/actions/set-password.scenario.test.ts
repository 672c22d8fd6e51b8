/**
 * set-password through the whole charm, state in → one action → state out: the application
 * secret, the database (the in-memory double: which member got which SQL), what each member's
 * Patroni was asked, and what this unit's workload got (patroni.yml, the Pebble layer, signals).
 * The SQL itself runs against a real PostgreSQL in tests/component/actions/set-password.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { member, memberHost, PASSWORDS, runScenario, type ScenarioResult, type ScenarioState } from '../scenario/charm-scenario.ts';
import { DEFAULT_WAL_LSN, DEFAULT_WAL_POSITION, emptyDatabase } from '../scenario/in-memory-postgresql.ts';
import { initialisedApp, operations, patroniYml, PATRONI_YML, requestLines, settle, shared, STORAGE } from '../handlers/reconcile/support.ts';

const NOT_READY = 'Failed changing the password: Not all members healthy or finished initial sync.';
/** Each replica reports having replayed exactly up to the primary's WAL position after the change. */
const xlog = { replayed_location: DEFAULT_WAL_POSITION };
/** Three units; unit 0 is the Juju leader, but unit 2's member is Patroni's leader (the primary). */
const CLUSTER = [member(0, 'sync_standby', { xlog }), member(1, 'replica', { xlog }), member(2, 'leader')];

/** Unit 0 settled (patroni.yml written, Patroni planned and running), before any rotation. */
const steady = shared(() =>
  settle({
    units: 3,
    appSecret: { ...PASSWORDS },
    peerApp: initialisedApp(0, 1, 2),
    cluster: CLUSTER,
    database: emptyDatabase({ users: ['operator', 'replication', 'rewind', 'monitoring', 'backup'] }),
  }),
);

async function setPassword(params: Record<string, unknown>, change: (state: ScenarioState) => ScenarioState = (state) => state): Promise<ScenarioResult> {
  return runScenario({ hook: 'action', action: 'set-password', params }, change(await steady()));
}

/** Nothing changed anywhere: the secret, the database, the workload; no unsafe Patroni call. */
function expectNothingChanged(result: ScenarioResult): void {
  expect(result.appSecret).toEqual(PASSWORDS);
  expect(result.sql).toEqual([]);
  expect(result.database.passwords).toBeUndefined();
  expect(result.workloadOperations).toEqual([]);
  expect(result.patroniRequests.filter((request) => request.method !== 'GET')).toEqual([]);
}

describe('set-password refusals', () => {
  it("runs only on the leader unit (the reference's message)", async () => {
    const result = await setPassword({ username: 'replication', password: 'NotLeader000001' }, (state) => ({ ...state, leader: 1 }));
    expect(result.exitCode).toBe(0);
    expect(result.action).toMatchObject({ failed: true, message: 'The action can be run only on leader unit', results: {} });
    expectNothingChanged(result);
    expect(result.patroniRequests).toEqual([]);
  });

  it("refuses a user that is neither a system user nor patroni (the reference's message)", async () => {
    const result = await setPassword({ username: 'postgres', password: 'Unknown00000001' });
    expect(result.action).toMatchObject({
      failed: true,
      message: 'The action can be run only for system users or Patroni: backup, replication, rewind, operator, monitoring, patroni not postgres',
    });
    expectNothingChanged(result);
  });

  it.each([
    ['a newline', 'two\nlines', /control characters/],
    ['a non-ASCII character', 'pässwörd-0001', /only ASCII characters.*: choose another password$/],
    ['the shape of an md5 hash', `md5${'a'.repeat(32)}`, /must not look like a stored hash/],
  ])('refuses a password with %s before anything is stored, without echoing it', async (_what, password, message) => {
    const result = await setPassword({ username: 'replication', password });
    expect(result.action).toMatchObject({ failed: true, message: expect.stringMatching(message) });
    expect(result.action?.message).not.toContain(password);
    expectNothingChanged(result);
  });

  it("refuses while a member is not running (the reference's message), changing nothing", async () => {
    const starting = [CLUSTER[0]!, { ...CLUSTER[1]!, state: 'starting' }, CLUSTER[2]!];
    const result = await setPassword({ username: 'replication', password: 'NotReady0000001' }, (state) => ({ ...state, cluster: starting }));
    expect(result.action).toMatchObject({ failed: true, message: NOT_READY, results: {} });
    expectNothingChanged(result);
    expect(result.logs).not.toContain('NotReady0000001');
  });

  it("keeps the old password in the secret when the primary refuses the charm's login", async () => {
    // operator's password in the database is not the one in the secret (say, changed by hand).
    const result = await setPassword({ username: 'rewind', password: 'Refused00000001' }, (state) => ({
      ...state,
      database: { ...state.database!, passwords: { operator: 'ChangedByHand001' } },
    }));
    expect(result.action).toMatchObject({ failed: true, message: 'Failed changing the password.', results: {} });
    expect(result.appSecret).toEqual(PASSWORDS);
    expect(result.sql.map((call) => call.method)).toEqual(['updateUserPassword']);
    expect(result.database.passwords).toEqual({ operator: 'ChangedByHand001' });
    expect(result.workloadOperations).toEqual([]);
    expect(result.logs).not.toContain('Refused00000001');
  });
});

describe('set-password rotating a database user', () => {
  const NEW = 'NewReplication01';
  const rotated = shared(() => setPassword({ username: 'replication', password: NEW }));

  it('hands the new password back and stores it in the application secret, the others untouched', async () => {
    const result = await rotated();
    expect(result.exitCode).toBe(0);
    expect(result.action).toMatchObject({ failed: false, message: '', results: { password: NEW } });
    expect(result.appSecret).toEqual({ ...PASSWORDS, 'replication-password': NEW });
  });

  it("changes it once, on the primary Patroni names (not this unit), then reads the primary's WAL position", async () => {
    const result = await rotated();
    expect(result.sql).toEqual([
      { method: 'updateUserPassword', host: memberHost(2), args: ['replication', '<given>'] },
      { method: 'query', host: memberHost(2), args: ['SELECT pg_current_wal_lsn()::text AS lsn'] },
    ]);
    expect(result.database.passwords).toEqual({ replication: NEW });
  });

  it('waits for both other members to report having replayed that position', async () => {
    const result = await rotated();
    expect(DEFAULT_WAL_LSN).toBe('0/3000060'); // = DEFAULT_WAL_POSITION, what the replicas report
    expect(requestLines(result).filter((line) => line === 'GET /patroni')).toHaveLength(2);
  });

  it("re-renders this unit's patroni.yml with the new password and reloads Patroni with SIGHUP, restarting nothing", async () => {
    const result = await rotated();
    expect(patroniYml({ workload: (await steady()).workload! })?.postgresql.authentication.replication.password).toBe(PASSWORDS['replication-password']);
    expect(patroniYml(result)?.postgresql.authentication.replication.password).toBe(NEW);
    const changes = result.workloadOperations.filter((op) => op.op !== 'exec');
    expect(changes).toEqual([
      expect.objectContaining({ op: 'push', path: PATRONI_YML }),
      { op: 'signal', signal: 'SIGHUP', services: ['postgresql'] },
    ]);
    expect(requestLines(result)).not.toContain('POST /restart');
  });

  it('never writes the password to the logs', async () => {
    const result = await rotated();
    expect(result.logs).toContain('password changed and stored');
    expect(result.logs).not.toContain(NEW);
  });

  it("says so, keeping the new password, when the primary's WAL position cannot be read", async () => {
    const result = await setPassword({ username: 'replication', password: 'NoWalPosition001' }, (state) => ({
      ...state,
      database: { ...state.database!, failures: { query: new Error('connection reset') } },
    }));
    expect(result.action).toMatchObject({
      failed: true,
      message:
        "The password was changed and stored, but the primary's WAL position could not be read to confirm the replicas have it (connection reset)",
      results: { password: 'NoWalPosition001' },
    });
    expect(result.appSecret['replication-password']).toBe('NoWalPosition001');
    expect(requestLines(result)).not.toContain('GET /patroni');
  });
});

describe('set-password for other users', () => {
  it('rotates operator itself with a generated password, and patroni.yml gets it as the superuser password', async () => {
    const result = await setPassword({ username: 'operator' });
    const password = result.action?.results['password'] as string;
    expect(result.action?.failed).toBe(false);
    expect(password).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(result.appSecret['operator-password']).toBe(password);
    expect(result.database.passwords).toEqual({ operator: password });
    // The WAL position is read after the change, so only the new password logs in (the double checks).
    expect(result.sql.map((call) => `${call.method} ${call.host}`)).toEqual([`updateUserPassword ${memberHost(2)}`, `query ${memberHost(2)}`]);
    expect(result.action?.message).toBe('');
    expect(patroniYml(result)?.postgresql.authentication.superuser.password).toBe(password);
    expect(operations(result, 'signal')).toEqual([{ op: 'signal', signal: 'SIGHUP', services: ['postgresql'] }]);
    expect(result.logs).not.toContain(password);
  });

  it('announces the change in the peer app bag, so every unit gets relation-changed at once', async () => {
    const first = await setPassword({ username: 'operator', password: 'NewOperator00001' });
    expect(first.action).toMatchObject({ failed: false, message: '' });
    expect(first.peerApp['password-rotation']).toBe('1');
    const next = await setPassword({ username: 'rewind', password: 'NewRewind0000001' }, (state) => ({
      ...state,
      peerApp: { ...state.peerApp, 'password-rotation': '41' },
    }));
    expect(next.peerApp['password-rotation']).toBe('42');
    expect(JSON.stringify(next.peerApp)).not.toContain('NewRewind0000001');
  });

  it('announces nothing when the password is unchanged or the action is refused', async () => {
    const same = await setPassword({ username: 'operator', password: PASSWORDS['operator-password']! });
    expect(same.peerApp['password-rotation']).toBeUndefined();
    const refused = await setPassword({ username: 'nobody', password: 'x' });
    expect(refused.peerApp['password-rotation']).toBeUndefined();
  });

  it("gives monitoring's new password to the metrics exporter in its 0600 file, not in the Pebble plan", async () => {
    const password = "p w'x\\y:z";
    const result = await setPassword({ username: 'monitoring', password });
    expect(result.action).toMatchObject({ failed: false, results: { password } });
    expect(result.workload.files[`${STORAGE}/monitoring.pgpass`]).toEqual({
      content: "*:*:*:monitoring:p w'x\\\\y\\:z\n",
      permissions: 0o600,
      user: 'postgres',
      group: 'postgres',
    });
    expect(JSON.stringify(result.workload.plan)).not.toContain(password);
    expect(result.logs).not.toContain(password);
  });


  it('changes the Patroni REST password without touching the database or waiting for replicas', async () => {
    const result = await setPassword({ username: 'patroni', password: 'NewPatroniRest01' });
    expect(result.action).toMatchObject({ failed: false, message: '', results: { password: 'NewPatroniRest01' } });
    expect(result.appSecret).toEqual({ ...PASSWORDS, 'patroni-password': 'NewPatroniRest01' });
    expect(result.sql).toEqual([]);
    expect(requestLines(result)).not.toContain('GET /patroni');
    expect(patroniYml(result)?.restapi.authentication).toEqual({ username: 'patroni', password: 'NewPatroniRest01' });
    // SIGHUP, not POST /reload: a REST call with the new password would answer 401 until the reload.
    expect(operations(result, 'signal')).toEqual([{ op: 'signal', signal: 'SIGHUP', services: ['postgresql'] }]);
    expect(requestLines(result)).not.toContain('POST /reload');
    expect(result.logs).not.toContain('NewPatroniRest01');
  });

  it('returns the stored password, changing nothing, when it is the same', async () => {
    const result = await setPassword({ username: 'rewind', password: PASSWORDS['rewind-password'] });
    expect(result.action).toMatchObject({ failed: false, results: { password: PASSWORDS['rewind-password'] } });
    expectNothingChanged(result);
    expect(result.patroniRequests).toEqual([]);
    expect(result.logs).toContain('The old and new passwords are equal.');
  });
});
