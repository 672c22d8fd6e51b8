import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPod,
  destroyPod,
  destroySandbox,
  execInPod,
  isClean,
  listLeftovers,
  listPods,
  loadPod,
  POD_INIT_SCRIPT,
  podPath,
  runInPod,
  SANDBOX_CODE_ROOT,
  updateHosts,
  type Pod,
} from '../../../sandbox/pods/index.ts';
import { freezePod, healPod, partitionPod, partitionPodFromDcs, thawPod } from '../../../sandbox/pods/faults.ts';
import { eventually, HOSTNAME_SERVER, HTTP_GET, isDead, newTestSandbox, type TestSandbox } from './helpers.ts';

// Two real pods (network, mount, UTS, IPC and PID namespaces) on a bridge of their own, shared by the file.
const NODE = process.execPath;
const HOST_DATA = '/var/lib/postgresql/data';
let sandbox: TestSandbox;
let pod0: Pod;
let pod1: Pod;
let hostDataBefore: string[] | undefined;
let checkout: string | undefined;
const servers: ReturnType<typeof runInPod>[] = [];

async function listing(dir: string): Promise<string[] | undefined> {
  return existsSync(dir) ? (await readdir(dir)).sort() : undefined;
}

async function startHostnameServer(pod: Pod): Promise<void> {
  const server = runInPod(pod, [NODE, '-e', HOSTNAME_SERVER], { stdout: 'pipe' });
  servers.push(server);
  await new Promise<void>((resolve, reject) => {
    server.stdout?.once('data', () => resolve());
    void server.then((result) => reject(new Error(`server in ${pod.name} exited: ${String(result.exitCode)}`)));
  });
}

async function getFrom(pod: Pod, url: string): Promise<string> {
  return (await execInPod(pod, [NODE, '-e', HTTP_GET, url])).stdout.trim();
}

function hostGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

beforeAll(async () => {
  hostDataBefore = await listing(HOST_DATA);
  sandbox = await newTestSandbox('pods');
  // A checkout under /tmp, as CI clones there: the pods must see it through their private /tmp.
  checkout = await mkdtemp(path.join(os.tmpdir(), 'pods-checkout-'));
  await writeFile(path.join(checkout, 'tool.txt'), 'from a checkout under /tmp');
  const base = { sandboxId: sandbox.sandboxId, stateDir: sandbox.stateDir, hostPaths: [SANDBOX_CODE_ROOT, checkout] };
  [pod0, pod1] = await Promise.all([
    createPod({ ...base, name: 'postgresql-k8s-0', index: 0 }),
    createPod({ ...base, name: 'postgresql-k8s-1', index: 1 }),
  ]);
  await startHostnameServer(pod0);
  await startHostnameServer(pod1);
});

afterAll(async () => {
  if (checkout) await rm(checkout, { recursive: true, force: true });
  if (sandbox) {
    await destroySandbox(sandbox.sandboxId, sandbox.stateDir);
    await rm(sandbox.stateDir, { recursive: true, force: true });
  }
});

