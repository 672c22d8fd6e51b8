/**
 * Debian's prometheus-postgres-exporter (the sandbox's metrics exporter) against a real
 * PostgreSQL 15, started with exactly the environment the charm's layer gives it and the password
 * file the reconcile writes, for a monitoring password with a space, a quote, a backslash and a
 * colon. It must log in (`pg_up 1`) and never print the password; a wrong one gives `pg_up 0`,
 * still without printing it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildPebbleLayer, monitoringPgpassContent, selectDcs, workloadPaths } from '../../../src/workload/index.ts';
import { asSuperuser, startPostgres, type PostgresInstance } from '../../support/postgres-instance.ts';

const EXPORTER = '/usr/bin/prometheus-postgres-exporter';
const PASSWORD = "p w'x\\y:z";

let instance: PostgresInstance;
let workDir: string;
let exporter: ChildProcess | undefined;
let output = '';

const sql = (text: string) => asSuperuser(instance, (client) => client.query(text));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Start the exporter as the charm's layer defines it, reading `password` from its file. */
async function startExporter(password: string): Promise<number> {
  const paths = workloadPaths(workDir, { socketDir: instance.socketDir });
  await writeFile(paths.monitoringPgpass, monitoringPgpassContent(password), { mode: 0o600 });
  const layer = buildPebbleLayer({
    unitName: 'pg/0',
    dcs: selectDcs({ POSTGRESQL_DCS_ETCD_HOSTS: '127.0.0.1:2379' }, { app: 'pg', model: 'm' }),
    patroniApiTls: false,
    monitoringPassword: password,
    paths,
    ports: { postgresql: instance.port, patroniApi: 8008 },
    commands: { metricsExporter: EXPORTER },
  });
  const service = layer.services?.metrics_server;
  expect(JSON.stringify(layer.services?.metrics_server)).not.toContain(password);
  const port = await freePort();
  output = '';
  exporter = spawn(EXPORTER, [`--web.listen-address=127.0.0.1:${port}`], {
    env: { ...service?.environment, PATH: '/usr/bin:/bin' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  exporter.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  exporter.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return port;
}

/** `pg_up` from one scrape, once the exporter answers. */
async function pgUp(port: number): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('pg_up '));
      if (line !== undefined) return line;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the exporter never answered; its output:\n${output}`);
    await sleep(200);
  }
}

beforeAll(async () => {
  instance = await startPostgres();
  workDir = await mkdtemp(join(tmpdir(), 'metrics-exporter-'));
  await sql(`CREATE ROLE monitoring WITH LOGIN PASSWORD '${PASSWORD.replaceAll("'", "''")}' IN ROLE pg_monitor`);
  // The charm's rule for the exporter: password over the local socket.
  await writeFile(join(instance.dataDir, 'pg_hba.conf'), 'local all monitoring scram-sha-256\nlocal all all trust\n');
  await sql('SELECT pg_reload_conf()');
});

afterEach(async () => {
  if (exporter !== undefined && exporter.exitCode === null) {
    const exited = new Promise((resolve) => exporter!.once('exit', resolve));
    exporter.kill('SIGTERM');
    await exited;
  }
  exporter = undefined;
});

afterAll(async () => {
  await instance?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('metrics exporter with the charm layer and password file', () => {
  it(`logs in with the password ${JSON.stringify(PASSWORD)} and never prints it`, async () => {
    const port = await startExporter(PASSWORD);
    expect(await pgUp(port)).toBe('pg_up 1');
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).not.toContain(PASSWORD);
    expect(output).not.toContain(PASSWORD);
    expect(output).not.toContain('p w');
  });

  it('logs in with a password that begins and ends with a space (pgpass keeps it whole)', async () => {
    const padded = ' pad:ded\\ ';
    await sql(`ALTER ROLE monitoring PASSWORD '${padded}'`);
    try {
      const port = await startExporter(padded);
      expect(await pgUp(port)).toBe('pg_up 1');
      expect(output).not.toContain('pad:ded');
    } finally {
      await sql(`ALTER ROLE monitoring PASSWORD '${PASSWORD.replaceAll("'", "''")}'`);
    }
  });

  it('reports pg_up 0 for a wrong password, still without printing it', async () => {
    const wrong = "wr ong'\\pass";
    const port = await startExporter(wrong);
    expect(await pgUp(port)).toBe('pg_up 0');
    await sleep(500);
    expect(output).not.toContain(wrong);
    expect(output).not.toContain('wr ong');
  });
});
