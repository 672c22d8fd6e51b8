import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import YAML from 'yaml';
import { startEtcd, type EtcdProcess } from './etcd-process.ts';
import { freePorts } from './patroni-ports.ts';
import {
  fastStopSignal,
  childrenOf,
  pidsMentioning,
  postmasterPid,
  processGroupMembers,
  signal,
  spawnLogged,
  tailOf,
  waitForExit,
  type LoggedProcess,
} from './patroni-processes.ts';
import { makeTestTls, type TestTlsMaterial } from './patroni-tls.ts';

/*
 * A real Patroni 3.0.2 cluster for integration tests: one etcd (v3 API) and 1–3 Patroni members
 * on loopback, free ports, fast timings (ttl 10 / loop_wait 2 / retry_timeout 4), REST basic auth
 * and optional REST TLS. Patroni runs as `postgres` with Debian's python (the `python3` on PATH is
 * pyenv). Call `stop()` from `afterAll`; it also runs on process exit as a last resort.
 */

const PATRONI = ['/usr/bin/python3', '/usr/bin/patroni'];
const PG_BIN_DIR = '/usr/lib/postgresql/15/bin';
const PG_BINARY = `${PG_BIN_DIR}/postgres`;

export interface PatroniStackOptions {
  /** 1 (default) to 3 members. */
  members?: number;
  /** Serve the REST API over https with a throw-away CA. */
  tls?: boolean;
  /** Patroni's `synchronous_mode` (the charm always turns it on); default true. */
  synchronousMode?: boolean;
  /** Member names are `<prefix>-<i>`, like the charm's pod names; default `postgresql-k8s`. */
  namePrefix?: string;
  /** Wait for a sync standby before resolving; default: when synchronous with 2+ members. */
  waitForSyncStandby?: boolean;
  /** Extra PostgreSQL parameters for the bootstrap DCS config. */
  parameters?: Record<string, string | number>;
  startTimeoutMs?: number;
  /** Patroni's ttl, loop_wait and retry_timeout; default 10 / 2 / 4. */
  timing?: { ttl: number; loop_wait: number; retry_timeout: number };
}

export interface PatroniStackMember {
  name: string;
  /** REST base URL, `http(s)://127.0.0.1:<port>`. */
  restUrl: string;
  restPort: number;
  pgPort: number;
  dir: string;
  dataDir: string;
  logFile: string;
}

/** What `/cluster` returns, as far as the stack itself needs to know. */
export interface StackClusterView {
  members: Array<{ name: string; role: string; state: string; lag?: number | string }>;
}

export interface PatroniStack {
  dir: string;
  scope: string;
  members: PatroniStackMember[];
  etcd: EtcdProcess;
  restUsername: 'patroni';
  restPassword: string;
  /** The bootstrap superuser, for `pg` connections to `127.0.0.1:<pgPort>`. */
  superuser: { username: 'postgres'; password: string };
  /** Present when `tls` was asked for. */
  tls: TestTlsMaterial | undefined;
  /** REST base URLs of all members, in member order. */
  urls: string[];
  /** `pg` connection settings for one member. */
  pgConfig(member: PatroniStackMember): { host: string; port: number; user: string; password: string; database: string };
  /** GET /cluster through any member (the stack's own probe, independent of src/patroni). */
  clusterView(): Promise<StackClusterView | undefined>;
  /** Poll `/cluster` until `ready` holds; throws with log tails after `timeoutMs`. */
  waitForCluster(ready: (view: StackClusterView) => boolean, what: string, timeoutMs?: number): Promise<StackClusterView>;
  /** Tails of every member's Patroni log, for failure messages. */
  logTails(lines?: number): string;
  /** SIGKILL of a member's Patroni and its PostgreSQL (postmaster and children) at once; the epoch ms just before. */
  crash(member: PatroniStackMember): number;
  /** Start a crashed member's Patroni again. */
  restart(member: PatroniStackMember): void;
  stop(): Promise<void>;
}

/** Start etcd and the members; on any failure everything started so far is cleaned up. */
export async function startPatroniStack(options: PatroniStackOptions = {}): Promise<PatroniStack> {
  const count = options.members ?? 1;
  if (count < 1 || count > 3) throw new Error(`a test stack has 1 to 3 members, not ${count}`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'patroni-stack-'));
  const running: Running = { dir, etcd: undefined, patronis: [], dataDirs: [] };
  const exitHook = () => killNow(running);
  process.once('exit', exitHook);
  const stop = async () => {
    process.removeListener('exit', exitHook);
    await stopAll(running);
  };

  try {
    const stack = await bringUp(running, count, options, stop);
    const synchronous = options.synchronousMode ?? true;
    const wantSync = options.waitForSyncStandby ?? (synchronous && count > 1);
    await stack.waitForCluster(
      (view) => isUp(view, count) && (!wantSync || view.members.some((m) => m.role === 'sync_standby')),
      `${count} running member(s), one leader${wantSync ? ' and a sync standby' : ''}`,
      options.startTimeoutMs ?? 60_000 + (count - 1) * 30_000,
    );
    return stack;
  } catch (error) {
    await stop();
    throw error;
  }
}

