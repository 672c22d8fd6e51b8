import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContinuousWrites } from '../../support/continuous-writes.ts';
import { startPostgres, type PostgresInstance } from '../../support/postgres-instance.ts';

// The fault-test instrument itself must be trustworthy: it keeps its promise through dropped
// connections, and its verification catches a lost or a doubled write.
describe('ContinuousWrites against a real PostgreSQL', () => {
  let instance: PostgresInstance;
  beforeAll(async () => {
    instance = await startPostgres();
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
    expect(report.acknowledged).toEqual(report.acknowledged.map((_, i) => i + 1).filter((v) => !report.uncertain.includes(v)));
    const check = await writes.verify(instance.host);
    expect(check).toMatchObject({ missing: [], duplicated: [], unexpected: [] });
  });

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
});
