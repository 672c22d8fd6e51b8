import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logging.ts';
import { KubeApiServer } from '../../../sandbox/k8s/index.ts';
import { freePorts } from '../../support/patroni-ports.ts';
import {
  fastStopSignal,
  pidsMentioning,
  postmasterPid,
  processGroupMembers,
  signal,
  spawnLogged,
  tailOf,
  waitForExit,
  type LoggedProcess,
} from '../../support/patroni-processes.ts';

/*
 * A real single-member Patroni 3.0.2 with its Kubernetes DCS (patroni/dcs/kubernetes.py) pointed
 * at the stand-in, configured as the charm configures it: `use_endpoints: true`, the pod labels
 * `application: patroni` + `cluster-name: <scope>`, `ports`, no `pod_ip`. Patroni reads its token and
 * CA from the fixed in-cluster paths (/var/run/secrets/kubernetes.io/serviceaccount), so it runs in
 * a private mount namespace with a tmpfs on /run holding them, as a pod would.
 */

const PATRONI = ['/usr/bin/python3', '/usr/bin/patroni'];
const PG_BIN_DIR = '/usr/lib/postgresql/15/bin';
const available = existsSync('/usr/bin/patroni') && existsSync(PG_BIN_DIR) && process.getuid?.() === 0;

const NAMESPACE = 'dev';
const APP = 'pgk';
const SCOPE = `patroni-${APP}`;
const POD = `${APP}-0`;

let api: KubeApiServer;
let dir: string;
let patroni: LoggedProcess | undefined;
let restPort: number;
let pgPort: number;
let dataDir: string;

function logs(): string {
  return `--- patroni.log ---\n${tailOf(path.join(dir, 'patroni.log'), 40)}\n--- stdout ---\n${tailOf(path.join(dir, 'stdout.log'), 20)}`;
}

function getJson(url: string): Promise<Record<string, unknown> | undefined> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2_000, agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body) as Record<string, unknown>);
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (patroni !== undefined && patroni.child.exitCode !== null) throw new Error(`Patroni exited while waiting for ${what}\n${logs()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${logs()}`);
    await sleep(250);
  }
}

async function stopPatroni(): Promise<void> {
  if (dir === undefined) return;
  for (let pass = 0; pass < 2; pass++) {
    const pids = [
      ...new Set([
        ...(patroni ? processGroupMembers(patroni.pid) : []),
        ...[postmasterPid(dataDir)].filter((pid): pid is number => pid !== undefined),
        ...pidsMentioning(dir),
      ]),
    ];
    for (const pid of pids) signal(pid, fastStopSignal(pid, `${PG_BIN_DIR}/postgres`));
    if (!(await waitForExit(pids, 5_000))) for (const pid of pids) signal(pid, 'SIGKILL');
  }
}