interface Running {
  dir: string;
  etcd: EtcdProcess | undefined;
  patronis: LoggedProcess[];
  dataDirs: string[];
}

async function bringUp(running: Running, count: number, options: PatroniStackOptions, stop: () => Promise<void>): Promise<PatroniStack> {
  const { dir } = running;
  const scope = `pgtest-${randomBytes(3).toString('hex')}`;
  const restPassword = secret();
  const superuser = { username: 'postgres' as const, password: secret() };
  // One set of replication/rewind credentials for the whole cluster: replicas authenticate with them.
  const internalPasswords = { replication: secret(), rewind: secret() };
  const tls = options.tls ? await makeTestTls(dir) : undefined;
  running.etcd = await startEtcd(dir);
  const etcd = running.etcd;

  const ports = await freePorts(count * 2);
  const prefix = options.namePrefix ?? 'postgresql-k8s';
  const members: PatroniStackMember[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${prefix}-${i}`;
    const memberDir = path.join(dir, name);
    const restPort = ports[2 * i]!;
    members.push({
      name,
      restUrl: `${tls ? 'https' : 'http'}://127.0.0.1:${restPort}`,
      restPort,
      pgPort: ports[2 * i + 1]!,
      dir: memberDir,
      dataDir: path.join(memberDir, 'data'),
      logFile: path.join(memberDir, 'patroni.log'),
    });
  }

  for (const member of members) {
    await mkdir(member.dir, { recursive: true });
    const config = patroniConfig({ member, scope, etcd, restPassword, superuser, internalPasswords, tls, options });
    await writeFile(path.join(member.dir, 'patroni.yml'), YAML.stringify(config), { mode: 0o600 });
  }
  // postgres must own everything it touches (data dirs, sockets, logs, TLS key).
  await execa('chown', ['-R', 'postgres:postgres', dir]);

  const spawnMember = (member: PatroniStackMember): LoggedProcess =>
    spawnLogged('runuser', ['-u', 'postgres', '--', ...PATRONI, path.join(member.dir, 'patroni.yml')], path.join(member.dir, 'stdout.log'));
  const byMember = new Map<string, LoggedProcess>();
  for (const member of members) {
    running.dataDirs.push(member.dataDir);
    const patroni = spawnMember(member);
    byMember.set(member.name, patroni);
    running.patronis.push(patroni);
  }

  const stack: PatroniStack = {
    dir,
    scope,
    members,
    etcd,
    restUsername: 'patroni',
    restPassword,
    superuser,
    tls,
    urls: members.map((m) => m.restUrl),
    pgConfig: (member) => ({ host: '127.0.0.1', port: member.pgPort, user: superuser.username, password: superuser.password, database: 'postgres' }),
    clusterView: async () => {
      for (const member of members) {
        const view = await getJson<StackClusterView>(`${member.restUrl}/cluster`, tls?.caPem);
        if (view?.members) return view;
      }
      return undefined;
    },
    waitForCluster: async (ready, what, timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      let last: StackClusterView | undefined;
      for (;;) {
        last = (await stack.clusterView()) ?? last;
        if (last && ready(last)) return last;
        const dead = running.patronis.filter((p) => p.child.exitCode !== null);
        if (Date.now() >= deadline || dead.length > 0) {
          const why = dead.length > 0 ? `${dead.length} Patroni process(es) exited` : `not within ${timeoutMs} ms`;
          throw new Error(`Patroni stack: waited for ${what}, ${why}. Last /cluster: ${JSON.stringify(last)}\n${stack.logTails()}`);
        }
        await sleep(250);
      }
    },
    logTails: (lines = 25) =>
      members
        .map((m) => `--- ${m.name} patroni.log ---\n${tailOf(m.logFile, lines)}\n--- ${m.name} stdout ---\n${tailOf(path.join(m.dir, 'stdout.log'), 10)}`)
        .join('\n'),
    crash: (member) => {
      const postmaster = postmasterPid(member.dataDir);
      const group = processGroupMembers(byMember.get(member.name)!.pid);
      const children = postmaster === undefined ? [] : childrenOf(postmaster);
      const at = Date.now();
      for (const pid of [...group, ...(postmaster === undefined ? [] : [postmaster]), ...children]) signal(pid, 'SIGKILL');
      return at;
    },
    restart: (member) => {
      const patroni = spawnMember(member);
      byMember.set(member.name, patroni);
      running.patronis.push(patroni);
    },
    stop,
  };
  return stack;
}

