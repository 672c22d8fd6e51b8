import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KubernetesClient, KubernetesForbiddenError, KubernetesObjects } from '../../../src/k8s/index.ts';
import { forbidden, notFound, startFakeApiServer, type FakeApiServer } from './fake-api-server.ts';

const APP = 'postgresql-k8s';
const NS = 'test';
const CORE = `/api/v1/namespaces/${NS}`;
const STATEFULSET_OWNER = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  name: APP,
  uid: '5d1c3f7e-2a9b-4c11-9f0e-7b6a5c4d3e2f',
  controller: true,
  blockOwnerDeletion: true,
};

let api: FakeApiServer;
let objects: KubernetesObjects;

beforeAll(async () => {
  api = await startFakeApiServer();
  const client = new KubernetesClient({ apiUrl: api.url, token: 't0ken', caPem: api.tls.caPem, namespace: NS });
  objects = new KubernetesObjects(client, { app: APP });
});

afterAll(async () => {
  await api?.close();
});

beforeEach(() => {
  api.seen.length = 0;
  api.routes.clear();
});

const requests = () => api.seen.map((r) => `${r.method} ${r.path}`);

describe('ensureRoleServices', () => {
  it('applies both services owned like pod <app>-0, with force and the app as field manager', async () => {
    api.routes.set(`GET ${CORE}/pods/${APP}-0`, {
      status: 200,
      json: { kind: 'Pod', metadata: { name: `${APP}-0`, ownerReferences: [STATEFULSET_OWNER] } },
    });
    const applied = (request: { body: unknown }) => ({ status: 200, json: request.body });
    api.routes.set(`PATCH ${CORE}/services/${APP}-primary`, applied);
    api.routes.set(`PATCH ${CORE}/services/${APP}-replicas`, applied);

    await objects.ensureRoleServices();

    expect(requests()).toEqual([`GET ${CORE}/pods/${APP}-0`, `PATCH ${CORE}/services/${APP}-primary`, `PATCH ${CORE}/services/${APP}-replicas`]);
    for (const [index, role] of [[1, 'primary'], [2, 'replica']] as const) {
      const seen = api.seen[index]!;
      expect(seen.contentType).toBe('application/apply-patch+yaml');
      expect(Object.fromEntries(seen.query)).toEqual({ fieldManager: APP, force: 'true' });
      expect(seen.body).toEqual({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {
          name: role === 'primary' ? `${APP}-primary` : `${APP}-replicas`,
          namespace: NS,
          ownerReferences: [STATEFULSET_OWNER],
          labels: { 'app.kubernetes.io/name': APP },
        },
        spec: {
          ports: [
            { name: 'api', port: 8008, targetPort: 8008 },
            { name: 'database', port: 5432, targetPort: 5432 },
          ],
          selector: { 'app.kubernetes.io/name': APP, 'cluster-name': `patroni-${APP}`, role },
        },
      });
    }
  });

  it('stops at a 403 so the charm can ask for juju trust', async () => {
    api.routes.set(`GET ${CORE}/pods/${APP}-0`, forbidden(`pods "${APP}-0"`));
    const error = await objects.ensureRoleServices().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubernetesForbiddenError);
    expect(requests()).toEqual([`GET ${CORE}/pods/${APP}-0`]);
  });
});

describe('patchPodLabels', () => {
  it('merge-patches the Patroni member labels onto the pod', async () => {
    api.routes.set(`PATCH ${CORE}/pods/${APP}-1`, { status: 200, json: { metadata: { name: `${APP}-1` } } });
    await objects.patchPodLabels(`${APP}-1`);
    expect(api.seen[0]).toMatchObject({
      method: 'PATCH',
      contentType: 'application/merge-patch+json',
      body: { metadata: { labels: { application: 'patroni', 'cluster-name': `patroni-${APP}` } } },
    });
  });
});

describe('deletePatroniDcsObjects', () => {
  it('deletes the Endpoints and Services Patroni made, skipping missing ones', async () => {
    const ok = { status: 200, json: { kind: 'Status', status: 'Success', metadata: {} } };
    api.routes.set(`DELETE ${CORE}/endpoints/patroni-${APP}`, ok);
    api.routes.set(`DELETE ${CORE}/services/patroni-${APP}`, ok);
    api.routes.set(`DELETE ${CORE}/endpoints/patroni-${APP}-config`, ok);
    // Everything else answers 404 NotFound.
    expect(await objects.deletePatroniDcsObjects()).toEqual([
      `Endpoints/patroni-${APP}`,
      `Service/patroni-${APP}`,
      `Endpoints/patroni-${APP}-config`,
    ]);
    expect(requests()).toHaveLength(6);
    expect(requests().every((r) => r.startsWith('DELETE '))).toBe(true);
  });

  it('can target only the restore set, and a 403 propagates', async () => {
    await objects.deletePatroniDcsObjects({ names: [`patroni-${APP}`], kinds: ['Endpoints'] });
    expect(requests()).toEqual([`DELETE ${CORE}/endpoints/patroni-${APP}`]);

    api.routes.set(`DELETE ${CORE}/endpoints/patroni-${APP}`, forbidden(`endpoints "patroni-${APP}"`, 'delete'));
    await expect(objects.deletePatroniDcsObjects()).rejects.toMatchObject({ code: 'k8s-forbidden' });
  });
});