describe('pods on one machine', () => {
  it('gives each pod the next address on the sandbox subnet and its own hostname', async () => {
    const prefix = sandbox.network.bridgeIp.split('.').slice(0, 3).join('.');
    expect(pod0.ip).toBe(`${prefix}.10`);
    expect(pod1.ip).toBe(`${prefix}.11`);
    expect((await execInPod(pod0, ['hostname'])).stdout.trim()).toBe('postgresql-k8s-0');
    expect((await execInPod(pod1, ['hostname'])).stdout.trim()).toBe('postgresql-k8s-1');
    expect((await execa('hostname')).stdout.trim()).toBe(os.hostname());
    const addresses = (await execInPod(pod0, ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0'])).stdout;
    expect(addresses).toContain(`${pod0.ip}/24`);
  });

  it('runs two servers on the same port 8008, and pods reach each other by DNS name', async () => {
    expect(await getFrom(pod0, 'http://postgresql-k8s-1.postgresql-k8s-endpoints:8008/')).toBe('postgresql-k8s-1');
    expect(await getFrom(pod1, 'http://postgresql-k8s-0.postgresql-k8s-endpoints:8008/')).toBe('postgresql-k8s-0');
    expect(
      await getFrom(pod0, 'http://postgresql-k8s-1.postgresql-k8s-endpoints.testmodel.svc.cluster.local:8008/'),
    ).toBe('postgresql-k8s-1');
    // each pod's own name and its loopback lead to itself
    expect(await getFrom(pod1, 'http://postgresql-k8s-1:8008/')).toBe('postgresql-k8s-1');
    expect(await getFrom(pod0, 'http://127.0.0.1:8008/')).toBe('postgresql-k8s-0');
  });

  it('lets the host reach both pods by IP through the bridge, and pods reach the bridge address', async () => {
    expect(await hostGet(`http://${pod0.ip}:8008/`)).toBe('postgresql-k8s-0');
    expect(await hostGet(`http://${pod1.ip}:8008/`)).toBe('postgresql-k8s-1');
    const host = http.createServer((_, res) => res.end('host-service'));
    await new Promise<void>((resolve) => host.listen(0, sandbox.network.bridgeIp, resolve));
    try {
      const { port } = host.address() as { port: number };
      expect(await getFrom(pod0, `http://${sandbox.network.bridgeIp}:${port}/`)).toBe('host-service');
    } finally {
      host.close();
    }
  });

  it('gives pods no way out: no default route, and loopback is their own', async () => {
    const routes = (await execInPod(pod0, ['ip', 'route'])).stdout;
    expect(routes).not.toMatch(/^default/m);
    expect(routes.trim().split('\n')).toHaveLength(1);
    const host = http.createServer((_, res) => res.end('host-loopback'));
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = host.address() as { port: number };
      const result = await execInPod(pod0, [NODE, '-e', HTTP_GET, `http://127.0.0.1:${port}/`], { reject: false });
      expect(result.exitCode).not.toBe(0);
      expect(result.stderr).toContain('ECONNREFUSED');
    } finally {
      host.close();
    }
  });

  it('does not hold on to the namespace files of other pods or of ip netns', async () => {
    const mountinfo = (await execInPod(pod1, ['cat', '/proc/self/mountinfo'])).stdout;
    expect(mountinfo).not.toMatch(/ - nsfs /);
    expect(mountinfo).not.toContain('/run/netns/');
    expect(mountinfo).toContain(` /dev/shm rw`);
    expect(mountinfo).toMatch(/ - tmpfs sbx\S+-shm-postgresql-k8s-1 /);
  });

  it('gives each pod its own data directory and leaves the host one alone', async () => {
    await execInPod(pod0, ['sh', '-c', 'echo zero > /var/lib/postgresql/data/marker']);
    expect((await execInPod(pod0, ['cat', '/var/lib/postgresql/data/marker'])).stdout.trim()).toBe('zero');
    const inOther = await execInPod(pod1, ['test', '-e', '/var/lib/postgresql/data/marker'], { reject: false });
    expect(inOther.exitCode).not.toBe(0);
    expect(await readFile(podPath(pod0, '/var/lib/postgresql/data/marker'), 'utf8')).toBe('zero\n');
    expect(existsSync(path.join(HOST_DATA, 'marker'))).toBe(false);
    expect(await listing(HOST_DATA)).toEqual(hostDataBefore ?? []);
  });

  it('runs commands as another user with a working directory inside the pod', async () => {
    const postgres = await execa('id', ['-u', 'postgres']);
    const uid = Number(postgres.stdout.trim());
    const gid = Number((await execa('id', ['-g', 'postgres'])).stdout.trim());
    await execInPod(pod1, ['chown', `${uid}:${gid}`, '/var/lib/postgresql/data']);
    const result = await execInPod(pod1, ['sh', '-c', 'id -u; pwd; touch owned'], { uid, gid, cwd: '/var/lib/postgresql/data' });
    expect(result.stdout.trim().split('\n')).toEqual([String(uid), '/var/lib/postgresql/data']);
    expect((await stat(podPath(pod1, '/var/lib/postgresql/data/owned'))).uid).toBe(uid);
  });

  it('keeps /tmp private per pod (Patroni’s pgpass is there), while the checkout, the sandbox code and state stay reachable', async () => {
    await execInPod(pod0, ['sh', '-c', 'echo mine > /tmp/pod-private']);
    expect((await execInPod(pod0, ['cat', '/tmp/pod-private'])).stdout).toBe('mine');
    expect(existsSync('/tmp/pod-private')).toBe(false);
    expect((await execInPod(pod1, ['test', '-e', '/tmp/pod-private'], { reject: false })).exitCode).not.toBe(0);
    expect((await execInPod(pod1, ['stat', '-c', '%a', '/tmp'])).stdout.trim()).toBe('1777');
    for (const pod of [pod0, pod1]) {
      expect((await execInPod(pod, ['cat', path.join(checkout!, 'tool.txt')])).stdout).toBe('from a checkout under /tmp');
      expect((await execInPod(pod, ['test', '-f', path.join(SANDBOX_CODE_ROOT, 'package.json')], { reject: false })).exitCode).toBe(0);
    }
    await writeFile(path.join(sandbox.stateDir, 'shared.txt'), 'from the host');
    expect((await execInPod(pod0, ['cat', path.join(sandbox.stateDir, 'shared.txt')])).stdout).toBe('from the host');
  });

  it('serves a pod-local unix socket under /charm/containers/postgresql to processes of that pod only', async () => {
    const socket = '/charm/containers/postgresql/pebble.socket';
    const server = runInPod(pod0, [
      NODE,
      '-e',
      `require('node:net').createServer((c) => c.end('pong from ' + require('node:os').hostname())).listen(${JSON.stringify(socket)}, () => console.log('ready'))`,
    ], { stdout: 'pipe' });
    servers.push(server);
    await new Promise<void>((resolve) => server.stdout?.once('data', () => resolve()));
    const client = `require('node:net').connect(${JSON.stringify(socket)}).on('data', (d) => process.stdout.write(d)).on('error', (e) => { console.error(e.code); process.exit(1); })`;
    expect((await execInPod(pod0, [NODE, '-e', client])).stdout).toBe('pong from postgresql-k8s-0');
    const fromOther = await execInPod(pod1, [NODE, '-e', client], { reject: false });
    expect(fromOther.stderr.trim()).toBe('ENOENT');
    expect(existsSync(socket)).toBe(false);
    expect((await stat(podPath(pod0, socket))).isSocket()).toBe(true);
  });

  it('gives each pod its own PID namespace: pkill postgres in one pod leaves the other pod and the host alone', async () => {
    // A process named postgres in each pod and on the host: a copy of sleep, so pkill matches it by name.
    const fakePostgres = (dir: string): string => `cp /bin/sleep ${dir}/postgres && { ${dir}/postgres 600 >/dev/null 2>&1 & echo $!; }`;
    const started = await Promise.all([pod0, pod1].map(async (pod) => Number((await execInPod(pod, ['sh', '-c', fakePostgres('/tmp')])).stdout.trim())));
    const hostDir = await mkdtemp(path.join(os.tmpdir(), 'pods-host-postgres-'));
    const onHost = execa('sh', ['-c', `cp /bin/sleep ${hostDir}/postgres && exec ${hostDir}/postgres 600`], { reject: false });
    try {
      const pgrep = async (pod: Pod): Promise<string[]> => (await execInPod(pod, ['pgrep', '-x', 'postgres'], { reject: false })).stdout.split('\n').filter(Boolean);
      // Each pod sees its own process only, under a pid of the pod's, and the pod's init as PID 1.
      expect(await pgrep(pod0)).toEqual([String(started[0])]);
      expect(await pgrep(pod1)).toEqual([String(started[1])]);
      for (const pod of [pod0, pod1]) {
        expect((await execInPod(pod, ['cat', '/proc/1/cmdline'])).stdout.split('\0')).toEqual(expect.arrayContaining([POD_INIT_SCRIPT, pod.name]));
      }
      await execInPod(pod0, ['pkill', '-KILL', '-x', 'postgres']);
      // gone from pod 0, not even a zombie (the pod's init reaps the orphan)
      expect(await eventually(() => pgrep(pod0), (pids) => pids.length === 0)).toEqual([]);
      expect(await pgrep(pod1)).toEqual([String(started[1])]);
      expect(onHost.exitCode).toBeNull();
      expect(await isDead(onHost.pid!)).toBe(false);
    } finally {
      onHost.kill('SIGKILL');
      await onHost;
      await rm(hostDir, { recursive: true, force: true });
      await execInPod(pod1, ['pkill', '-KILL', '-x', 'postgres'], { reject: false });
    }
  });

  it('freezes, thaws, partitions and heals one pod, leaving the other alone', async () => {
    const sleeper = async (pod: Pod): Promise<number> => Number((await execInPod(pod, ['sh', '-c', 'sleep 600 >/dev/null 2>&1 & echo $!'])).stdout.trim());
    const state = async (pod: Pod, pid: number): Promise<string> => (await execInPod(pod, ['ps', '-o', 'stat=', '-p', String(pid)])).stdout.trim().charAt(0);
    const url = (pod: Pod): string => `http://${pod.name}.postgresql-k8s-endpoints:8008/`;
    const [frozen, other] = [await sleeper(pod0), await sleeper(pod1)];
    try {
      await freezePod(pod0);
      expect(await state(pod0, frozen)).toBe('T');
      expect(await state(pod1, other)).toBe('S');
      // the init runs on: the frozen pod still takes a new process
      expect((await execInPod(pod0, ['hostname'])).stdout.trim()).toBe('postgresql-k8s-0');
      await thawPod(pod0);
      expect(await state(pod0, frozen)).toBe('S');
      expect(await getFrom(pod1, url(pod0))).toBe('postgresql-k8s-0');

      await partitionPod(pod0);
      const cut = await execInPod(pod1, [NODE, '-e', HTTP_GET, url(pod0)], { reject: false, timeoutMs: 15_000 });
      expect(cut.exitCode).not.toBe(0);
      await healPod(pod0);
      expect(await eventually(() => getFrom(pod1, url(pod0)), (body) => body === 'postgresql-k8s-0', 15_000)).toBe('postgresql-k8s-0');

      await partitionPodFromDcs(pod0);
      // what the pod sends to the DCS's ports (the API stand-in's 443, etcd's 2379) is dropped
      const rules = (await execInPod(pod0, ['iptables', '-w', '-S', 'OUTPUT'])).stdout;
      for (const port of [443, 2379]) expect(rules).toContain(`-A OUTPUT -d ${sandbox.network.bridgeIp}/32 -p tcp -m tcp --dport ${port} -j DROP`);
      expect((await execInPod(pod1, ['iptables', '-w', '-S', 'OUTPUT'])).stdout).not.toContain('DROP');
      expect(await getFrom(pod0, url(pod1))).toBe('postgresql-k8s-1'); // the other pods stay reachable
      await healPod(pod0);
      expect((await execInPod(pod0, ['iptables', '-w', '-S', 'OUTPUT'])).stdout).not.toContain('DROP');
    } finally {
      await thawPod(pod0);
      await healPod(pod0);
      await execInPod(pod0, ['kill', String(frozen)], { reject: false });
      await execInPod(pod1, ['kill', String(other)], { reject: false });
    }
  });

  it('adds a third pod to every /etc/hosts in place, with extra entries, and drops it when destroyed', async () => {
    const inodeBefore = (await execInPod(pod0, ['stat', '-c', '%i', '/etc/hosts'])).stdout;
    const pod2 = await createPod({ sandboxId: sandbox.sandboxId, stateDir: sandbox.stateDir, name: 'postgresql-k8s-2', index: 2 });
    let serverPid: number | undefined;
    try {
      const server = runInPod(pod2, [NODE, '-e', HOSTNAME_SERVER], { stdout: 'pipe' });
      serverPid = server.pid;
      await new Promise<void>((resolve) => server.stdout?.once('data', () => resolve()));
      const resolved = await execInPod(pod0, ['getent', 'hosts', 'postgresql-k8s-2.postgresql-k8s-endpoints']);
      expect(resolved.stdout.split(/\s+/)[0]).toBe(pod2.ip);
      expect((await execInPod(pod0, ['stat', '-c', '%i', '/etc/hosts'])).stdout).toBe(inodeBefore);
      await updateHosts(sandbox.stateDir, { extra: [{ ip: pod1.ip, names: ['postgresql-k8s-primary.testmodel.svc.cluster.local'] }] });
      expect(await getFrom(pod2, 'http://postgresql-k8s-primary.testmodel.svc.cluster.local:8008/')).toBe('postgresql-k8s-1');
      expect((await listPods(sandbox.stateDir)).map((p) => p.name)).toEqual(['postgresql-k8s-0', 'postgresql-k8s-1', 'postgresql-k8s-2']);
      expect(await loadPod(sandbox.stateDir, 'postgresql-k8s-2')).toEqual(pod2);
    } finally {
      await destroyPod(pod2);
    }
    expect(serverPid).toBeDefined();
    expect(await eventually(() => isDead(serverPid!), Boolean)).toBe(true);
    const gone = await execInPod(pod0, ['getent', 'hosts', 'postgresql-k8s-2.postgresql-k8s-endpoints'], { reject: false });
    expect(gone.exitCode).not.toBe(0);
    const left = await listLeftovers(sandbox.sandboxId, sandbox.stateDir);
    expect(left.netns).not.toContain(pod2.netns);
    expect(left.links).not.toContain(pod2.veth);
    expect(left.links).toContain(pod1.veth);
    await destroyPod(pod2); // idempotent
    await expect(loadPod(sandbox.stateDir, 'postgresql-k8s-2')).rejects.toMatchObject({ code: 'pod-not-found' });
  });

  it('refuses a second pod with a taken index or name', async () => {
    const base = { sandboxId: sandbox.sandboxId, stateDir: sandbox.stateDir };
    await expect(createPod({ ...base, name: 'other-app-0', index: 0 })).rejects.toMatchObject({ code: 'pod-address-in-use' });
    await expect(createPod({ ...base, name: 'postgresql-k8s-1', index: 7 })).rejects.toMatchObject({ code: 'pod-exists' });
  });

  it('destroys the sandbox completely, killing what runs in the pods', async () => {
    const pids = servers.map((s) => s.pid).filter((pid): pid is number => pid !== undefined);
    expect(pids.length).toBeGreaterThanOrEqual(3);
    const before = await listLeftovers(sandbox.sandboxId, sandbox.stateDir);
    expect(before.processes.map((p) => p.pid)).toEqual(expect.arrayContaining(pids));
    await destroySandbox(sandbox.sandboxId, sandbox.stateDir);
    for (const pid of pids) expect(await eventually(() => isDead(pid), Boolean)).toBe(true);
    expect(isClean(await listLeftovers(sandbox.sandboxId, sandbox.stateDir))).toBe(true);
    await destroySandbox(sandbox.sandboxId, sandbox.stateDir); // idempotent
  });
});
