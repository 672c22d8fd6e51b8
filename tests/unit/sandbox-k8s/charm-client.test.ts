import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logging.ts';
import { kubernetesObjectsForCharm } from '../../../src/k8s/charm-objects.ts';
import { KubernetesClient, KubernetesForbiddenError, KubernetesNotFoundError, KubernetesObjects, KubernetesUnauthorizedError } from '../../../src/k8s/index.ts';
import { patroniDcsObjectNames } from '../../../src/workload/k8s-objects.ts';
import type { KubeApiServer } from '../../../sandbox/k8s/index.ts';
import { statefulSetOwner } from '../../../sandbox/k8s/index.ts';
import { call, startApi } from './helpers.ts';

/*
 * The charm's own Kubernetes client (src/k8s/) against the stand-in, making the requests the
 * charm makes: the pod label merge patch, server-side apply of the role Services (force, field
 * manager <app>, owner references from pod <app>-0), deletes of Patroni's stale objects, the
 * leader annotation repair and the adoption on stop.
 */

const APP = 'postgresql-k8s';
const NS = 'dev';
const silent = createLogger({ level: 'silent' });

let api: KubeApiServer;
let dir: string;

function clientFor(app = APP): KubernetesClient {
  return new KubernetesClient({ apiUrl: api.url, token: api.tokenFor(app), caPem: api.caPem, namespace: NS }, { logger: silent });
}

function objectsFor(app = APP): KubernetesObjects {
  return new KubernetesObjects(clientFor(app), { app, logger: silent });
}

beforeAll(async () => {
  api = await startApi({ namespace: NS });
  dir = await mkdtemp(path.join(os.tmpdir(), 'k8s-standin-charm-'));
});

afterAll(async () => {
  await api.close();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  api.untrust(APP);
  for (const i of [0, 1]) api.registerPod({ name: `${APP}-${i}`, ip: `10.1.0.${10 + i}`, app: APP, containers: ['charm', 'postgresql'] });
});

