import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logging.ts';
import { KubeApiServer } from '../../../sandbox/k8s/index.ts';
import { hostsFile } from '../../../sandbox/pods/layout.ts';
import { podPath, type Pod } from '../../../sandbox/pods/index.ts';
import { KubeModelCluster, KubePodCluster, SERVICE_ACCOUNT_DIR, SERVICE_ACCOUNT_POD_PATH, ServiceDns } from '../../../sandbox/runtime/kubernetes.ts';

/*
 * A client charm that needs the Kubernetes API (pgbouncer-k8s reads its Pod and that Pod's Node
 * when it starts, and applies a Service of its own), against the stand-in as the sandbox wires
 * it: KubeModelCluster deploys the application (trusted or not), KubePodCluster starts its pod
 * (the service-account token, CA and namespace in the pod's directory, the Pod registered on the
 * sandbox's Node). The charm is a separate process (tests/component/sandbox-k8s/fixtures/client-charm.py)
 * that finds all of it where a pod's process does: the files at /var/run/secrets/kubernetes.io/serviceaccount
 * (a private mount namespace with the pod's directory there) and KUBERNETES_SERVICE_HOST/PORT.
 * Needs root (unshare, mount) and python3.
 */

const NAMESPACE = 'dev';
const NODE = 'sandbox-node';
const CHARM = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'client-charm.py');
const logger = createLogger({ level: 'silent' });

let stateDir: string;
let api: KubeApiServer;
let dns: ServiceDns;
let pods: KubePodCluster;
let model: KubeModelCluster;

interface Step {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- Kubernetes JSON
}
interface CharmRun {
  namespace: string;
  pod: Step;
  node?: Step;
  apply?: Step;
  service?: Step;
}

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'k8s-client-charm-'));
  api = await KubeApiServer.start({ namespace: NAMESPACE, logger });
  dns = new ServiceDns(api, { stateDir, apiHost: '127.0.0.1', logger, debounceMs: 10 });
  pods = new KubePodCluster(api, dns, { nodeName: NODE, nodeIp: '192.0.2.1', logger });
  model = new KubeModelCluster(api);
});

afterAll(async () => {
  dns?.close();
  await api?.close();
  if (stateDir !== undefined) await rm(stateDir, { recursive: true, force: true });
});

/** Juju deploys `app` (with or without trust) and its unit 0's pod starts; the Pod. */
async function deploy(app: string, trusted: boolean, ip: string): Promise<Pod> {
  model.applicationDeployed(app, trusted);
  const pod: Pod = {
    sandboxId: 'component',
    stateDir,
    name: `${app}-0`,
    index: 0,
    app,
    namespace: NAMESPACE,
    ip,
    prefixLength: 24,
    netns: '',
    veth: '',
    nsFiles: { mnt: '', uts: '', ipc: '' },
    paths: [SERVICE_ACCOUNT_POD_PATH],
    hostPaths: [],
    createdAt: new Date().toISOString(),
  };
  await pods.podStarted(pod);
  return pod;
}

/** The charm of `pod`'s unit 0, run as in its pod: service account at the fixed path, the API's env. */
async function runCharm(pod: Pod): Promise<CharmRun> {
  const serviceAccount = podPath(pod, SERVICE_ACCOUNT_POD_PATH);
  const script = [
    'set -e',
    'mount -t tmpfs -o size=1m,mode=755 client-charm-run /run',
    `mkdir -p ${SERVICE_ACCOUNT_POD_PATH}`,
    `mount --bind ${serviceAccount} ${SERVICE_ACCOUNT_POD_PATH}`,
    `exec python3 ${CHARM}`,
  ].join('\n');
  const result = await execa('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', script], {
    env: { ...pods.env, JUJU_UNIT_NAME: `${pod.app}/0`, JUJU_MODEL_NAME: NAMESPACE, PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
    extendEnv: false,
    reject: false,
    timeout: 30_000,
  });
  if (result.exitCode !== 0) throw new Error(`client charm exited ${result.exitCode}: ${result.stderr}`);
  return JSON.parse(result.stdout) as CharmRun;
}

