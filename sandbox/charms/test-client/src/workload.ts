import { closeSync, existsSync, fdatasyncSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { TABLE, type Target } from './connection.ts';

/**
 * The continuous writer, run by Pebble in the `client` container: `node writer.cjs <dir>`.
 * It reads `<dir>/writer.json` ({ target, intervalMs }) and inserts rows with increasing ids into
 * `continuous_writes`, one transaction each. A write counts only once COMMIT has returned: its id
 * is then appended to `<dir>/acked.log` and fdatasync'd before the next write. A COMMIT that
 * fails without an answer is "uncertain" (it may or may not have happened). Any failure drops the
 * connection and it reconnects (connect timeout 2 s), so a failover or switchover behind the
 * primary's name only pauses it. `<dir>/status.json` shows its counters; SIGTERM stops it after
 * the write in flight.
 */


const CONNECT_TIMEOUT_MS = 2_000;
const QUERY_TIMEOUT_MS = 5_000;

interface WriterConfig {
  target: Target;
  intervalMs: number;
}

interface WriterStatus {
  running: boolean;
  acknowledged: number;
  lastId: number;
  uncertain: number[];
  failures: number;
  connects: number;
  lastError?: string;
  host?: string;
  updatedAt: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function lastAckedId(file: string): { count: number; last: number } {
  if (!existsSync(file)) return { count: 0, last: 0 };
  const ids = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map(Number);
  return { count: ids.length, last: ids.reduce((max, id) => Math.max(max, id), 0) };
}

async function main(dir: string): Promise<void> {
  const config = JSON.parse(readFileSync(join(dir, 'writer.json'), 'utf8')) as WriterConfig;
  const ackedFile = join(dir, 'acked.log');
  const previous = lastAckedId(ackedFile);
  const status: WriterStatus = { running: true, acknowledged: previous.count, lastId: previous.last, uncertain: [], failures: 0, connects: 0, updatedAt: '' };
  const ackFd = openSync(ackedFile, 'a');
  let next = previous.last + 1;
  let stopping = false;
  process.on('SIGTERM', () => (stopping = true));
  process.on('SIGINT', () => (stopping = true));

  const writeStatus = () => {
    status.updatedAt = new Date().toISOString();
    const tmp = join(dir, 'status.json.tmp');
    writeFileSync(tmp, JSON.stringify(status) + '\n');
    renameSync(tmp, join(dir, 'status.json'));
  };
  let lastStatusAt = 0;

  let client: pg.Client | undefined;
  const drop = async () => {
    const old = client;
    client = undefined;
    await old?.end().catch(() => undefined);
  };

  while (!stopping) {
    if (client === undefined) {
      const candidate = new pg.Client({
        ...config.target,
        connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
        query_timeout: QUERY_TIMEOUT_MS,
        keepAlive: true,
        application_name: 'test-client-writer',
      });
      candidate.on('error', () => undefined); // a dead connection is found by the next query
      try {
        await candidate.connect();
        await candidate.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (id bigint PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT now())`);
        const { rows } = await candidate.query<{ max: string | null }>(`SELECT max(id)::text AS max FROM ${TABLE}`);
        next = Math.max(next, Number(rows[0]?.max ?? 0) + 1);
        client = candidate;
        status.connects += 1;
        status.host = config.target.host;
      } catch (error) {
        status.failures += 1;
        status.lastError = `connect: ${error instanceof Error ? error.message : String(error)}`;
        await candidate.end().catch(() => undefined);
        writeStatus();
        await sleep(200);
        continue;
      }
    }
    const id = next++;
    let committing = false;
    try {
      await client.query('BEGIN');
      await client.query(`INSERT INTO ${TABLE} (id) VALUES ($1)`, [id]);
      committing = true;
      await client.query('COMMIT');
      writeSync(ackFd, `${id}\n`);
      fdatasyncSync(ackFd);
      status.acknowledged += 1;
      status.lastId = id;
    } catch (error) {
      if (committing) status.uncertain.push(id);
      status.failures += 1;
      status.lastError = `${committing ? 'commit' : 'write'} ${id}: ${error instanceof Error ? error.message : String(error)}`;
      await drop();
    }
    if (Date.now() - lastStatusAt > 500) {
      writeStatus();
      lastStatusAt = Date.now();
    }
    if (config.intervalMs > 0) await sleep(config.intervalMs);
  }
  await drop();
  closeSync(ackFd);
  status.running = false;
  writeStatus();
}

const dir = process.argv[2];
if (dir === undefined) {
  process.stderr.write('usage: workload.cjs <state dir>\n');
  process.exitCode = 2;
} else {
  main(dir).catch((error: unknown) => {
    process.stderr.write(`writer crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
