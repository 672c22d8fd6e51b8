import { randomBytes } from 'node:crypto';
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
 * Real Patroni 3.0.2 members (a leader, then a replica) with the Kubernetes DCS
 * (patroni/dcs/kubernetes.py) pointed at the stand-in, configured as the charm configures it:
 * `use_endpoints: true`, the pod labels `application: patroni` + `cluster-name: <scope>`, `ports`,
 * no `pod_ip`. Patroni reads its token and CA from the fixed in-cluster paths
 * (/var/run/secrets/kubernetes.io/serviceaccount), so it runs in a private mount namespace with a
 * tmpfs on /run holding them, as a pod would. Needs root, Patroni and PostgreSQL 15 (the component
 * tier's system packages).
 */

const PATRONI = ['/usr/bin/python3', '/usr/bin/patroni'];
const PG_BIN_DIR = '/usr/lib/postgresql/15/bin';

const NAMESPACE = 'dev';
const APP = 'pgk';
const SCOPE = `patroni-${APP}`;
const POD = `${APP}-0`;

const REPLICA = `${APP}-1`;

interface Member {
  name: string;
  dir: string;
  dataDir: string;
  restPort: number;
  pgPort: number;
  process?: LoggedProcess;
}

let api: KubeApiServer;
let dir: string;
let stateDir: string;
const members: Member[] = [];
const passwords = { superuser: randomBytes(8).toString('hex'), replication: randomBytes(8).toString('hex') };

function logs(): string {
  return members
    .map((m) => `--- ${m.name} patroni.log ---\n${tailOf(path.join(m.dir, 'patroni.log'), 40)}\n--- stdout ---\n${tailOf(path.join(m.dir, 'stdout.log'), 20)}`)
    .join('\n');
}

async function getCluster(member: Member): Promise<Array<Record<string, unknown>>> {
  const view = await getJson(`http://127.0.0.1:${member.restPort}/cluster`);
  return (view?.['members'] as Array<Record<string, unknown>> | undefined) ?? [];
}

function annotationsOf(object: Record<string, unknown>): Record<string, string> {
  return (object['metadata'] as { annotations?: Record<string, string> }).annotations ?? {};
}

function labelsOf(object: Record<string, unknown>): Record<string, string> {
  return (object['metadata'] as { labels?: Record<string, string> }).labels ?? {};
}

/** Write patroni.yml for a member as the charm would, and start it in its own mount namespace. */
async function startMember(name: string): Promise<Member> {
  const [restPort, pgPort] = (await freePorts(2)) as [number, number];
  const memberDir = path.join(dir, name);
  const member: Member = { name, dir: memberDir, dataDir: path.join(memberDir, 'data'), restPort, pgPort };
  members.push(member);
  // What the sandbox does for a unit's pod, then what the charm patches in before Patroni starts.
  api.registerPod({ name, ip: '127.0.0.1', app: APP, containers: ['charm', 'postgresql'] });
  api.store.patch('pods', NAMESPACE, name, 'application/merge-patch+json', { metadata: { labels: { application: 'patroni', 'cluster-name': SCOPE } } });
  await mkdir(member.dataDir, { recursive: true, mode: 0o700 });
  const secrets = path.join(memberDir, 'serviceaccount');
  await api.writeServiceAccount(secrets, APP);
  const config = {
    scope: SCOPE,
    name,
    log: { level: 'INFO', dir: memberDir },
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
      data_dir: member.dataDir,
      bin_dir: PG_BIN_DIR,
      pgpass: path.join(memberDir, 'pgpass'),
      authentication: {
        superuser: { username: 'postgres', password: passwords.superuser },
        replication: { username: 'replicator', password: passwords.replication },
      },
      parameters: { unix_socket_directories: memberDir },
      pg_hba: ['local all all trust', 'host all all 127.0.0.1/32 scram-sha-256', 'host replication replicator 127.0.0.1/32 scram-sha-256'],
    },
  };
  await writeFile(path.join(memberDir, 'patroni.yml'), YAML.stringify(config), { mode: 0o600 });
  await execa('chown', ['-R', 'postgres:postgres', memberDir]);

  const target = '/run/secrets/kubernetes.io/serviceaccount';
  const script = [
    'set -e',
    'mount -t tmpfs -o size=1m,mode=755 k8s-standin-run /run',
    `mkdir -p ${target}`,
    `cp ${secrets}/token ${secrets}/ca.crt ${secrets}/namespace ${target}/`,
    `chmod 644 ${target}/*`,
    `exec runuser -u postgres -- ${PATRONI.join(' ')} ${path.join(memberDir, 'patroni.yml')}`,
  ].join('\n');
  member.process = spawnLogged('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', script], path.join(memberDir, 'stdout.log'), {
    ...process.env,
    ...api.serviceEnv(),
  });
  return member;
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
    const dead = members.find((m) => m.process !== undefined && m.process.child.exitCode !== null);
    if (dead !== undefined) throw new Error(`Patroni ${dead.name} exited while waiting for ${what}\n${logs()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${logs()}`);
    await sleep(250);
  }
}

