import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPebbleServer, type PebbleServer } from '../../../../sandbox/pebble/server.ts';
import { createLogger } from '../../../../src/logging.ts';
import { PebbleClient } from '../../../../src/pebble/index.ts';

/**
 * A unit's workload container for tests: the real Pebble server with its files API rooted in a
 * temp dir laid out like the container (storage, PostgreSQL install, /proc and cgroup files), so
 * the charm's probe reads what the test put there. Commands still run on the host, so the
 * Patroni and exporter services are a stand-in daemon (`sleep`).
 */
export interface TestWorkload {
  readonly root: string;
  readonly socketPath: string;
  /** An executable that stays up until stopped, for the service commands; SIGHUP is counted, as a reload. */
  readonly daemon: string;
  /** How many SIGHUPs the stand-in daemons received. */
  reloads(): Promise<number>;
  client(): PebbleClient;
  /** Path on the host of a path inside the container. */
  path(inside: string): string;
  stop(): Promise<void>;
}

export interface WorkloadLayout {
  flavour?: 'rock' | 'debian';
  /** /proc/meminfo MemTotal in kB (default 8 GiB). */
  memTotalKb?: number;
  /** CPUs online (default 4). */
  cpus?: number;
  /** cgroup v2 memory.max content, when the container has a limit. */
  memoryMax?: string;
  /** cgroup v2 cpu.max content. */
  cpuMax?: string;
}

async function put(root: string, inside: string, content: string, mode = 0o644): Promise<void> {
  const target = join(root, inside);
  await mkdir(join(target, '..'), { recursive: true });
  await writeFile(target, content, { mode });
}

export async function startTestWorkload(layout: WorkloadLayout = {}): Promise<TestWorkload> {
  const base = await mkdtemp(join(tmpdir(), 'handlers-workload-'));
  // Services run as postgres: it must reach the stand-in daemon and its working directories.
  await chmod(base, 0o755);
  const root = join(base, 'root');
  await mkdir(join(root, 'var/lib/postgresql/data'), { recursive: true, mode: 0o755 });
  await chmod(root, 0o755);
  if ((layout.flavour ?? 'debian') === 'rock') {
    await put(root, 'meta.charmed-postgresql/snap.yaml', "name: charmed-postgresql\nversion: '14.23'\n");
  } else {
    await mkdir(join(root, 'usr/lib/postgresql/15/bin'), { recursive: true });
    await put(root, 'usr/lib/postgresql/15/lib/pgaudit.so', '');
    await put(root, 'usr/lib/postgresql/15/lib/pg_stat_statements.so', '');
  }
  await put(root, 'proc/meminfo', `MemTotal:       ${layout.memTotalKb ?? 8 * 1024 * 1024} kB\nMemFree:         1000 kB\n`);
  await put(root, 'sys/devices/system/cpu/online', `0-${(layout.cpus ?? 4) - 1}\n`);
  if (layout.memoryMax !== undefined) await put(root, 'sys/fs/cgroup/memory.max', `${layout.memoryMax}\n`);
  if (layout.cpuMax !== undefined) await put(root, 'sys/fs/cgroup/cpu.max', `${layout.cpuMax}\n`);
  const daemon = join(base, 'stand-in-daemon');
  const reloadLog = join(base, 'reloads');
  await writeFile(reloadLog, '');
  await chmod(reloadLog, 0o666); // the daemon runs as postgres
  // Like Patroni, it survives SIGHUP (and notes it); SIGTERM still ends it.
  await writeFile(daemon, `#!/bin/sh\ntrap 'echo reload >> ${reloadLog}' HUP\nwhile true; do sleep 1 & wait $!; done\n`, { mode: 0o755 });

  const socketPath = join(base, 'pebble.socket');
  const server: PebbleServer = await startPebbleServer({
    socketPath,
    stateDir: join(base, 'state'),
    rootDir: root,
    logger: createLogger({ level: 'silent' }),
  });
  return {
    root,
    socketPath,
    daemon,
    client: () => new PebbleClient({ socketPath, logger: createLogger({ level: 'silent' }) }),
    path: (inside) => join(root, inside),
    reloads: async () => (await readFile(reloadLog, 'utf8')).split('\n').filter((line) => line === 'reload').length,
    stop: async () => {
      await server.close();
      await rm(base, { recursive: true, force: true });
    },
  };
}
