import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { kubernetesObjectsForCharm } from '../../../src/k8s/charm-objects.ts';
import { createLogger } from '../../../src/logging.ts';
import { selectDcs } from '../../../src/workload/dcs.ts';
import { forbidden, startFakeApiServer, type FakeApiServer } from './fake-api-server.ts';

const APP = 'postgresql-k8s';
const CORE = '/api/v1/namespaces/test';
const logger = createLogger({ level: 'silent' });
const onKubernetes = selectDcs({ KUBERNETES_SERVICE_HOST: '10.152.183.1' }, { app: APP, model: 'test' });

let api: FakeApiServer;
let dir: string;

beforeAll(async () => {
  api = await startFakeApiServer();
  dir = await mkdtemp(join(tmpdir(), 'sa-'));
  await writeFile(join(dir, 'token'), 'sa-token\n');
  await writeFile(join(dir, 'ca.crt'), api.tls.caPem);
  await writeFile(join(dir, 'namespace'), 'test');
});

afterAll(async () => {
  await api?.close();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  api.seen.length = 0;
  api.routes.clear();
});

function objects(overrides: { tokenPath?: string } = {}) {
  return kubernetesObjectsForCharm(
    { app: APP, model: 'test', dcs: onKubernetes, logger },
    { apiUrl: api.url, tokenPath: join(dir, 'token'), caPath: join(dir, 'ca.crt'), namespacePath: join(dir, 'namespace'), ...overrides },
  );
}

describe('kubernetesObjectsForCharm', () => {
  it('does nothing without the Kubernetes DCS', async () => {
    const etcd = selectDcs({ POSTGRESQL_DCS_ETCD_HOSTS: '127.0.0.1:2379' }, { app: APP, model: 'test' });
    const none = kubernetesObjectsForCharm({ app: APP, model: 'test', dcs: etcd, logger });
    expect(none.onKubernetes).toBe(false);
    expect(await none.ensureRoleServices()).toEqual({ kind: 'done' });
  });

  it('labels the unit pod with the service account token', async () => {
    api.routes.set(`PATCH ${CORE}/pods/${APP}-1`, { status: 200, json: { metadata: { name: `${APP}-1` } } });
    expect(await objects().patchPodLabels(`${APP}/1`)).toEqual({ kind: 'done' });
    expect(api.seen[0]).toMatchObject({ authorization: 'Bearer sa-token', contentType: 'application/merge-patch+json' });
  });

  it('turns a 403 into the juju trust message', async () => {
    api.routes.set(`GET ${CORE}/pods/${APP}-0`, forbidden(`pods "${APP}-0"`));
    expect(await objects().ensureRoleServices()).toEqual({
      kind: 'forbidden',
      message: 'Insufficient permissions, try: `juju trust postgresql-k8s --scope=cluster`',
    });
  });

  it('reports other failures, including missing credentials, as failed', async () => {
    api.routes.set(`DELETE ${CORE}/endpoints/patroni-${APP}`, { status: 500, json: { kind: 'Status', code: 500, message: 'etcd down' } });
    expect(await objects().deleteStalePatroniObjects()).toMatchObject({
      kind: 'failed',
      message: `DELETE ${CORE}/endpoints/patroni-${APP} answered 500: etcd down`,
    });
    expect(await objects({ tokenPath: join(dir, 'absent') }).patchPodLabels(`${APP}/0`)).toMatchObject({
      kind: 'failed',
      message: `cannot read the service-account token at ${join(dir, 'absent')}`,
    });
  });

  it('reports the objects it could not adopt', async () => {
    const owner = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: APP, uid: 'u-1' };
    api.routes.set(`GET ${CORE}/pods/${APP}-0`, { status: 200, json: { metadata: { name: `${APP}-0`, ownerReferences: [owner] } } });
    api.routes.set(`GET ${CORE}/endpoints`, { status: 200, json: { items: [{ metadata: { name: `patroni-${APP}` } }] } });
    api.routes.set(`GET ${CORE}/services`, { status: 200, json: { items: [] } });
    api.routes.set(`PATCH ${CORE}/endpoints/patroni-${APP}`, { status: 422, json: { kind: 'Status', code: 422, reason: 'Invalid', message: 'bad' } });
    expect(await objects().adoptCreatedObjects()).toEqual({ kind: 'failed', message: `failed to patch k8s Endpoints/patroni-${APP}` });
  });
});
