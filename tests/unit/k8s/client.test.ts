import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  KubernetesClient,
  KubernetesConflictError,
  KubernetesForbiddenError,
  KubernetesNotFoundError,
  loadInClusterConfig,
  type KubernetesConnection,
} from '../../../src/k8s/index.ts';
import { makeTestTls } from '../../support/patroni-tls.ts';
import { alreadyExists, forbidden, notFound, startFakeApiServer, statusBody, type FakeApiServer } from './fake-api-server.ts';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.test-token';
let api: FakeApiServer;

function connection(overrides: Partial<KubernetesConnection> = {}): KubernetesConnection {
  return { apiUrl: api.url, token: TOKEN, caPem: api.tls.caPem, namespace: 'test', ...overrides };
}

beforeAll(async () => {
  api = await startFakeApiServer();
});

afterAll(async () => {
  await api?.close();
});

beforeEach(() => {
  api.seen.length = 0;
  api.routes.clear();
});

describe('loadInClusterConfig', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sa-'));
    await writeFile(join(dir, 'token'), `${TOKEN}\n`);
    await writeFile(join(dir, 'ca.crt'), 'CA PEM\n');
    await writeFile(join(dir, 'namespace'), 'my-model');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const paths = () => ({ tokenPath: join(dir, 'token'), caPath: join(dir, 'ca.crt'), namespacePath: join(dir, 'namespace') });

  it('reads the service account and builds the API URL from the environment', async () => {
    const env = { KUBERNETES_SERVICE_HOST: '10.152.183.1', KUBERNETES_SERVICE_PORT: '443' };
    expect(await loadInClusterConfig({ env, ...paths() })).toEqual({
      apiUrl: 'https://10.152.183.1:443',
      token: TOKEN,
      caPem: 'CA PEM',
      namespace: 'my-model',
    });
  });

  it('brackets an IPv6 API host and honours overrides', async () => {
    const env = { KUBERNETES_SERVICE_HOST: 'fd00:10:152::1', KUBERNETES_SERVICE_PORT: '6443' };
    expect((await loadInClusterConfig({ env, ...paths() })).apiUrl).toBe('https://[fd00:10:152::1]:6443');
    const overridden = await loadInClusterConfig({ env: {}, ...paths(), apiUrl: 'https://127.0.0.1:1/', namespace: 'other' });
    expect(overridden).toMatchObject({ apiUrl: 'https://127.0.0.1:1', namespace: 'other' });
  });

  it('says what is missing outside a pod', async () => {
    await expect(loadInClusterConfig({ env: {}, ...paths() })).rejects.toMatchObject({
      code: 'k8s-not-configured',
      message: expect.stringContaining('KUBERNETES_SERVICE_HOST'),
    });
    const env = { KUBERNETES_SERVICE_HOST: '10.0.0.1' };
    await expect(loadInClusterConfig({ env, ...paths(), tokenPath: join(dir, 'absent') })).rejects.toMatchObject({
      code: 'k8s-not-configured',
      message: `cannot read the service-account token at ${join(dir, 'absent')}`,
    });
    await expect(loadInClusterConfig({ env: { ...env, KUBERNETES_SERVICE_PORT: 'https' }, ...paths() })).rejects.toMatchObject({
      code: 'k8s-not-configured',
    });
  });
});