function patroniConfig(input: {
  member: PatroniStackMember;
  scope: string;
  etcd: EtcdProcess;
  restPassword: string;
  superuser: { username: string; password: string };
  internalPasswords: { replication: string; rewind: string };
  tls: TestTlsMaterial | undefined;
  options: PatroniStackOptions;
}): Record<string, unknown> {
  const { member, tls } = input;
  const restListen = `127.0.0.1:${member.restPort}`;
  const pgListen = `127.0.0.1:${member.pgPort}`;
  return {
    scope: input.scope,
    namespace: '/service/',
    name: member.name,
    log: { level: 'INFO', dir: member.dir },
    restapi: {
      listen: restListen,
      connect_address: restListen,
      authentication: { username: 'patroni', password: input.restPassword },
      ...(tls ? { certfile: tls.certFile, keyfile: tls.keyFile, cafile: tls.caFile } : {}),
    },
    etcd3: { hosts: input.etcd.hostPort, username: input.etcd.patroni.username, password: input.etcd.patroni.password },
    bootstrap: {
      dcs: {
        ...(input.options.timing ?? { ttl: 10, loop_wait: 2, retry_timeout: 4 }),
        maximum_lag_on_failover: 1048576,
        synchronous_mode: input.options.synchronousMode ?? true,
        postgresql: {
          use_pg_rewind: true,
          use_slots: true,
          parameters: {
            wal_level: 'replica',
            hot_standby: 'on',
            wal_log_hints: 'on',
            max_wal_senders: 10,
            max_replication_slots: 10,
            shared_buffers: '32MB',
            ...input.options.parameters,
          },
        },
      },
      initdb: [{ encoding: 'UTF8' }, 'data-checksums'],
    },
    postgresql: {
      listen: pgListen,
      connect_address: pgListen,
      data_dir: member.dataDir,
      bin_dir: PG_BIN_DIR,
      pgpass: path.join(member.dir, 'pgpass'),
      authentication: {
        superuser: input.superuser,
        replication: { username: 'replicator', password: input.internalPasswords.replication },
        rewind: { username: 'rewinder', password: input.internalPasswords.rewind },
      },
      parameters: { unix_socket_directories: member.dir },
      pg_hba: [
        'local all all trust',
        'host replication replicator 127.0.0.1/32 scram-sha-256',
        'host all all 127.0.0.1/32 scram-sha-256',
      ],
    },
    tags: { nofailover: false, noloadbalance: false, clonefrom: false, nosync: false },
  };
}

function isUp(view: StackClusterView, count: number): boolean {
  const started = view.members.filter((m) => m.state === 'running' || m.state === 'streaming');
  return view.members.length === count && started.length === count && view.members.filter((m) => m.role === 'leader').length === 1;
}

/**
 * Every process we started or that works on our dir: Patroni's process groups (runuser, patroni,
 * initdb, pg_basebackup), the postmasters (Patroni detaches them into their own session) and
 * anything else naming the stack dir. etcd is stopped separately, last.
 */
function stackProcesses(running: Running): number[] {
  const pids = new Set<number>([
    ...running.patronis.flatMap((p) => processGroupMembers(p.pid)),
    ...running.dataDirs.map(postmasterPid).filter((pid): pid is number => pid !== undefined),
    ...pidsMentioning(running.dir),
  ]);
  if (running.etcd) pids.delete(running.etcd.pid);
  return [...pids];
}

/** Signal each process with its fastest leak-free signal (see fastStopSignal). */
function signalStack(running: Running): number[] {
  const pids = stackProcesses(running);
  for (const pid of pids) signal(pid, fastStopSignal(pid, PG_BINARY));
  return pids;
}

/** Kill Patroni and stop PostgreSQL at once (nothing is left to restart it), then etcd, then the files. */
async function stopAll(running: Running): Promise<void> {
  // Twice: a postmaster Patroni was launching during the first pass shows up in the second.
  for (let pass = 0; pass < 2; pass++) {
    const pids = signalStack(running);
    if (!(await waitForExit(pids, 5_000))) for (const pid of pids) signal(pid, 'SIGKILL');
    await waitForExit(pids, 2_000);
  }
  await running.etcd?.stop();
  await rm(running.dir, { recursive: true, force: true });
}

/** Synchronous last resort when the test process exits without `stop()` (no awaiting possible). */
function killNow(running: Running): void {
  signalStack(running);
  if (running.etcd) signal(running.etcd.pid, 'SIGKILL');
  rmSync(running.dir, { recursive: true, force: true });
}

function secret(): string {
  return randomBytes(12).toString('hex');
}

/** GET a JSON document; undefined on any failure (the caller polls). */
function getJson<T>(url: string, caPem: string | undefined): Promise<T | undefined> {
  return new Promise((resolve) => {
    const client = url.startsWith('https:') ? https : http;
    const req = client.get(url, { timeout: 2_000, agent: false, ...(caPem ? { ca: caPem } : {}) }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 ? (JSON.parse(body) as T) : undefined);
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}
