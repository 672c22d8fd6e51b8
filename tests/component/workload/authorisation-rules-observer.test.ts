/**
 * The authorisation rules observer's script, run by /bin/sh against a real PostgreSQL 15 with the
 * environment its Pebble service gets (libpq's PG* variables, the monitoring user and password),
 * a 1 s interval, and a stand-in `pebble` first on PATH that records each notify. What matters:
 * no notice for the first read; one soon after a user, database or grant appears (as PgBouncer
 * makes them); none for a password change; quiet retries while it cannot read; the password
 * never in its output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AUTHORISATION_RULES_CHANGED_NOTICE,
  authorisationRulesObserverScript,
  monitoringPgpassContent,
  observerEnvironment,
  workloadPaths,
} from '../../../src/workload/index.ts';
import { asSuperuser, startPostgres, type PostgresInstance } from '../../support/postgres-instance.ts';

const MONITORING_PASSWORD = 'mon-Secret-4711';
const INTERVAL_S = 1;

let instance: PostgresInstance;
let workDir: string;
let observer: ChildProcess;
let output = '';

const sql = (text: string) => asSuperuser(instance, (client) => client.query(text));

async function notices(): Promise<string[]> {
  const text = await readFile(join(workDir, 'notices'), 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line !== '');
}

/** pg_hba.conf with the monitoring user's rule as given (the charm renders `password`), then reload. */
async function monitoringRule(method: 'password' | 'reject'): Promise<void> {
  await writeFile(join(instance.dataDir, 'pg_hba.conf'), `local all monitoring ${method}\nlocal all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n`);
  await sql('SELECT pg_reload_conf()');
}

async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; observer output:\n${output}`);
    await sleep(100);
  }
}

/** Several intervals with nothing to notice: the count must not move. */
async function expectNoNewNotice(): Promise<void> {
  const before = (await notices()).length;
  await sleep(3_500 * INTERVAL_S);
  expect(await notices()).toHaveLength(before);
}

/** The backend sessions the observer has open now (its psql connects, reads and leaves). */
async function observerReads(): Promise<number> {
  const result = await sql("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'authorisation-rules-observer'");
  return result.rows[0].n as number;
}

beforeAll(async () => {
  instance = await startPostgres();
  workDir = await mkdtemp(join(tmpdir(), 'rules-observer-'));
  await sql(`CREATE ROLE monitoring WITH LOGIN PASSWORD '${MONITORING_PASSWORD}' IN ROLE pg_monitor`);
  await monitoringRule('password');
  const pebble = join(workDir, 'pebble');
  await writeFile(pebble, `#!/bin/sh\necho "$*" >> "${workDir}/notices"\necho "Recorded notice 1"\n`);
  await chmod(pebble, 0o755);

  // The charm pushes the exporter's pgpass file (0600) before it plans the services; so does this.
  const paths = workloadPaths(workDir, { socketDir: instance.socketDir });
  await writeFile(paths.monitoringPgpass, monitoringPgpassContent(MONITORING_PASSWORD), { mode: 0o600 });
  const environment = observerEnvironment(paths, instance.port);
  observer = spawn('/bin/sh', ['-c', authorisationRulesObserverScript({ intervalSeconds: INTERVAL_S })], {
    env: { ...environment, PATH: `${workDir}:/usr/local/bin:/usr/bin:/bin`, LANG: 'C.UTF-8' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  observer.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  observer.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // Its first read, done once the next interval begins.
  await sleep(2_500 * INTERVAL_S);
});

afterAll(async () => {
  if (observer?.exitCode === null) observer.kill('SIGKILL');
  await instance?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('authorisation rules observer against real PostgreSQL', () => {
  it('reads quietly and records no notice for its first read', async () => {
    expect(observer.exitCode).toBeNull();
    expect(await notices()).toEqual([]);
    expect(output).toBe('');
  });

  it('notices a login role, its database and its CONNECT grant made out of band, as PgBouncer makes them', async () => {
    await sql("CREATE ROLE relation_id_9999 WITH LOGIN PASSWORD 'oob-Pass-1'");
    await sql('CREATE DATABASE oob_app');
    await sql('REVOKE ALL ON DATABASE oob_app FROM PUBLIC');
    await until(async () => (await notices()).length >= 1, 'a notice for the new role');
    const afterRole = (await notices()).length;
    await sql('GRANT CONNECT ON DATABASE oob_app TO relation_id_9999');
    await until(async () => (await notices()).length > afterRole, 'a notice for the grant');
    for (const line of await notices()) expect(line).toBe(`notify ${AUTHORISATION_RULES_CHANGED_NOTICE}`);
    await expectNoNewNotice();
  });

  it('notices a membership and a superuser flag, but not a password change', async () => {
    let count = (await notices()).length;
    await sql('GRANT pg_read_all_data TO relation_id_9999');
    await until(async () => (await notices()).length > count, 'a notice for the membership');
    count = (await notices()).length;
    await sql('ALTER ROLE relation_id_9999 SUPERUSER');
    await until(async () => (await notices()).length > count, 'a notice for SUPERUSER');

    await sql("ALTER ROLE relation_id_9999 PASSWORD 'oob-Pass-2'");
    await expectNoNewNotice();
  });

  it('says once that it cannot read, keeps trying, and notices what changed meanwhile when it can again', async () => {
    await monitoringRule('reject');
    await until(() => output.includes('cannot read the catalog'), 'the cannot-read line');
    const count = (await notices()).length;
    await sql('CREATE DATABASE made_while_blind');
    await sleep(3_000 * INTERVAL_S);
    expect(output.match(/cannot read the catalog/g)).toHaveLength(1);
    expect(output).toContain('rejects connection');
    expect(observer.exitCode).toBeNull();
    expect(await notices()).toHaveLength(count);

    await monitoringRule('password');
    await until(() => output.includes('reading the catalog again'), 'the recovery line');
    await until(async () => (await notices()).length > count, 'the notice for what changed while it could not read');
  });

  it('leaves no session open between reads and outlives its server, printing its password nowhere', async () => {
    await sleep(300);
    // A read lasts milliseconds; sampling a few times must mostly find none.
    let open = 0;
    for (let i = 0; i < 5; i++) {
      open += await observerReads();
      await sleep(170);
    }
    expect(open).toBeLessThanOrEqual(1);

    const said = output.length;
    await instance.stop();
    await sleep(3_500 * INTERVAL_S);
    expect(observer.exitCode).toBeNull();
    // One message (psql's error may take two lines), not one per attempt.
    expect(output.slice(said).match(/cannot read the catalog/g)).toHaveLength(1);
    expect(output.slice(said)).toContain('No such file or directory');
    expect(output).not.toContain(MONITORING_PASSWORD);
  });
});