describe('fixLeaderAnnotation', () => {
  const path = `${CORE}/endpoints/patroni-${APP}`;

  it('leaves a present annotation alone', async () => {
    api.routes.set(`GET ${path}`, { status: 200, json: { metadata: { name: `patroni-${APP}`, annotations: { leader: `${APP}-1` } } } });
    expect(await objects.fixLeaderAnnotation(`${APP}-0`)).toBe('present');
    expect(requests()).toEqual([`GET ${path}`]);
  });

  it('restores a missing leader annotation, only if the Endpoints are still the version it read', async () => {
    api.routes.set(`GET ${path}`, { status: 200, json: { metadata: { name: `patroni-${APP}`, resourceVersion: '41', annotations: { other: 'x' } } } });
    api.routes.set(`PATCH ${path}`, { status: 200, json: { metadata: { name: `patroni-${APP}` } } });
    expect(await objects.fixLeaderAnnotation(`${APP}-0`)).toBe('patched');
    expect(api.seen[1]).toMatchObject({
      contentType: 'application/merge-patch+json',
      body: { metadata: { annotations: { leader: `${APP}-0` }, resourceVersion: '41' } },
    });
  });

  it("leaves Patroni's lock alone when it wrote the Endpoints in between (409)", async () => {
    api.routes.set(`GET ${path}`, { status: 200, json: { metadata: { name: `patroni-${APP}`, resourceVersion: '41' } } });
    api.routes.set(`PATCH ${path}`, {
      status: 409,
      json: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Conflict', code: 409, message: `Operation cannot be fulfilled on endpoints "patroni-${APP}": the object has been modified` },
    });
    expect(await objects.fixLeaderAnnotation(`${APP}-0`)).toBe('present');
  });

  it('ignores Endpoints that do not exist yet and propagates a 403', async () => {
    api.routes.set(`GET ${path}`, notFound('endpoints', `patroni-${APP}`));
    expect(await objects.fixLeaderAnnotation(`${APP}-0`)).toBe('absent');
    api.routes.set(`GET ${path}`, forbidden(`endpoints "patroni-${APP}"`));
    await expect(objects.fixLeaderAnnotation(`${APP}-0`)).rejects.toBeInstanceOf(KubernetesForbiddenError);
  });
});

describe('adoptCreatedObjects', () => {
  const list = (items: Record<string, Array<{ name: string; owned?: boolean }>>) => (request: { query: URLSearchParams }) => ({
    status: 200,
    json: {
      kind: 'List',
      items: (items[request.query.get('labelSelector') ?? ''] ?? []).map(({ name, owned }) => ({
        metadata: { name, ...(owned ? { ownerReferences: [STATEFULSET_OWNER] } : {}) },
      })),
    },
  });
  const byJuju = `app.juju.is/created-by=${APP}`;
  const byPatroni = `application=patroni,cluster-name=patroni-${APP}`;

  it('gives unowned Juju and Patroni objects pod-0 owners, once each, and carries on past a failure', async () => {
    api.routes.set(`GET ${CORE}/pods/${APP}-0`, { status: 200, json: { metadata: { name: `${APP}-0`, ownerReferences: [STATEFULSET_OWNER] } } });
    api.routes.set(`GET ${CORE}/endpoints`, list({
      [byJuju]: [{ name: APP }],
      [byPatroni]: [{ name: `patroni-${APP}` }, { name: `patroni-${APP}-config`, owned: true }],
    }));
    api.routes.set(`GET ${CORE}/services`, list({
      [byJuju]: [{ name: APP }, { name: `${APP}-endpoints` }, { name: `${APP}-primary` }, { name: `patroni-${APP}` }],
      [byPatroni]: [{ name: `patroni-${APP}` }],
    }));
    const ok = { status: 200, json: { metadata: { name: 'patched', ownerReferences: [STATEFULSET_OWNER] } } };
    api.routes.set(`PATCH ${CORE}/endpoints/${APP}`, ok);
    api.routes.set(`PATCH ${CORE}/endpoints/patroni-${APP}`, { status: 500, json: { kind: 'Status', code: 500, message: 'etcdserver: timeout' } });
    api.routes.set(`PATCH ${CORE}/services/patroni-${APP}`, ok);

    expect(await objects.adoptCreatedObjects()).toEqual({
      adopted: [`Endpoints/${APP}`, `Service/patroni-${APP}`],
      failed: [`Endpoints/patroni-${APP}`],
    });
    const patches = api.seen.filter((r) => r.method === 'PATCH');
    expect(patches.map((r) => r.path)).toEqual([`${CORE}/endpoints/${APP}`, `${CORE}/endpoints/patroni-${APP}`, `${CORE}/services/patroni-${APP}`]);
    for (const patch of patches) {
      expect(patch.contentType).toBe('application/merge-patch+json');
      expect(patch.body).toEqual({ metadata: { ownerReferences: [STATEFULSET_OWNER] } });
    }
  });

  it('stops at the first 403', async () => {
    api.routes.set(`GET ${CORE}/pods/${APP}-0`, { status: 200, json: { metadata: { name: `${APP}-0`, ownerReferences: [STATEFULSET_OWNER] } } });
    api.routes.set(`GET ${CORE}/endpoints`, forbidden('endpoints', 'list'));
    await expect(objects.adoptCreatedObjects()).rejects.toBeInstanceOf(KubernetesForbiddenError);
    expect(requests()).toHaveLength(2);
  });
});