describe('KubernetesClient requests', () => {
  it('GETs an object with the bearer token, over TLS verified against the CA', async () => {
    api.routes.set('GET /api/v1/namespaces/test/pods/postgresql-k8s-0', {
      status: 200,
      json: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'postgresql-k8s-0', labels: { role: 'primary' } }, spec: { x: 1 } },
    });
    const pod = await new KubernetesClient(connection()).get('Pod', 'postgresql-k8s-0');
    expect(pod.metadata.labels).toEqual({ role: 'primary' });
    expect(pod['spec']).toEqual({ x: 1 });
    expect(api.seen).toHaveLength(1);
    expect(api.seen[0]).toMatchObject({ method: 'GET', authorization: `Bearer ${TOKEN}`, accept: 'application/json', body: undefined });
  });

  it('gets a Node at the cluster-scoped path', async () => {
    api.routes.set('GET /api/v1/nodes/node-a', { status: 200, json: { kind: 'Node', metadata: { name: 'node-a' } } });
    expect((await new KubernetesClient(connection()).getNode('node-a')).metadata.name).toBe('node-a');
  });

  it('lists by label selector and fills in each item kind', async () => {
    api.routes.set('GET /api/v1/namespaces/other/endpoints', {
      status: 200,
      json: { kind: 'EndpointsList', apiVersion: 'v1', metadata: {}, items: [{ metadata: { name: 'patroni-pg' } }] },
    });
    const items = await new KubernetesClient(connection()).list('Endpoints', {
      namespace: 'other',
      labels: { application: 'patroni', 'cluster-name': 'patroni-pg' },
    });
    expect(items).toEqual([{ metadata: { name: 'patroni-pg' }, kind: 'Endpoints', apiVersion: 'v1' }]);
    expect(api.seen[0]!.query.get('labelSelector')).toBe('application=patroni,cluster-name=patroni-pg');
  });

  it('creates with POST and maps 409 AlreadyExists to k8s-conflict', async () => {
    api.routes.set('POST /api/v1/namespaces/test/services', alreadyExists('services', 'svc'));
    const error = await new KubernetesClient(connection())
      .create('Service', { kind: 'Service', metadata: { name: 'svc' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubernetesConflictError);
    expect(error).toMatchObject({
      code: 'k8s-conflict',
      status: 409,
      reason: 'AlreadyExists',
      request: 'POST /api/v1/namespaces/test/services',
      message: 'POST /api/v1/namespaces/test/services answered 409 AlreadyExists: services "svc" already exists',
    });
    expect(api.seen[0]).toMatchObject({
      contentType: 'application/json',
      body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc' } },
    });
  });

  it('merge-patches with application/merge-patch+json', async () => {
    api.routes.set('PATCH /api/v1/namespaces/test/pods/pg-1', { status: 200, json: { metadata: { name: 'pg-1' } } });
    await new KubernetesClient(connection()).mergePatch('Pod', 'pg-1', { metadata: { labels: { a: 'b' } } });
    expect(api.seen[0]).toMatchObject({
      method: 'PATCH',
      contentType: 'application/merge-patch+json',
      body: { metadata: { labels: { a: 'b' } } },
    });
    expect([...api.seen[0]!.query]).toEqual([]);
  });

  it('server-side applies with apply-patch+yaml, the field manager and force', async () => {
    api.routes.set('PATCH /apis/apps/v1/namespaces/ns2/statefulsets/pg', { status: 200, json: { metadata: { name: 'pg' } } });
    await new KubernetesClient(connection()).apply(
      { kind: 'StatefulSet', metadata: { name: 'pg', namespace: 'ns2' } },
      { fieldManager: 'postgresql-k8s', force: true },
    );
    const seen = api.seen[0]!;
    expect(seen.contentType).toBe('application/apply-patch+yaml');
    expect(Object.fromEntries(seen.query)).toEqual({ fieldManager: 'postgresql-k8s', force: 'true' });
    expect(seen.body).toEqual({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'pg', namespace: 'ns2' } });

    api.routes.set('PATCH /api/v1/namespaces/test/services/s', { status: 200, json: { metadata: { name: 's' } } });
    await new KubernetesClient(connection()).apply({ kind: 'Service', metadata: { name: 's' } }, { fieldManager: 'm' });
    expect(Object.fromEntries(api.seen[1]!.query)).toEqual({ fieldManager: 'm' });
  });

  it('deletes, and maps 404 NotFound, 403 Forbidden, 401 and other statuses', async () => {
    const client = new KubernetesClient(connection());
    api.routes.set('DELETE /api/v1/namespaces/test/endpoints/gone', { status: 200, json: statusBody(200, '', 'ok') });
    await client.delete('Endpoints', 'gone');
    expect(api.seen[0]!.method).toBe('DELETE');

    api.routes.set('DELETE /api/v1/namespaces/test/endpoints/absent', notFound('endpoints', 'absent'));
    const missing = await client.delete('Endpoints', 'absent').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(KubernetesNotFoundError);
    expect(missing).toMatchObject({ code: 'k8s-not-found', status: 404, reason: 'NotFound' });

    api.routes.set('GET /api/v1/namespaces/test/services/s', forbidden('services "s"'));
    const denied = await client.get('Service', 's').catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(KubernetesForbiddenError);
    expect(denied).toMatchObject({ code: 'k8s-forbidden', status: 403, reason: 'Forbidden' });
    expect((denied as Error).message).toContain('cannot get resource "services"');

    api.routes.set('GET /api/v1/namespaces/test/services/t', { status: 401, json: statusBody(401, 'Unauthorized', 'Unauthorized') });
    await expect(client.get('Service', 't')).rejects.toMatchObject({ code: 'k8s-unauthorized', status: 401 });
    api.routes.set('GET /api/v1/namespaces/test/services/u', { status: 500, text: 'boom' });
    await expect(client.get('Service', 'u')).rejects.toMatchObject({ code: 'k8s-api-error', status: 500, reason: undefined });
  });

  it('refuses a 200 answer that is not a Kubernetes object', async () => {
    api.routes.set('GET /api/v1/namespaces/test/pods/p', { status: 200, text: '<html>proxy</html>' });
    await expect(new KubernetesClient(connection()).get('Pod', 'p')).rejects.toMatchObject({ code: 'k8s-bad-response' });
    api.routes.set('GET /api/v1/namespaces/test/pods/q', { status: 200, json: { kind: 'Pod' } });
    await expect(new KubernetesClient(connection()).get('Pod', 'q')).rejects.toMatchObject({ code: 'k8s-bad-response' });
  });

  it('rejects names that would change the path', async () => {
    await expect(new KubernetesClient(connection()).get('Pod', '../secrets')).rejects.toThrow(TypeError);
    expect(api.seen).toHaveLength(0);
  });
});

describe('KubernetesClient without an answer', () => {
  it('fails TLS verification against another CA, before sending anything', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'other-ca-'));
    try {
      const other = await makeTestTls(dir, 'other');
      const error = await new KubernetesClient(connection({ caPem: other.caPem })).get('Pod', 'p').catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'k8s-unreachable', why: 'tls' });
      expect(api.seen).toHaveLength(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('times out a request that gets no answer', async () => {
    api.routes.set('GET /api/v1/namespaces/test/pods/slow', { status: 200, hang: true });
    const started = Date.now();
    const error = await new KubernetesClient(connection(), { timeoutMs: 300 }).get('Pod', 'slow').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'k8s-unreachable', why: 'timeout', request: 'GET /api/v1/namespaces/test/pods/slow' });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('reports a refused connection', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });
    await expect(new KubernetesClient(connection({ apiUrl: `https://127.0.0.1:${port}` })).get('Pod', 'p')).rejects.toMatchObject({
      code: 'k8s-unreachable',
      why: 'refused',
    });
  });
});
