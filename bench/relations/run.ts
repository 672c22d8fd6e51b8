/**
 * Client-relation benchmark on the sandbox (real charm, Pebble, Patroni, PostgreSQL 15, the
 * Kubernetes API stand-in): how long from `relate` until a test-client can write.
 *
 * For each run a fresh test-client application (deployed beforehand, not timed) is related to
 * the provider, and from the moment the controller records the relation (its `createdAt` in the
 * model) the model is watched for:
 *
 *   credentials   the provider's app bag carries them (`secret-user`, or username/password)
 *   client ready  the client's database_created has fired (its charm state counts it)
 *   first write   the first INSERT … COMMIT accepted with the client's credentials, tried from the
 *                 moment the client is ready, on the primary's pod address (or pgbouncer's,
 *                 port 6432) and the database it asked for
 *
 * Setups: `--units 1` and `--units 3` of postgresql-k8s (related on `database`), and 3 units with
 * the sandbox's pgbouncer-k8s in between (its backend relation set up first, untimed; the client
 * relates to pgbouncer's `database`). `relate CLI` is the time from spawning `sandbox relate` to
 * the relation's creation (Node + tsx start-up of the CLI, not the charm). Between runs the model
 * settles (the relate verb's own wait). Results: bench/results/relations.json, and a table.
 *
 * Usage: tsx bench/relations/run.ts [--runs 3] [--pgbouncer-runs 2] [--no-pgbouncer]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { REPO_ROOT } from '../../sandbox/runtime/paths.ts';
import { APP, allActive, isClean, SandboxFixture, stats, type CliResult } from '../../tests/support/sandbox-fixture.ts';
import { latestContent, readModel, secretByUri } from '../../tests/integration/relations/helpers.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'pgbouncer-runs': { type: 'string', default: '2' },
    'no-pgbouncer': { type: 'boolean', default: false },
  },
});
const RUNS = Math.max(1, Number(values.runs));
const PGB_RUNS = values['no-pgbouncer'] ? 0 : Math.max(0, Number(values['pgbouncer-runs']));
const PGB = 'pgbouncer-k8s';
const MIN = 60_000;

const samples: Record<string, number[]> = {};
const notes: string[] = [];
const record = (name: string, ms: number): void => {
  (samples[name] ??= []).push(ms);
  process.stderr.write(`  ${name}: ${(ms / 1000).toFixed(2)} s\n`);
};

interface Observed {
  relationCreated: number;
  credentials?: number;
  clientReady?: number;
  firstWrite?: number;
}

/** Credentials the provider published to `client` (from its secret, or plain fields). */
async function publishedCredentials(sbx: SandboxFixture, provider: string, client: string): Promise<{ createdAt: number; username?: string; password?: string; database?: string } | undefined> {
  const model = await readModel(sbx);
  const relation = model.relations.find((r) => r.endpoints.some((e) => e.app === client && e.name === 'database') && r.endpoints.some((e) => e.app === provider)) as
    | { createdAt?: string; appData: Record<string, Record<string, string>> }
    | undefined;
  if (relation === undefined) return undefined;
  const createdAt = Date.parse(relation.createdAt ?? '');
  const bag = relation.appData[provider] ?? {};
  const secret = bag['secret-user'] === undefined ? undefined : secretByUri(model, bag['secret-user']);
  const content = secret === undefined ? bag : { ...bag, ...latestContent(secret) };
  return { createdAt, ...(content['username'] ? { username: content['username'], password: content['password'], database: content['database'] ?? bag['database'] } : {}) };
}

async function clientReady(sbx: SandboxFixture, unit: string): Promise<boolean> {
  const model = (await readModel(sbx)) as unknown as { units: Record<string, { state?: Record<string, string> }> };
  const events = JSON.parse(model.units[unit]?.state?.['events'] ?? '{}') as Record<string, number>;
  return (events['database-created'] ?? 0) > 0;
}