async function stopPatroni(): Promise<void> {
  if (dir === undefined) return;
  for (let pass = 0; pass < 2; pass++) {
    const pids = [
      ...new Set([
        ...members.flatMap((m) => (m.process ? processGroupMembers(m.process.pid) : [])),
        ...members.map((m) => postmasterPid(m.dataDir)).filter((pid): pid is number => pid !== undefined),
        ...pidsMentioning(dir),
      ]),
    ];
    for (const pid of pids) signal(pid, fastStopSignal(pid, `${PG_BIN_DIR}/postgres`));
    if (!(await waitForExit(pids, 5_000))) for (const pid of pids) signal(pid, 'SIGKILL');
  }
}

describe('Patroni 3.0 Kubernetes DCS against the sandbox Kubernetes stand-in', () => {
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'k8s-standin-patroni-'));
    // postgres must reach the member dirs; the stand-in's state dir stays root's (0700).
    await execa('chown', ['postgres:postgres', dir]);
    stateDir = path.join(dir, 'k8s-state');
    api = await KubeApiServer.start({ namespace: NAMESPACE, stateDir, logger: createLogger({ level: 'silent' }) });
    api.trust(APP);
    await startMember(POD);
  });

  afterAll(async () => {
    await stopPatroni();
    await api?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('bootstraps and becomes the leader, holding the lock in Endpoints patroni-<app>', async () => {
    await waitFor('a running leader in /cluster', async () => {
      const cluster = await getCluster(members[0]!);
      return cluster.some((m) => m['name'] === POD && m['role'] === 'leader' && m['state'] === 'running') ? cluster : undefined;
    }, 90_000);

    // The lock is taken with empty subsets; the next HA loop (update_leader) fills in the leader's address.
    const leader = await waitFor('the leader address in the lock Endpoints', () => {
      const object = api.store.get('endpoints', NAMESPACE, SCOPE);
      return Array.isArray(object['subsets']) && object['subsets'].length > 0 ? object : undefined;
    }, 20_000);
    const annotations = (leader['metadata'] as { annotations?: Record<string, string> }).annotations ?? {};
    expect(annotations['leader']).toBe(POD);
    expect((leader['metadata'] as { labels?: Record<string, string> }).labels).toMatchObject({ application: 'patroni', 'cluster-name': SCOPE });
    expect(leader['subsets']).toEqual([
      expect.objectContaining({ addresses: [expect.objectContaining({ ip: '127.0.0.1' })], ports: [{ name: 'postgresql', port: members[0]!.pgPort }] }),
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
    expect(status).toMatchObject({ role: 'master', state: 'running', conn_url: `postgres://127.0.0.1:${members[0]!.pgPort}/postgres` });
  });

  it('renews the leader lock with resourceVersion-guarded patches (the annotation moves on)', async () => {
    const first = api.store.get('endpoints', NAMESPACE, SCOPE);
    const renewed = (o: Record<string, unknown>) => (o['metadata'] as { annotations: Record<string, string> }).annotations['renewTime'];
    await waitFor('a renewed leader lock', () => {
      const now = api.store.get('endpoints', NAMESPACE, SCOPE);
      return renewed(now) !== renewed(first) ? now : undefined;
    }, 20_000);
  });

  it('a second member finds the leader through the DCS, streams from it and is labelled role=replica', async () => {
    const replica = await startMember(REPLICA);
    await waitFor('pgk-1 running as a replica', async () => {
      const cluster = await getCluster(replica);
      return cluster.some((m) => m['name'] === REPLICA && m['role'] === 'replica' && m['state'] === 'running') ? cluster : undefined;
    }, 90_000);
    await waitFor('role=replica on pod pgk-1', () => (labelsOf(api.store.get('pods', NAMESPACE, REPLICA))['role'] === 'replica' ? true : undefined));
    expect(labelsOf(api.store.get('pods', NAMESPACE, POD))['role']).toBe('master');
  });

  it('keeps its leader through a restart of the stand-in (same port and state dir): watches resume after a relist', async () => {
    const port = api.port;
    const before = annotationsOf(api.store.get('endpoints', NAMESPACE, SCOPE));
    await api.close();
    await sleep(1_000);
    api = await KubeApiServer.start({ namespace: NAMESPACE, stateDir, port, logger: createLogger({ level: 'silent' }) });
    // The lock is renewed again through the new server, still by the same leader.
    await waitFor('a renewed lock after the restart', () => {
      const now = annotationsOf(api.store.get('endpoints', NAMESPACE, SCOPE));
      return now['renewTime'] !== before['renewTime'] && now['leader'] === POD ? now : undefined;
    }, 30_000);
    const cluster = await getCluster(members[0]!);
    expect(cluster.map((m) => `${String(m['name'])}:${String(m['role'])}`).sort()).toEqual([`${POD}:leader`, `${REPLICA}:replica`]);
    // The replica's member data (pod annotation) still moves: its HA loop writes through the new server.
    const status = annotationsOf(api.store.get('pods', NAMESPACE, REPLICA))['status'];
    await waitFor('a fresh status annotation on pgk-1', () => (annotationsOf(api.store.get('pods', NAMESPACE, REPLICA))['status'] !== status ? true : undefined), 30_000);
  });

  it('logs no Kubernetes API error (403, conflicts on its own writes, unexpected answers)', () => {
    for (const member of members) {
      const log = tailOf(path.join(member.dir, 'patroni.log'), 10_000);
      expect(log).not.toMatch(/Permission denied|Unexpected error from Kubernetes API|Traceback|Concurrent update/);
    }
  });
});