describe.skipIf(!available)('Patroni 3.0 Kubernetes DCS against the sandbox Kubernetes stand-in', () => {
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'k8s-standin-patroni-'));
    [restPort, pgPort] = (await freePorts(2)) as [number, number];
    dataDir = path.join(dir, 'data');
    api = await KubeApiServer.start({ namespace: NAMESPACE, logger: createLogger({ level: 'silent' }) });
    api.trust(APP);
    // What the sandbox does for a unit's pod, then what the charm patches in before Patroni starts.
    api.registerPod({ name: POD, ip: '127.0.0.1', app: APP, containers: ['charm', 'postgresql'] });
    api.store.patch('pods', NAMESPACE, POD, 'application/merge-patch+json', { metadata: { labels: { application: 'patroni', 'cluster-name': SCOPE } } });

    const secrets = path.join(dir, 'serviceaccount');
    await api.writeServiceAccount(secrets, APP);
    const config = {
      scope: SCOPE,
      name: POD,
      log: { level: 'INFO', dir },
      restapi: { listen: `127.0.0.1:${restPort}`, connect_address: `127.0.0.1:${restPort}` },
      kubernetes: {
        namespace: NAMESPACE,
        labels: { application: 'patroni' },
        use_endpoints: true,
        // No pod_ip, as the charm writes it (src/workload/dcs.ts): Patroni takes the leader's
        // address from the pod's status.podIP through the API.
        ports: [{ name: 'postgresql', port: pgPort }],
      },
      bootstrap: {
        dcs: { ttl: 10, loop_wait: 2, retry_timeout: 4, postgresql: { use_pg_rewind: false, parameters: { shared_buffers: '32MB' } } },
        initdb: [{ encoding: 'UTF8' }],
      },
      postgresql: {
        listen: `127.0.0.1:${pgPort}`,
        connect_address: `127.0.0.1:${pgPort}`,
        data_dir: dataDir,
        bin_dir: PG_BIN_DIR,
        pgpass: path.join(dir, 'pgpass'),
        authentication: {
          superuser: { username: 'postgres', password: randomBytes(8).toString('hex') },
          replication: { username: 'replicator', password: randomBytes(8).toString('hex') },
        },
        parameters: { unix_socket_directories: dir },
        pg_hba: ['local all all trust', 'host all all 127.0.0.1/32 scram-sha-256', 'host replication replicator 127.0.0.1/32 scram-sha-256'],
      },
    };
    await writeFile(path.join(dir, 'patroni.yml'), YAML.stringify(config), { mode: 0o600 });
    await mkdir(dataDir, { mode: 0o700 });
    await execa('chown', ['-R', 'postgres:postgres', dir]);

    const target = '/run/secrets/kubernetes.io/serviceaccount';
    const script = [
      'set -e',
      'mount -t tmpfs -o size=1m,mode=755 k8s-standin-run /run',
      `mkdir -p ${target}`,
      `cp ${secrets}/token ${secrets}/ca.crt ${secrets}/namespace ${target}/`,
      `chmod 644 ${target}/*`,
      `exec runuser -u postgres -- ${PATRONI.join(' ')} ${path.join(dir, 'patroni.yml')}`,
    ].join('\n');
    patroni = spawnLogged('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', script], path.join(dir, 'stdout.log'), {
      ...process.env,
      ...api.serviceEnv(),
    });
  });

  afterAll(async () => {
    await stopPatroni();
    await api?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('bootstraps and becomes the leader, holding the lock in Endpoints patroni-<app>', async () => {
    const cluster = await waitFor('a running leader in /cluster', async () => {
      const view = await getJson(`http://127.0.0.1:${restPort}/cluster`);
      const members = (view?.['members'] as Array<Record<string, unknown>> | undefined) ?? [];
      return members.some((m) => m['name'] === POD && m['role'] === 'leader' && m['state'] === 'running') ? view : undefined;
    }, 90_000);
    expect(cluster).toBeDefined();

    // The lock is taken with empty subsets; the next HA loop (update_leader) fills in the leader's address.
    const leader = await waitFor('the leader address in the lock Endpoints', () => {
      const object = api.store.get('endpoints', NAMESPACE, SCOPE);
      return Array.isArray(object['subsets']) && object['subsets'].length > 0 ? object : undefined;
    }, 20_000);
    const annotations = (leader['metadata'] as { annotations?: Record<string, string> }).annotations ?? {};
    expect(annotations['leader']).toBe(POD);
    expect((leader['metadata'] as { labels?: Record<string, string> }).labels).toMatchObject({ application: 'patroni', 'cluster-name': SCOPE });
    expect(leader['subsets']).toEqual([
      expect.objectContaining({ addresses: [expect.objectContaining({ ip: '127.0.0.1' })], ports: [{ name: 'postgresql', port: pgPort }] }),
    ]);
  });

  it('keeps its dynamic config and the initialize key in Endpoints <scope>-config, with a headless Service of that name', () => {
    const config = api.store.get('endpoints', NAMESPACE, `${SCOPE}-config`);
    const annotations = (config['metadata'] as { annotations?: Record<string, string> }).annotations ?? {};
    expect(annotations['initialize']).toMatch(/^\d+$/);
    expect(JSON.parse(annotations['config'] ?? '{}')).toMatchObject({ ttl: 10, loop_wait: 2 });
    const service = api.store.get('services', NAMESPACE, `${SCOPE}-config`);
    expect((service['spec'] as { clusterIP?: string }).clusterIP).toBe('None');
  });

  it('labels its pod role=master and keeps its member status in the pod annotation', async () => {
    const pod = await waitFor('role=master on the pod', () => {
      const object = api.store.get('pods', NAMESPACE, POD);
      const labels = (object['metadata'] as { labels?: Record<string, string> }).labels ?? {};
      return labels['role'] === 'master' ? object : undefined;
    });
    const status = JSON.parse((pod['metadata'] as { annotations: Record<string, string> }).annotations['status']!) as Record<string, unknown>;
    expect(status).toMatchObject({ role: 'master', state: 'running', conn_url: `postgres://127.0.0.1:${pgPort}/postgres` });
  });

  it('renews the leader lock with resourceVersion-guarded patches (the annotation moves on)', async () => {
    const first = api.store.get('endpoints', NAMESPACE, SCOPE);
    const renewed = (o: Record<string, unknown>) => (o['metadata'] as { annotations: Record<string, string> }).annotations['renewTime'];
    await waitFor('a renewed leader lock', () => {
      const now = api.store.get('endpoints', NAMESPACE, SCOPE);
      return renewed(now) !== renewed(first) ? now : undefined;
    }, 20_000);
  });

  it('logs no Kubernetes API error (403, 409 on its own writes, unexpected answers, watch failures)', () => {
    const log = tailOf(path.join(dir, 'patroni.log'), 10_000);
    expect(log).not.toMatch(/Permission denied|Unexpected error from Kubernetes API|ObjectCache\.run|Traceback|Failed to|Concurrent update/);
  });
});
