import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContinuousWrites, lsnValue } from '../../support/continuous-writes.ts';
import { startPostgres, type PostgresInstance } from '../../support/postgres-instance.ts';

// The fault-test instrument itself must be trustworthy: it keeps its promise through dropped
// connections, and its verification catches a lost or a doubled write.
describe('ContinuousWrites against a real PostgreSQL', () => {
  let instance: PostgresInstance;
  beforeAll(async () => {
    // Commits wait for synchronous standbys only with synchronous_commit on (the test default is off).
    instance = await startPostgres({ settings: { synchronous_commit: 'on' } });
  });
  afterAll(async () => {
    await instance?.stop();
  });

  const admin = async <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ host: instance.host, port: instance.port, user: instance.superuser, password: instance.superuserPassword, database: 'postgres' });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };

  const writer = () =>
    new ContinuousWrites({
      hosts: () => [instance.host],
      port: instance.port,
      user: instance.superuser,
      password: instance.superuserPassword,
      intervalMs: 5,
    });

  it('loses and doubles nothing while its connections are killed', async () => {
    const writes = writer();
    await writes.start();
    for (let i = 0; i < 3; i++) {
      await writes.waitForWrites(20, 10_000);
      await admin((c) => c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%continuous_writes%' AND pid <> pg_backend_pid()"));
    }
    await writes.waitForWrites(20, 10_000);
    const report = await writes.stop();
    expect(report.acknowledged.length).toBeGreaterThanOrEqual(80);
    expect(report.failures).toBeGreaterThanOrEqual(3);
    // Every value is acknowledged or uncertain, never both, none skipped.
    const all = [...report.acknowledged, ...report.uncertain].sort((a, b) => a - b);
    expect(all).toEqual(all.map((_, i) => i + 1));
    const check = await writes.verify(instance.host);
    expect(check).toMatchObject({ missing: [], duplicated: [], unexpected: [] });
  });

  it('never writes a value twice when commits hang on a synchronous standby and land after it gave up', async () => {
    const writes = writer();
    await writes.start();
    await writes.waitForWrites(10, 10_000);
    // No such standby: every commit waits (committed locally, invisible) past the client's timeout.
    await admin(async (c) => {
      await c.query("ALTER SYSTEM SET synchronous_standby_names = 'nobody'");
      await c.query('SELECT pg_reload_conf()');
    });
    try {
      await waitFor(() => writes.report().uncertain.length >= 2, 20_000);
    } finally {
      // The waiting backends are released: the commits their clients gave up on land now.
      await admin(async (c) => {
        await c.query('ALTER SYSTEM RESET synchronous_standby_names');
        await c.query('SELECT pg_reload_conf()');
      });
    }
    await writes.waitForWrites(10, 20_000);
    const report = await writes.stop();
    const check = await writes.verify(instance.host);
    expect(check).toMatchObject({ missing: [], duplicated: [], unexpected: [] });
    // The writes given up on did commit: each once, under the value it was given.
    const present = await admin((c) => c.query<{ value: string }>('SELECT value FROM continuous_writes WHERE value = ANY($1::bigint[])', [report.uncertain]));
    expect(present.rows.map((r) => Number(r.value)).sort((a, b) => a - b)).toEqual(report.uncertain);
  }, 60_000);

  it('reports a lost acknowledged write and a doubled one', async () => {
    const writes = writer();
    await writes.start();
    await writes.waitForWrites(10, 10_000);
    const report = await writes.stop();
    const [lost, doubled] = [report.acknowledged[2]!, report.acknowledged[5]!];
    await admin(async (c) => {
      await c.query('DELETE FROM continuous_writes WHERE value = $1', [lost]);
      await c.query('INSERT INTO continuous_writes (value) VALUES ($1)', [doubled]);
    });
    const check = await writes.verify(instance.host);
    expect(check.missing).toEqual([lost]);
    expect(check.duplicated).toEqual([doubled]);
  });

  it('verifyReplicated reads a primary at once, at its flushed WAL position, and refuses two primaries', async () => {
    const writes = writer();
    await writes.start();
    await writes.waitForWrites(10, 10_000);
    await writes.stop();
    const position = await writes.walPosition(instance.host);
    expect(position.inRecovery).toBe(false);
    expect(position.received).toBeNull();
    const checks = await writes.verifyReplicated([instance.host], 10_000);
    expect(checks[instance.host]).toMatchObject({ missing: [], duplicated: [], unexpected: [], caughtUp: true, position: { inRecovery: false } });
    expect(lsnValue(checks[instance.host]!.target)).toBeGreaterThanOrEqual(lsnValue(position.lsn!));
    // The same server under a second name: to the check, two hosts that both take writes.
    await expect(writes.verifyReplicated([instance.host, 'localhost'], 10_000)).rejects.toThrow(/more than one primary/);
  });

  it('lsnValue orders LSNs as the WAL does (the high half first), and refuses what is not one', () => {
    expect(lsnValue('0/16B3748')).toBe(0x16b3748n);
    expect(lsnValue('1/0') > lsnValue('0/FFFFFFFF')).toBe(true);
    expect(lsnValue('A/1')).toBe((10n << 32n) + 1n);
    expect(() => lsnValue('16B3748')).toThrow(TypeError);
  });
});

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
