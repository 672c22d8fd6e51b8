/**
 * A throw-away, REAL PostgreSQL 15 for integration tests: `initdb` into a fresh temp dir as the
 * `postgres` OS user, a postmaster on a free loopback port with its unix socket in that dir,
 * and a `stop()` that kills it (fast shutdown, then SIGKILL) and removes everything.
 *
 * Other engineers run PostgreSQL tests at the same time, so nothing here uses a fixed port or
 * a shared directory.
 */
import { execFile, spawn } from 'node:child_process';
import { chown, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { errorCode } from '../../src/errors.ts';

const run = promisify(execFile);

export const PG_BIN_DIR = process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin';
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

export interface PostgresInstance {
  readonly host: string;
  readonly port: number;
  /** The directory holding the unix socket (usable as a `host`). */
  readonly socketDir: string;
  readonly dataDir: string;
  readonly superuser: string;
  readonly superuserPassword: string;
  /** Path of the server log (stderr of the postmaster). */
  readonly logFile: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string>;
}

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not read the probe port'));
      });
    });
  });
}

async function postgresIds(): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

async function canConnect(socketDir: string, port: number, user: string): Promise<boolean> {
  const client = new pg.Client({ host: socketDir, port, user, database: 'postgres' });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function tail(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').slice(-20).join('\n');
}

/** initdb + start. Retries on a new port if another test grabbed ours in between. */
export async function startPostgres(options: StartOptions = {}): Promise<PostgresInstance> {
  const root = await mkdtemp(join(tmpdir(), 'lib-pg-'));
  const { uid, gid } = await postgresIds();
  const cleanupRoot = () => rm(root, { recursive: true, force: true });
  try {
    await chown(root, uid, gid);
    const dataDir = join(root, 'data');
    const pwFile = join(root, 'pwfile');
    const superuserPassword = `su-${Math.random().toString(36).slice(2)}`;
    await writeFile(pwFile, `${superuserPassword}\n`, { mode: 0o600 });
    await chown(pwFile, uid, gid);
    await run('runuser', [
      '-u', 'postgres', '--', join(PG_BIN_DIR, 'initdb'),
      '-D', dataDir, '-U', 'postgres', `--pwfile=${pwFile}`, '-E', 'UTF8', '--locale=C.UTF-8',
      '--auth-local=trust', '--auth-host=scram-sha-256', '--no-sync', '--no-instructions',
    ], { cwd: root });
    await rm(pwFile);

    for (let attempt = 1; ; attempt++) {
      const port = await freeLoopbackPort();
      const instance = await launch(root, dataDir, port, superuserPassword, options);
      if (instance) return instance;
      if (attempt >= 3) throw new Error(`PostgreSQL did not start:\n${await tail(join(root, 'postgres.log'))}`);
    }
  } catch (error) {
    await cleanupRoot();
    throw error;
  }
}

async function launch(
  root: string,
  dataDir: string,
  port: number,
  superuserPassword: string,
  options: StartOptions,
): Promise<PostgresInstance | null> {
  const logFile = join(root, 'postgres.log');
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: root,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    shared_buffers: '16MB',
    max_connections: '40',
    ...options.settings,
  };
  const args = ['-D', dataDir, '-p', String(port)];
  for (const [name, value] of Object.entries(settings)) args.push('-c', `${name}=${value}`);
  const log = await open(logFile, 'a');
  const child = spawn('runuser', ['-u', 'postgres', '--', join(PG_BIN_DIR, 'postgres'), ...args], {
    stdio: ['ignore', log.fd, log.fd],
  });
  await log.close();
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });

  // The postmaster (runuser's child) writes its pid as the first line of postmaster.pid.
  let postmasterPid: number | undefined;
  const killOnExit = () => {
    if (postmasterPid !== undefined && isAlive(postmasterPid)) process.kill(postmasterPid, 'SIGKILL');
  };
  const ready = await waitUntil(async () => {
    if (exited) return true;
    if (postmasterPid === undefined) {
      const pidText = await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '');
      const pid = Number(pidText.split('\n')[0]);
      if (Number.isInteger(pid) && pid > 0) {
        postmasterPid = pid;
        process.once('exit', killOnExit);
      }
    }
    return canConnect(root, port, 'postgres');
  }, READY_TIMEOUT_MS);

  if (exited || !ready) {
    killOnExit();
    if (!exited) child.kill('SIGKILL');
    return null;
  }

  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    if (postmasterPid !== undefined && isAlive(postmasterPid)) {
      process.kill(postmasterPid, 'SIGINT'); // fast shutdown
      const stopped = await waitUntil(() => !isAlive(postmasterPid as number), STOP_TIMEOUT_MS);
      if (!stopped) process.kill(postmasterPid, 'SIGKILL');
    }
    if (!exited) await waitUntil(() => exited, STOP_TIMEOUT_MS);
    await rm(root, { recursive: true, force: true });
  };

  return {
    host: '127.0.0.1',
    port,
    socketDir: root,
    dataDir,
    superuser: 'postgres',
    superuserPassword,
    logFile,
    stop,
  };
}

/** Run statements as the bootstrap superuser over the unix socket (trust auth). */
export async function asSuperuser<T>(
  instance: PostgresInstance,
  fn: (client: pg.Client) => Promise<T>,
  database = 'postgres',
): Promise<T> {
  const client = new pg.Client({ host: instance.socketDir, port: instance.port, user: instance.superuser, database });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Try a password login over TCP (scram-sha-256): resolves to null on success, else to the
 * SQLSTATE (or message) of the failure.
 */
export async function tryLogin(
  instance: PostgresInstance,
  user: string,
  password: string,
  database = 'postgres',
): Promise<string | null> {
  const client = new pg.Client({ host: instance.host, port: instance.port, user, password, database });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return errorCode(error) ?? String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}