/** What the charm read of its own Pod and Node is the pod the sandbox runs, on the sandbox's node. */
function expectOwnPodAndNode(run: CharmRun, pod: Pod): void {
  expect(run.namespace).toBe(NAMESPACE);
  expect(run.pod.status).toBe(200);
  expect(run.pod.body.metadata.name).toBe(pod.name);
  expect(run.pod.body.status.podIP).toBe(pod.ip);
  expect(run.pod.body.spec.nodeName).toBe(NODE);
  expect(run.pod.body.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'StatefulSet', name: pod.app, controller: true })]);
  expect(run.node?.status).toBe(200);
  expect(run.node?.body.kind).toBe('Node');
  expect(run.node?.body.metadata.name).toBe(NODE);
  expect(run.node?.body.status.addresses).toContainEqual({ type: 'InternalIP', address: '192.0.2.1' });
}

describe('a client charm reading its Pod and Node through the Kubernetes stand-in', () => {
  it('the service account is where a pod finds it', () => {
    expect(SERVICE_ACCOUNT_DIR).toBe('/var/run/secrets/kubernetes.io/serviceaccount');
    expect(pods.env).toEqual({ KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(api.port) });
  });

  it('without trust: reads its own Pod and the Node with its token; its Service is 403 Forbidden with RBAC\'s message', async () => {
    const pod = await deploy('pgbouncer-k8s', false, '10.213.7.10');
    const run = await runCharm(pod);
    expectOwnPodAndNode(run, pod);
    expect(run.apply?.status).toBe(403);
    expect(run.apply?.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403 });
    expect(run.apply?.body.message).toContain('User "system:serviceaccount:dev:pgbouncer-k8s" cannot patch resource "services"');
    expect(api.store.exists('services', NAMESPACE, 'pgbouncer-k8s-service')).toBe(false);

    // `juju trust pgbouncer-k8s --scope=cluster`: the same pod, the same token, now allowed.
    model.trustChanged('pgbouncer-k8s', true);
    const trusted = await runCharm(pod);
    expectOwnPodAndNode(trusted, pod);
    expect(trusted.apply?.status).toBe(201);
  });

  it('with trust: reads its own Pod and the Node; the Service it applies is stored, owned like the Pod, and served on its pod', async () => {
    const pod = await deploy('pgbouncer-trusted', true, '10.213.7.11');
    const run = await runCharm(pod);
    expectOwnPodAndNode(run, pod);
    expect(run.apply?.status).toBe(201);
    expect(run.service?.status).toBe(200);
    const service = run.service!.body;
    expect(service.metadata.ownerReferences).toEqual(run.pod.body.metadata.ownerReferences);
    expect(service.spec).toMatchObject({ type: 'ClusterIP', selector: { 'app.kubernetes.io/name': 'pgbouncer-trusted' } });
    expect(service.spec.clusterIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

    // Served: the endpoints controller lists the pod behind it, and cluster DNS (the pods'
    // /etc/hosts) resolves its names to the pod.
    const endpoints = api.store.get('endpoints', NAMESPACE, 'pgbouncer-trusted-service');
    expect(endpoints['subsets']).toEqual([
      {
        addresses: [expect.objectContaining({ ip: pod.ip, targetRef: expect.objectContaining({ kind: 'Pod', name: pod.name }) })],
        ports: [{ name: 'pgbouncer', port: 6432, protocol: 'TCP' }],
      },
    ]);
    expect(api.serviceAddresses('pgbouncer-trusted-service')).toEqual([pod.ip]);
    await dns.refresh();
    const hosts = await readFile(hostsFile(stateDir), 'utf8');
    expect(hosts.split('\n').find((line) => line.includes(`pgbouncer-trusted-service.${NAMESPACE}.svc.cluster.local`))?.split(/\s+/)[0]).toBe(pod.ip);

    // The charm's next hook applies the same Service again: unchanged, 200.
    const again = await runCharm(pod);
    expect(again.apply?.status).toBe(200);
    expect(again.apply?.body.metadata.resourceVersion).toBe(service.metadata.resourceVersion);
  });
});