async function tryWrite(host: string, port: number, user: string, password: string, database: string): Promise<boolean> {
  const client = new pg.Client({ host, port, user, password, database, connectionTimeoutMillis: 2_000, query_timeout: 5_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('CREATE TABLE IF NOT EXISTS bench_first_write (at timestamptz NOT NULL DEFAULT clock_timestamp())');
    await client.query('BEGIN');
    await client.query('INSERT INTO bench_first_write DEFAULT VALUES');
    await client.query('COMMIT');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** One run: relate `client` to `provider`, watch until the first write, then let the relate verb settle. */
async function measure(sbx: SandboxFixture, label: string, client: string, provider: string, target: () => Promise<{ host: string; port: number }>): Promise<void> {
  // Where to write, found before the clock starts (a status call is a CLI run: seconds under load).
  const { host, port } = await target();
  const cliStarted = Date.now();
  const relating: Promise<CliResult> = sbx.cliOk(['relate', `${client}:database`, `${provider}:database`, '--timeout', '10m'], 11 * MIN);
  let failed: unknown;
  relating.catch((error: unknown) => (failed = error));
  const seen: Partial<Observed> = {};
  const deadline = Date.now() + 8 * MIN;
  while (seen.firstWrite === undefined) {
    if (failed !== undefined) throw failed;
    if (Date.now() > deadline) throw new Error(`${label}: no write within 8 min (${JSON.stringify(seen)})`);
    const published = await publishedCredentials(sbx, provider, client).catch(() => undefined);
    if (published !== undefined && seen.relationCreated === undefined && Number.isFinite(published.createdAt)) seen.relationCreated = published.createdAt;
    if (published?.username !== undefined && seen.credentials === undefined) seen.credentials = Date.now();
    if (seen.credentials !== undefined && seen.clientReady === undefined && (await clientReady(sbx, `${client}/0`).catch(() => false))) seen.clientReady = Date.now();
    if (seen.clientReady !== undefined && published?.username !== undefined) {
      if (await tryWrite(host, port, published.username, published.password ?? '', published.database ?? '')) seen.firstWrite = Date.now();
    }
    if (seen.firstWrite === undefined) await sleep(100);
  }
  const t0 = seen.relationCreated!;
  record(`${label}: relate CLI start → relation created`, t0 - cliStarted);
  record(`${label}: relate → credentials published`, seen.credentials! - t0);
  record(`${label}: relate → client database_created`, seen.clientReady! - t0);
  record(`${label}: relate → first write`, seen.firstWrite - t0);
  await relating;
}

async function deployClients(sbx: SandboxFixture, prefix: string, count: number): Promise<string[]> {
  // Juju refuses an application name with an all-digit part (`client-1`): letters instead.
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${String.fromCharCode(97 + i)}`);
  for (const name of names) await sbx.cliOk(['deploy', 'test-client', name, '--timeout', '5m'], 6 * MIN);
  return names;
}

async function primaryTarget(sbx: SandboxFixture): Promise<{ host: string; port: number }> {
  return { host: await sbx.unitAddress(await sbx.primary()), port: 5432 };
}

async function benchUnits(units: number): Promise<void> {
  process.stderr.write(`${units} unit(s)\n`);
  const sbx = await SandboxFixture.create(`bench-rel-${units}`);
  try {
    await sbx.deploy(units);
    await sbx.waitFor((u) => allActive(u, units), `${units} active units`, 5 * MIN);
    const clients = await deployClients(sbx, 'direct', RUNS);
    for (const client of clients) await measure(sbx, `${units} unit${units === 1 ? '' : 's'}`, client, APP, () => primaryTarget(sbx));

    if (units === 3 && PGB_RUNS > 0) {
      process.stderr.write('through pgbouncer\n');
      await sbx.cliOk(['deploy', '--trust', 'pgbouncer', '--timeout', '5m'], 6 * MIN);
      await sbx.cliOk(['relate', `${PGB}:backend-database`, `${APP}:database`, '--timeout', '10m'], 11 * MIN);
      const pgbClients = await deployClients(sbx, 'via-pgb', PGB_RUNS);
      const pgbouncer = async () => ({ host: (await sbx.status()).applications[PGB]!.units[`${PGB}/0`]!.address, port: 6432 });
      for (const client of pgbClients) await measure(sbx, '3 units via pgbouncer', client, PGB, pgbouncer);
    }
  } catch (error) {
    notes.push(`${units} unit(s): FAILED: ${String(error).slice(0, 3_000)}`);
    process.stderr.write(`${notes.at(-1)!}\n`);
  } finally {
    const leftovers = await sbx.teardown();
    if (leftovers !== null && !isClean(leftovers)) notes.push(`sandbox left things behind: ${JSON.stringify(leftovers)}`);
  }
}

function report(totalMs: number): void {
  const rows = Object.entries(samples).map(([name, list]) => ({ name, ...stats(list), runsMs: list }));
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadAverage: os.loadavg().map((l) => Math.round(l * 10) / 10) },
    stack: 'sandbox: real charm, Pebble stand-in, Patroni 3.0.2, PostgreSQL 15, DCS Kubernetes API stand-in; client: sandbox test-client (data_interfaces 0.58 requirer); pgbouncer: sandbox pgbouncer-k8s',
    runs: { perSetup: RUNS, pgbouncer: PGB_RUNS },
    target: 'relate → first write under 10 s for 3 units',
    totalSeconds: Math.round(totalMs / 1000),
    results: rows.map((r) => ({ name: r.name, n: r.n, minMs: r.min, medianMs: r.median, maxMs: r.max, runsMs: r.runsMs })),
    notes,
  };
  const dir = path.join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const out = path.join(dir, 'relations.json');
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  const width = Math.max(...rows.map((r) => r.name.length), 10);
  const s = (ms: number): string => (ms / 1000).toFixed(2).padStart(8);
  const lines = [`${'measure'.padEnd(width)}  ${'n'.padStart(2)}  ${'min s'.padStart(8)}  ${'median s'.padStart(8)}  ${'max s'.padStart(8)}`];
  for (const r of rows) lines.push(`${r.name.padEnd(width)}  ${String(r.n).padStart(2)}  ${s(r.min)}  ${s(r.median)}  ${s(r.max)}`);
  process.stdout.write(`${lines.join('\n')}\n${notes.map((n) => `note: ${n}`).join('\n')}${notes.length > 0 ? '\n' : ''}total ${Math.round(totalMs / 1000)} s; results: ${out}\n`);
}

const started = Date.now();
await benchUnits(3);
await benchUnits(1);
report(Date.now() - started);
process.exitCode = notes.some((n) => n.includes('FAILED')) ? 1 : 0;