describe("the charm's Kubernetes client against the stand-in", () => {
  it('without juju trust: reads its pod, and the label patch is a KubernetesForbiddenError', async () => {
    const client = clientFor();
    expect((await client.get('Pod', `${APP}-0`)).metadata.name).toBe(`${APP}-0`);
    expect((await client.getNode('sandbox')).metadata.name).toBe('sandbox');
    const error = await objectsFor().patchPodLabels(`${APP}-0`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KubernetesForbiddenError);
    expect((error as KubernetesForbiddenError).reason).toBe('Forbidden');
  });

  it("kubernetesObjectsForCharm turns the 403 into the reference's Blocked outcome, reading the service-account files", async () => {
    const saDir = path.join(dir, 'serviceaccount');
    await api.writeServiceAccount(saDir, APP);
    const objects = kubernetesObjectsForCharm(
      { app: APP, model: NS, logger: silent, dcs: { kind: 'kubernetes', namespace: NS, labels: {}, leaderLabelValue: 'primary', useEndpoints: true } },
      { apiUrl: api.url, tokenPath: path.join(saDir, 'token'), caPath: path.join(saDir, 'ca.crt'), namespacePath: path.join(saDir, 'namespace') },
    );
    const outcome = await objects.patchPodLabels(`${APP}/0`);
    expect(outcome).toMatchObject({ kind: 'forbidden' });
    api.trust(APP);
    expect(await objects.patchPodLabels(`${APP}/0`)).toEqual({ kind: 'done' });
  });

  it('a wrong token is a KubernetesUnauthorizedError', async () => {
    const client = new KubernetesClient({ apiUrl: api.url, token: 'stolen', caPem: api.caPem, namespace: NS }, { logger: silent });
    await expect(client.get('Pod', `${APP}-0`)).rejects.toBeInstanceOf(KubernetesUnauthorizedError);
  });

  it('with trust: patches the pod labels Patroni selects its members by', async () => {
    api.trust(APP);
    await objectsFor().patchPodLabels(`${APP}-1`);
    const pod = api.store.get('pods', NS, `${APP}-1`);
    expect((pod['metadata'] as { labels: Record<string, string> }).labels).toEqual({
      'app.kubernetes.io/name': APP,
      application: 'patroni',
      'cluster-name': `patroni-${APP}`,
    });
  });

  it('applies the role Services owned like pod <app>-0, idempotently, and repairs a hand-edited one', async () => {
    api.trust(APP);
    const objects = objectsFor();
    expect(await objects.statefulSetOwnerReferences()).toEqual([statefulSetOwner(NS, APP)]);
    await objects.ensureRoleServices();
    const primary = api.store.get('services', NS, `${APP}-primary`);
    expect(primary['metadata']).toMatchObject({ labels: { 'app.kubernetes.io/name': APP }, ownerReferences: [statefulSetOwner(NS, APP)] });
    expect(primary['spec']).toMatchObject({
      selector: { 'app.kubernetes.io/name': APP, 'cluster-name': `patroni-${APP}`, role: 'primary' },
      ports: [
        { name: 'api', port: 8008, targetPort: 8008, protocol: 'TCP' },
        { name: 'database', port: 5432, targetPort: 5432, protocol: 'TCP' },
      ],
    });
    expect(api.store.exists('services', NS, `${APP}-replicas`)).toBe(true);
    const version = (primary['metadata'] as { resourceVersion: string }).resourceVersion;

    await objects.ensureRoleServices();
    expect((api.store.get('services', NS, `${APP}-primary`)['metadata'] as { resourceVersion: string }).resourceVersion).toBe(version);

    // Someone edits the selector by hand; the next reconcile's forced apply puts it back.
    await call(api, 'PATCH', `/api/v1/namespaces/${NS}/services/${APP}-primary`, {
      body: { spec: { selector: { role: 'master' } } },
      contentType: 'application/merge-patch+json',
    });
    await objects.ensureRoleServices();
    expect((api.store.get('services', NS, `${APP}-primary`)['spec'] as { selector: Record<string, string> }).selector.role).toBe('primary');
  });

  it('the role Services get Endpoints of the pods Patroni labels with the role', async () => {
    api.trust(APP);
    const objects = objectsFor();
    for (const i of [0, 1]) await objects.patchPodLabels(`${APP}-${i}`);
    await objects.ensureRoleServices();
    // What Patroni's touch_member sends (role label + status annotation), as strategic merge patches.
    const patroni = (pod: string, role: string) =>
      call(api, 'PATCH', `/api/v1/namespaces/${NS}/pods/${pod}`, {
        token: api.tokenFor(APP),
        body: { metadata: { namespace: NS, name: pod, labels: { role }, annotations: { status: `{"role":"${role}"}` } } },
        contentType: 'application/strategic-merge-patch+json',
      });
    await patroni(`${APP}-0`, 'primary');
    await patroni(`${APP}-1`, 'replica');
    expect(api.serviceAddresses(`${APP}-primary`)).toEqual(['10.1.0.10']);
    expect(api.serviceAddresses(`${APP}-replicas`)).toEqual(['10.1.0.11']);
  });

  it("deletes Patroni's stale Endpoints and Services, missing ones being fine", async () => {
    api.trust(APP);
    const client = clientFor();
    const [lock, config] = patroniDcsObjectNames(APP) as [string, string, string];
    await client.create('Endpoints', { kind: 'Endpoints', metadata: { name: lock } });
    await client.create('Endpoints', { kind: 'Endpoints', metadata: { name: config } });
    await client.create('Service', { kind: 'Service', metadata: { name: config } });
    const deleted = await objectsFor().deletePatroniDcsObjects();
    expect(deleted.sort()).toEqual([`Endpoints/${lock}`, `Endpoints/${config}`, `Service/${config}`].sort());
    expect(await objectsFor().deletePatroniDcsObjects()).toEqual([]);
    await expect(client.get('Endpoints', lock)).rejects.toBeInstanceOf(KubernetesNotFoundError);
  });

  it('restores a stripped leader annotation on Endpoints patroni-<app>', async () => {
    api.trust(APP);
    const objects = objectsFor();
    expect(await objects.fixLeaderAnnotation(`${APP}-0`)).toBe('absent');
    await clientFor().create('Endpoints', { kind: 'Endpoints', metadata: { name: `patroni-${APP}` } });
    expect(await objects.fixLeaderAnnotation(`${APP}-0`)).toBe('patched');
    expect(await objects.fixLeaderAnnotation(`${APP}-0`)).toBe('present');
    expect((api.store.get('endpoints', NS, `patroni-${APP}`)['metadata'] as { annotations: Record<string, string> }).annotations).toEqual({
      leader: `${APP}-0`,
    });
  });

  it("on stop, gives Patroni's and Juju's Endpoints and Services pod-0's owner references", async () => {
    api.trust(APP);
    const client = clientFor();
    // Bodies with labels (a KubeManifest passes other fields through).
    const sync = { kind: 'Endpoints', metadata: { name: `patroni-${APP}-sync`, labels: { application: 'patroni', 'cluster-name': `patroni-${APP}` } } };
    const headless = { kind: 'Service', metadata: { name: `${APP}-endpoints`, labels: { 'app.juju.is/created-by': APP } } };
    await client.create('Endpoints', sync);
    await client.create('Service', headless);
    const result = await objectsFor().adoptCreatedObjects();
    expect(result.failed).toEqual([]);
    expect(result.adopted).toContain(`Endpoints/patroni-${APP}-sync`);
    expect(result.adopted).not.toContain(`Service/${APP}-endpoints`);
    const adopted = api.store.get('endpoints', NS, `patroni-${APP}-sync`);
    expect((adopted['metadata'] as { ownerReferences: unknown[] }).ownerReferences).toEqual([statefulSetOwner(NS, APP)]);
    expect(await objectsFor().adoptCreatedObjects()).toMatchObject({ failed: [] });
  });
});
