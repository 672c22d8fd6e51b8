import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { enableEtcdAuth, type EtcdCredentials, newEtcdAuth } from '../../sandbox/runtime/etcd-auth.ts';
import { freePorts } from './patroni-ports.ts';
import { isAlive, signal, spawnLogged, tailOf, waitForExit } from './patroni-processes.ts';

/**
 * A single-member etcd 3.4 (v3 API, which Patroni's `etcd3` DCS uses) on loopback, with auth on as
 * the sandbox runs it (sandbox/runtime/etcd-auth.ts): Patroni connects as `patroni`.
 */
export interface EtcdProcess {
  pid: number;
  /** `http://127.0.0.1:<port>` */
  clientUrl: string;
  /** `127.0.0.1:<port>`, the form Patroni's `etcd3.hosts` takes. */
  hostPort: string;
  logFile: string;
  /** Read-write on `/service/` only; unauthenticated clients are refused. */
  patroni: EtcdCredentials;
  stop(): Promise<void>;
}

const START_ATTEMPTS = 3; // a freshly found free port may be taken by someone else before etcd binds it

/** Start etcd with its data under `dir`; resolves once `/health` says healthy. */
export async function startEtcd(dir: string, timeoutMs = 15_000): Promise<EtcdProcess> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    try {
      return await startOnce(path.join(dir, `etcd-${attempt}`), timeoutMs);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function startOnce(dir: string, timeoutMs: number): Promise<EtcdProcess> {
  await mkdir(dir, { recursive: true });
  const [clientPort, peerPort] = await freePorts(2);
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const logFile = path.join(dir, 'etcd.log');
  const proc = spawnLogged(
    'etcd',
    [
      '--name', 'e0', '--data-dir', path.join(dir, 'data'),
      '--listen-client-urls', clientUrl, '--advertise-client-urls', clientUrl,
      '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
      '--initial-cluster', `e0=${peerUrl}`, '--log-level', 'warn', '--logger', 'zap',
    ],
    logFile,
  );
  const stop = async () => {
    signal(proc.pid, 'SIGTERM');
    if (!(await waitForExit([proc.pid], 3_000))) signal(proc.pid, 'SIGKILL');
    await waitForExit([proc.pid], 3_000);
  };

  const deadline = Date.now() + timeoutMs;
  while (!(await isHealthy(clientUrl))) {
    if (!isAlive(proc.pid) || Date.now() >= deadline) {
      await stop();
      throw new Error(`etcd did not become healthy at ${clientUrl}; log tail:\n${tailOf(logFile)}`);
    }
    await sleep(50);
  }
  const auth = newEtcdAuth();
  try {
    await enableEtcdAuth(clientUrl, auth);
  } catch (error) {
    await stop();
    throw error;
  }
  return { pid: proc.pid, clientUrl, hostPort: `127.0.0.1:${clientPort}`, logFile, patroni: auth.patroni, stop };
}

function isHealthy(clientUrl: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(`${clientUrl}/health`, { timeout: 1_000, agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('true')));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}
