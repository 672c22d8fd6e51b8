import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../src/logging.ts';
import { enableEtcdAuth, type EtcdCredentials, newEtcdAuth, readEtcdAuth, writeEtcdAuth } from './etcd-auth.ts';
import { SandboxError } from './errors.ts';
import { findOwnProcess, isAlive, removePid, spawnDetached, tailOf, terminate, writePid } from './processes.ts';

/**
 * The sandbox's control plane: one etcd (v3 API, Debian's etcd 3.4) that every unit's Patroni
 * uses as its DCS. It listens on the bridge address, the one host address pods can reach, keeps
 * its data in the state dir, and runs detached so it outlives a daemon restart. Auth is on
 * (etcd-auth.ts): pods without Patroni's credentials can neither read nor write it.
 */

export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;

export interface EtcdHandle {
  pid: number;
  /** `10.213.N.1:2379`: the form POSTGRESQL_DCS_ETCD_HOSTS and Patroni's etcd3.hosts take. */
  hostPort: string;
  clientUrl: string;
  logFile: string;
  /** False when an etcd left by an earlier daemon was adopted. */
  started: boolean;
  /** The only etcd user the charm gets (read-write on Patroni's key prefix). */
  patroni: EtcdCredentials;
}

function files(dir: string) {
  return { pid: path.join(dir, 'etcd.pid'), log: path.join(dir, 'etcd.log'), data: path.join(dir, 'data'), auth: path.join(dir, 'auth.json') };
}

/** The running etcd of this state dir, if any (checked by its data dir on the command line). */
export function findEtcd(dir: string): Promise<number | null> {
  const f = files(dir);
  return findOwnProcess(f.pid, ['etcd', f.data]);
}

/** Adopt the running etcd or start one, and wait until it reports healthy. */
export async function ensureEtcd(options: {
  dir: string;
  host: string;
  logger?: Logger;
  timeoutMs?: number;
  /** Default 2379 and 2380; tests on loopback pick free ones. */
  ports?: { client: number; peer: number };
}): Promise<EtcdHandle> {
  const f = files(options.dir);
  const clientPort = options.ports?.client ?? ETCD_CLIENT_PORT;
  const clientUrl = `http://${options.host}:${clientPort}`;
  const peerUrl = `http://${options.host}:${options.ports?.peer ?? ETCD_PEER_PORT}`;
  const authenticated = async (pid: number, started: boolean): Promise<EtcdHandle> => {
    let auth = await readEtcdAuth(f.auth);
    if (auth === null) {
      // A new etcd, or one an older sandbox ran without auth: turn it on now.
      auth = newEtcdAuth();
      await enableEtcdAuth(clientUrl, auth);
      await writeEtcdAuth(f.auth, auth);
      options.logger?.info({ user: auth.patroni.username }, 'etcd auth enabled');
    }
    return { pid, hostPort: `${options.host}:${clientPort}`, clientUrl, logFile: f.log, started, patroni: auth.patroni };
  };
  const running = await findEtcd(options.dir);
  if (running !== null) {
    await waitHealthy(clientUrl, running, f.log, options.timeoutMs ?? 20_000);
    return authenticated(running, false);
  }
  await mkdir(f.data, { recursive: true, mode: 0o700 });
  const pid = spawnDetached(
    'etcd',
    [
      '--name', 'sandbox', '--data-dir', f.data,
      '--listen-client-urls', clientUrl, '--advertise-client-urls', clientUrl,
      '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
      '--initial-cluster', `sandbox=${peerUrl}`, '--log-level', 'warn', '--logger', 'zap',
    ],
    f.log,
    // No ETCD_* leaking in from the caller's environment.
    { extendEnv: false, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } },
  );
  if (pid === undefined) throw new SandboxError('sandbox-etcd-failed', `etcd could not be started; see ${f.log}`);
  await writePid(f.pid, pid);
  options.logger?.info({ pid, clientUrl }, 'etcd started');
  await waitHealthy(clientUrl, pid, f.log, options.timeoutMs ?? 20_000);
  return authenticated(pid, true);
}

/** Stop this state dir's etcd (if it runs) and forget its pidfile. */
export async function stopEtcd(dir: string): Promise<boolean> {
  const pid = await findEtcd(dir);
  if (pid !== null) await terminate(pid, 5_000);
  await removePid(files(dir).pid);
  return pid !== null;
}

async function waitHealthy(clientUrl: string, pid: number, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await isHealthy(clientUrl))) {
    if (!(await isAlive(pid))) {
      throw new SandboxError('sandbox-etcd-failed', `etcd exited before becoming healthy at ${clientUrl}:\n${await tailOf(logFile)}`);
    }
    if (Date.now() >= deadline) {
      throw new SandboxError('sandbox-etcd-failed', `etcd not healthy at ${clientUrl} after ${timeoutMs} ms:\n${await tailOf(logFile)}`);
    }
    await sleep(100);
  }
}

export function isHealthy(clientUrl: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(`${clientUrl}/health`, { timeout: 1_000, agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('true')));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}
