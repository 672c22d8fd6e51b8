import 'reflect-metadata';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KubeApiServer } from '../../../sandbox/k8s/index.ts';
import { call, startApi, watch, type Answer } from './helpers.ts';

const NS = '/api/v1/namespaces/dev';

function configMap(name: string, data: Record<string, string> = {}, labels: Record<string, string> = {}) {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data };
}

describe('Kubernetes API stand-in: REST verbs and Status errors', () => {
  let api: KubeApiServer;
  beforeEach(async () => {
    api = await startApi();
  });
  afterEach(async () => {
    await api.close();
  });

  it('create answers 201 with uid, creationTimestamp and a numeric resourceVersion; a second create is 409 AlreadyExists', async () => {
    const created = await call(api, 'POST', `${NS}/configmaps`, { body: configMap('a', { k: 'v' }) });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'a', namespace: 'dev' }, data: { k: 'v' } });
    expect(created.body.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.body.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(created.body.metadata.resourceVersion).toMatch(/^\d+$/);

    const again = await call(api, 'POST', `${NS}/configmaps`, { body: configMap('a') });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'configmaps "a" already exists',
      reason: 'AlreadyExists',
      details: { name: 'a', kind: 'configmaps' },
      code: 409,
    });
  });

  it('get answers the object, or 404 NotFound with the Status Kubernetes sends', async () => {
    await call(api, 'POST', `${NS}/configmaps`, { body: configMap('a') });
    expect((await call(api, 'GET', `${NS}/configmaps/a`)).body.metadata.name).toBe('a');
    const missing = await call(api, 'GET', `${NS}/endpoints/nope`);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'endpoints "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', kind: 'endpoints' },
      code: 404,
    });
  });

  it('creating in a namespace that does not exist is 404 for the namespace', async () => {
    const answer = await call(api, 'POST', '/api/v1/namespaces/nowhere/configmaps', { body: configMap('a') });
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ reason: 'NotFound', message: 'namespaces "nowhere" not found', details: { name: 'nowhere', kind: 'namespaces' } });
  });

  it('an invalid name is 422 Invalid, with the Kind in details and a cause per field', async () => {
    const answer = await call(api, 'POST', `${NS}/configmaps`, { body: configMap('Bad_Name') });
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Invalid',
      code: 422,
      details: { name: 'Bad_Name', kind: 'ConfigMap', causes: [{ reason: 'FieldValueInvalid', field: 'metadata.name' }] },
    });
    expect(answer.body.message).toMatch(/^ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
  });

  it('a body that is not JSON, or of another kind, is 400 BadRequest', async () => {
    const garbage = await call(api, 'POST', `${NS}/configmaps`, { raw: '{nope' });
    expect(garbage.status).toBe(400);
    expect(garbage.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'BadRequest', code: 400 });
    const wrongKind = await call(api, 'POST', `${NS}/configmaps`, { body: { kind: 'Service', metadata: { name: 'x' } } });
    expect(wrongKind.body).toMatchObject({ reason: 'BadRequest', code: 400 });
  });

  it('list answers kind XList with metadata.resourceVersion, filtered by labelSelector and fieldSelector', async () => {
    await call(api, 'POST', `${NS}/configmaps`, { body: configMap('a', {}, { app: 'pg', role: 'master' }) });
    await call(api, 'POST', `${NS}/configmaps`, { body: configMap('b', {}, { app: 'pg', role: 'replica' }) });
    await call(api, 'POST', `${NS}/configmaps`, { body: configMap('c', {}, { app: 'other' }) });
    const names = async (query: string) =>
      ((await call(api, 'GET', `${NS}/configmaps${query}`)).body.items as Array<{ metadata: { name: string } }>).map((i) => i.metadata.name);

    const all = await call(api, 'GET', `${NS}/configmaps`);
    expect(all.body).toMatchObject({ kind: 'ConfigMapList', apiVersion: 'v1' });
    expect(all.body.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(all.body.items[0]).not.toHaveProperty('kind');
    expect(await names('')).toEqual(['a', 'b', 'c']);
    expect(await names('?labelSelector=app%3Dpg')).toEqual(['a', 'b']);
    expect(await names('?labelSelector=app%3Dpg,role!%3Dmaster')).toEqual(['b']);
    expect(await names(`?labelSelector=${encodeURIComponent('role in (master,replica)')}`)).toEqual(['a', 'b']);
    expect(await names(`?labelSelector=${encodeURIComponent('app notin (pg)')}`)).toEqual(['c']);
    expect(await names('?labelSelector=role')).toEqual(['a', 'b']);
    expect(await names('?labelSelector=!role')).toEqual(['c']);
    expect(await names('?fieldSelector=metadata.name%3Db')).toEqual(['b']);
    // All namespaces.
    expect((await call(api, 'GET', '/api/v1/configmaps')).body.items).toHaveLength(3);
  });

  it('PUT replaces; two updates from the same resourceVersion: the second is 409 Conflict', async () => {
    const created = (await call(api, 'POST', `${NS}/configmaps`, { body: configMap('a', { v: '0' }) })).body;
    const first = await call(api, 'PUT', `${NS}/configmaps/a`, { body: { ...created, data: { v: '1' } } });
    expect(first.status).toBe(200);
    expect(first.body.data).toEqual({ v: '1' });
    expect(Number(first.body.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));
    expect(first.body.metadata.uid).toBe(created.metadata.uid);

    const second = await call(api, 'PUT', `${NS}/configmaps/a`, { body: { ...created, data: { v: '2' } } });
    expect(second.status).toBe(409);
    expect(second.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Operation cannot be fulfilled on configmaps "a": the object has been modified; please apply your changes to the latest version and try again',
      reason: 'Conflict',
      details: { name: 'a', kind: 'configmaps' },
      code: 409,
    });
    // Without a resourceVersion, an update is unconditional.
    const { resourceVersion: _rv, ...metadata } = created.metadata;
    expect((await call(api, 'PUT', `${NS}/configmaps/a`, { body: { ...created, metadata, data: { v: '3' } } })).status).toBe(200);
    // PUT of a missing configmap is 404; of missing endpoints it creates them (201).
    expect((await call(api, 'PUT', `${NS}/configmaps/zz`, { body: configMap('zz') })).status).toBe(404);
    expect((await call(api, 'PUT', `${NS}/endpoints/zz`, { body: { metadata: { name: 'zz' } } })).status).toBe(201);
  });

  it('strategic merge patch as Patroni sends it: labels and annotations merge, null deletes, resourceVersion is a precondition', async () => {
    api.registerPod({ name: 'pg-0', ip: '10.1.0.10', app: 'pg', labels: { application: 'patroni' } });
    const patch = { metadata: { namespace: 'dev', name: 'pg-0', labels: { role: 'master' }, annotations: { status: '{"state":"running"}' } } };
    const answer = await call(api, 'PATCH', `${NS}/pods/pg-0`, { body: patch, contentType: 'application/strategic-merge-patch+json' });
    expect(answer.status).toBe(200);
    expect(answer.body.metadata.labels).toEqual({ 'app.kubernetes.io/name': 'pg', application: 'patroni', role: 'master' });
    expect(answer.body.metadata.annotations).toEqual({ status: '{"state":"running"}' });
    expect(answer.body.status.podIP).toBe('10.1.0.10');

    const cleared = await call(api, 'PATCH', `${NS}/pods/pg-0`, { body: { metadata: { labels: { role: null } } }, contentType: 'application/strategic-merge-patch+json' });
    expect(cleared.body.metadata.labels).not.toHaveProperty('role');

    await call(api, 'POST', `${NS}/endpoints`, { body: { metadata: { name: 'patroni-pg', annotations: { leader: 'pg-0' } } } });
    const current = (await call(api, 'GET', `${NS}/endpoints/patroni-pg`)).body;
    const guarded = { metadata: { resourceVersion: current.metadata.resourceVersion, annotations: { leader: 'pg-1' } }, subsets: [] };
    expect((await call(api, 'PATCH', `${NS}/endpoints/patroni-pg`, { body: guarded, contentType: 'application/strategic-merge-patch+json' })).status).toBe(200);
    const stale = await call(api, 'PATCH', `${NS}/endpoints/patroni-pg`, { body: guarded, contentType: 'application/strategic-merge-patch+json' });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ reason: 'Conflict', details: { name: 'patroni-pg', kind: 'endpoints' } });
  });

  it('merge patch replaces lists (ownerReferences); a patch of a missing object is 404; an unknown patch type is 415', async () => {
    await call(api, 'POST', `${NS}/services`, { body: { metadata: { name: 's', ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: '1' }] } } });
    const owners = [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'pg', uid: '2' }];
    const patched = await call(api, 'PATCH', `${NS}/services/s`, { body: { metadata: { ownerReferences: owners } }, contentType: 'application/merge-patch+json' });
    expect(patched.body.metadata.ownerReferences).toEqual(owners);
    expect((await call(api, 'PATCH', `${NS}/services/none`, { body: {}, contentType: 'application/merge-patch+json' })).status).toBe(404);
    const jsonPatch = await call(api, 'PATCH', `${NS}/services/s`, { body: [], contentType: 'application/json-patch+json' });
    expect(jsonPatch.status).toBe(415);
    expect(jsonPatch.body).toMatchObject({ kind: 'Status', reason: 'UnsupportedMediaType', code: 415 });
  });

  it('server-side apply creates (201), updates (200), needs a fieldManager, and conflicts without force', async () => {
    const service = (targetPort: number) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'pg-primary', namespace: 'dev', labels: { 'app.kubernetes.io/name': 'pg' } },
      spec: { ports: [{ name: 'database', port: 5432, targetPort }], selector: { role: 'primary' } },
    });
    const apply = (query: string, body: unknown) =>
      call(api, 'PATCH', `${NS}/services/pg-primary${query}`, { raw: JSON.stringify(body), contentType: 'application/apply-patch+yaml' });
    expect((await apply('', service(5432))).body).toMatchObject({ reason: 'BadRequest', code: 400 });
    const created = await apply('?fieldManager=pg&force=true', service(5432));
    expect(created.status).toBe(201);
    expect(created.body.spec).toMatchObject({ type: 'ClusterIP', clusterIP: expect.stringMatching(/^10\.152\.183\.\d+$/), ports: [{ name: 'database', port: 5432, targetPort: 5432, protocol: 'TCP' }] });
    const again = await apply('?fieldManager=pg&force=true', service(5432));
    expect(again.status).toBe(200);
    expect(again.body.metadata.resourceVersion).toBe(created.body.metadata.resourceVersion);
    expect(again.body.spec.clusterIP).toBe(created.body.spec.clusterIP);
    const conflicting = await apply('?fieldManager=someone', service(6432));
    expect(conflicting.status).toBe(409);
    expect(conflicting.body.message).toBe('Apply failed with 1 conflict: conflict with "pg": .spec.ports[port=5432].targetPort');
    expect((await apply('?fieldManager=someone&force=true', service(6432))).body.spec.ports[0].targetPort).toBe(6432);
    // YAML bodies too.
    const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\ndata:\n  a: "1"\n';
    const fromYaml = await call(api, 'PATCH', `${NS}/configmaps/y?fieldManager=m`, { raw: yaml, contentType: 'application/apply-patch+yaml' });
    expect(fromYaml.status).toBe(201);
    expect(fromYaml.body.data).toEqual({ a: '1' });
  });

  it('delete answers a Success Status (the object for pods), then 404; deletecollection honours the selector', async () => {
    const created = (await call(api, 'POST', `${NS}/services`, { body: { metadata: { name: 's' } } })).body;
    const deleted = await call(api, 'DELETE', `${NS}/services/s`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ kind: 'Service', metadata: { name: 's', uid: created.metadata.uid } });
    await call(api, 'POST', `${NS}/configmaps`, { body: configMap('cm') });
    expect((await call(api, 'DELETE', `${NS}/configmaps/cm`)).body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name: 'cm', kind: 'configmaps', uid: expect.any(String) },
      code: 200,
    });
    expect((await call(api, 'DELETE', `${NS}/services/s`)).body).toMatchObject({ reason: 'NotFound', message: 'services "s" not found', code: 404 });

    await call(api, 'POST', `${NS}/endpoints`, { body: { metadata: { name: 'patroni-pg', labels: { 'cluster-name': 'patroni-pg' } } } });
    await call(api, 'POST', `${NS}/endpoints`, { body: { metadata: { name: 'patroni-pg-config', labels: { 'cluster-name': 'patroni-pg' } } } });
    await call(api, 'POST', `${NS}/endpoints`, { body: { metadata: { name: 'keep' } } });
    const collection = await call(api, 'DELETE', `${NS}/endpoints?labelSelector=cluster-name%3Dpatroni-pg`);
    expect(collection.body.kind).toBe('EndpointsList');
    expect(collection.body.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['patroni-pg', 'patroni-pg-config']);
    expect((await call(api, 'GET', `${NS}/endpoints`)).body.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['keep']);
  });

  it('delete with a stale resourceVersion precondition is 409', async () => {
    await call(api, 'POST', `${NS}/configmaps`, { body: configMap('cm') });
    const answer = await call(api, 'DELETE', `${NS}/configmaps/cm`, { body: { preconditions: { resourceVersion: '1' } } });
    expect(answer.status).toBe(409);
    expect(answer.body.message).toMatch(/^Operation cannot be fulfilled on configmaps "cm": Precondition failed: ResourceVersion in precondition: 1/);
  });

  it('serves discovery, version and health; an unknown path is a 404 Status', async () => {
    expect((await call(api, 'GET', '/version', { token: null })).body).toMatchObject({ major: '1', gitVersion: expect.any(String) });
    expect((await call(api, 'GET', '/healthz', { token: null })).body).toBe('ok');
    expect((await call(api, 'GET', '/api')).body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    expect((await call(api, 'GET', '/apis')).body).toMatchObject({ kind: 'APIGroupList', groups: [] });
    const resources = (await call(api, 'GET', '/api/v1')).body;
    expect(resources.kind).toBe('APIResourceList');
    expect(resources.resources.map((r: { name: string }) => r.name).sort()).toEqual(['configmaps', 'endpoints', 'namespaces', 'nodes', 'pods', 'services']);
    expect((await call(api, 'GET', '/apis/apps/v1/namespaces/dev/statefulsets/pg')).body).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
    expect((await call(api, 'GET', '/api/v1/namespaces/dev/widgets')).status).toBe(404);
  });

  it('has the default namespaces, the kubernetes Service and its Endpoints naming this server', async () => {
    const namespaces = (await call(api, 'GET', '/api/v1/namespaces')).body.items.map((i: { metadata: { name: string } }) => i.metadata.name);
    expect(namespaces).toEqual(expect.arrayContaining(['default', 'kube-system', 'dev']));
    const endpoints = (await call(api, 'GET', '/api/v1/namespaces/default/endpoints/kubernetes')).body;
    expect(endpoints.subsets).toEqual([{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: api.port, protocol: 'TCP' }] }]);
  });

  it('runs the endpoints controller: a Service with a selector gets Endpoints of the ready pods that match', async () => {
    api.registerPod({ name: 'pg-0', ip: '10.1.0.10', app: 'pg', labels: { role: 'master' } });
    api.registerPod({ name: 'pg-1', ip: '10.1.0.11', app: 'pg', labels: { role: 'replica' } });
    await call(api, 'POST', `${NS}/services`, {
      body: { metadata: { name: 'pg-primary' }, spec: { selector: { 'app.kubernetes.io/name': 'pg', role: 'master' }, ports: [{ name: 'database', port: 5432 }] } },
    });
    expect(api.serviceAddresses('pg-primary')).toEqual(['10.1.0.10']);
    await call(api, 'PATCH', `${NS}/pods/pg-0`, { body: { metadata: { labels: { role: 'replica' } } }, contentType: 'application/merge-patch+json' });
    await call(api, 'PATCH', `${NS}/pods/pg-1`, { body: { metadata: { labels: { role: 'master' } } }, contentType: 'application/merge-patch+json' });
    expect(api.serviceAddresses('pg-primary')).toEqual(['10.1.0.11']);
    const endpoints = (await call(api, 'GET', `${NS}/endpoints/pg-primary`)).body;
    expect(endpoints.subsets[0].ports).toEqual([{ name: 'database', port: 5432, protocol: 'TCP' }]);
    expect(endpoints.subsets[0].addresses[0]).toMatchObject({ ip: '10.1.0.11', targetRef: { kind: 'Pod', name: 'pg-1' } });
    await call(api, 'DELETE', `${NS}/services/pg-primary`);
    expect((await call(api, 'GET', `${NS}/endpoints/pg-primary`)).status).toBe(404);
  });

  it("registerApplication makes Juju's two Services; the headless one lists every pod, ready or not", async () => {
    api.registerApplication('pg');
    api.registerApplication('pg');
    api.registerPod({ name: 'pg-0', ip: '10.1.0.10', app: 'pg' });
    api.registerPod({ name: 'pg-1', ip: '10.1.0.11', app: 'pg', ready: false });
    const headless = (await call(api, 'GET', `${NS}/services/pg-endpoints`)).body;
    expect(headless.spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true, selector: { 'app.kubernetes.io/name': 'pg' } });
    expect(api.serviceAddresses('pg-endpoints').sort()).toEqual(['10.1.0.10', '10.1.0.11']);
    expect(api.serviceAddresses('pg')).toEqual(['10.1.0.10']);
    expect((await call(api, 'GET', `${NS}/services/pg`)).body.spec.ports).toEqual([{ name: 'placeholder', port: 65535, targetPort: 65535, protocol: 'TCP' }]);
  });

  it('registerPod keeps the labels and annotations others set when the pod is registered again', async () => {
    api.registerPod({ name: 'pg-0', ip: '10.1.0.10', app: 'pg' });
    await call(api, 'PATCH', `${NS}/pods/pg-0`, { body: { metadata: { labels: { role: 'master' }, annotations: { status: '{}' } } }, contentType: 'application/strategic-merge-patch+json' });
    const pod = api.registerPod({ name: 'pg-0', ip: '10.1.0.20', app: 'pg' });
    expect(pod['metadata']).toMatchObject({ labels: { role: 'master', 'app.kubernetes.io/name': 'pg' }, annotations: { status: '{}' } });
    expect(pod['status']).toMatchObject({ podIP: '10.1.0.20' });
    expect((pod['metadata'] as { ownerReferences: unknown[] }).ownerReferences).toEqual([expect.objectContaining({ kind: 'StatefulSet', name: 'pg', controller: true })]);
    expect((await call(api, 'GET', '/api/v1/nodes/sandbox')).status).toBe(200);
  });
});

describe('Kubernetes API stand-in: authentication and RBAC', () => {
  let api: KubeApiServer;
  beforeAll(async () => {
    api = await startApi();
    api.registerPod({ name: 'pg-0', ip: '10.1.0.10', app: 'pg' });
  });
  afterAll(async () => {
    await api.close();
  });

  it('401 Unauthorized without a token or with an unknown one', async () => {
    for (const token of [null, 'not-a-token']) {
      const answer = await call(api, 'GET', `${NS}/pods`, { token });
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    }
  });

  it('an untrusted application reads pods and nodes, and is 403 Forbidden for the rest, with RBAC’s message', async () => {
    const token = api.tokenFor('pg');
    expect(api.tokenFor('pg')).toBe(token);
    expect((await call(api, 'GET', `${NS}/pods/pg-0`, { token })).status).toBe(200);
    expect((await call(api, 'GET', `${NS}/pods`, { token })).status).toBe(200);
    expect((await call(api, 'GET', '/api/v1/nodes/sandbox', { token })).status).toBe(200);

    const patch = await call(api, 'PATCH', `${NS}/pods/pg-0`, { token, body: { metadata: { labels: { a: 'b' } } }, contentType: 'application/merge-patch+json' });
    expect(patch.status).toBe(403);
    expect(patch.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods "pg-0" is forbidden: User "system:serviceaccount:dev:pg" cannot patch resource "pods" in API group "" in the namespace "dev"',
      reason: 'Forbidden',
      details: { name: 'pg-0', kind: 'pods' },
      code: 403,
    });
    const list = await call(api, 'GET', `${NS}/endpoints`, { token });
    expect(list.body.message).toBe('endpoints is forbidden: User "system:serviceaccount:dev:pg" cannot list resource "endpoints" in API group "" in the namespace "dev"');
    expect(list.body.details).toEqual({ kind: 'endpoints' });
    const create = await call(api, 'POST', `${NS}/services`, { token, body: { metadata: { name: 's' } } });
    expect(create.body.message).toBe('services is forbidden: User "system:serviceaccount:dev:pg" cannot create resource "services" in API group "" in the namespace "dev"');
    const other = await call(api, 'GET', '/api/v1/namespaces/default/pods', { token });
    expect(other.status).toBe(403);
    const node = await call(api, 'DELETE', '/api/v1/nodes/sandbox', { token });
    expect(node.body.message).toBe('nodes "sandbox" is forbidden: User "system:serviceaccount:dev:pg" cannot delete resource "nodes" in API group "" at the cluster scope');
  });

  it('trust(app) allows everything; untrust(app) takes it back', async () => {
    const token = api.tokenFor('pg');
    api.trust('pg');
    expect((await call(api, 'POST', `${NS}/services`, { token, body: { metadata: { name: 's' } } })).status).toBe(201);
    expect((await call(api, 'GET', `${NS}/endpoints`, { token })).status).toBe(200);
    api.untrust('pg');
    expect((await call(api, 'DELETE', `${NS}/services/s`, { token })).status).toBe(403);
  });
});

describe('Kubernetes API stand-in: watches', () => {
  let api: KubeApiServer;
  beforeEach(async () => {
    api = await startApi({ historySize: 5 });
  });
  afterEach(async () => {
    await api.close();
  });

  it('without a resourceVersion: ADDED for what exists, then ADDED/MODIFIED/DELETED as it changes', async () => {
    await call(api, 'POST', `${NS}/configmaps`, { body: configMap('a') });
    const stream = await watch(api, `${NS}/configmaps?watch=true`);
    expect(stream.status).toBe(200);
    await stream.next(1);
    await call(api, 'POST', `${NS}/configmaps`, { body: configMap('b') });
    await call(api, 'PATCH', `${NS}/configmaps/b`, { body: { data: { x: '1' } }, contentType: 'application/merge-patch+json' });
    await call(api, 'DELETE', `${NS}/configmaps/a`);
    const events = await stream.next(4);
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED a', 'ADDED b', 'MODIFIED b', 'DELETED a']);
    expect(events[2]!.object).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1', data: { x: '1' } });
    const versions = events.slice(1).map((e) => Number(e.object.metadata.resourceVersion));
    expect(versions).toEqual([...versions].sort((x, y) => x - y));
    stream.close();
  });

  it("from a list's resourceVersion, as Patroni's ObjectCache does (watch=True, labelSelector): only later changes, selector transitions as ADDED/DELETED", async () => {
    api.registerPod({ name: 'pg-0', ip: '10.1.0.10', app: 'pg', labels: { application: 'patroni' } });
    const list = (await call(api, 'GET', `${NS}/pods?labelSelector=application%3Dpatroni`)).body;
    const stream = await watch(api, `${NS}/pods?watch=True&labelSelector=application%3Dpatroni&resourceVersion=${list.metadata.resourceVersion}`);
    api.registerPod({ name: 'pg-1', ip: '10.1.0.11', app: 'pg' });
    await call(api, 'PATCH', `${NS}/pods/pg-1`, { body: { metadata: { labels: { application: 'patroni' } } }, contentType: 'application/strategic-merge-patch+json' });
    await call(api, 'PATCH', `${NS}/pods/pg-0`, { body: { metadata: { labels: { role: 'master' } } }, contentType: 'application/strategic-merge-patch+json' });
    await call(api, 'PATCH', `${NS}/pods/pg-0`, { body: { metadata: { labels: { application: null } } }, contentType: 'application/strategic-merge-patch+json' });
    const events = await stream.next(3);
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED pg-1', 'MODIFIED pg-0', 'DELETED pg-0']);
    stream.close();
  });

  it('watch=1 on one object by fieldSelector, ended by timeoutSeconds', async () => {
    await call(api, 'POST', `${NS}/configmaps`, { body: configMap('a') });
    await call(api, 'POST', `${NS}/configmaps`, { body: configMap('b') });
    const stream = await watch(api, `${NS}/configmaps?watch=1&fieldSelector=metadata.name%3Db&timeoutSeconds=1`);
    await stream.ended;
    expect(stream.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED b']);
  });

  it('a resourceVersion older than the history is a 410 Expired ERROR event with a Status', async () => {
    for (let i = 0; i < 8; i++) await call(api, 'POST', `${NS}/configmaps`, { body: configMap(`c${i}`) });
    const stream = await watch(api, `${NS}/configmaps?watch=true&resourceVersion=1`);
    await stream.ended;
    expect(stream.status).toBe(200);
    expect(stream.events).toHaveLength(1);
    expect(stream.events[0]).toEqual({
      type: 'ERROR',
      object: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: expect.stringMatching(/^too old resource version: 1 \(\d+\)$/),
        reason: 'Expired',
        code: 410,
      },
    });
  });

  it('sends BOOKMARK events when asked to', async () => {
    await api.close();
    api = await startApi({ bookmarkIntervalMs: 50 });
    const stream = await watch(api, `${NS}/configmaps?watch=true&allowWatchBookmarks=true&resourceVersion=${api.store.resourceVersion}`);
    const [event] = await stream.next(1);
    expect(event).toEqual({ type: 'BOOKMARK', object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: String(api.store.resourceVersion) } } });
    stream.close();
  });

  it('a watch ends on the server when its client goes away', async () => {
    const stream = await watch(api, `${NS}/configmaps?watch=true`);
    expect(api.activeWatches).toBe(1);
    stream.close();
    for (let i = 0; i < 50 && api.activeWatches > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(api.activeWatches).toBe(0);
  });

  it('an untrusted watch of endpoints is 403 before any event', async () => {
    const answer = await call(api, 'GET', `${NS}/endpoints?watch=true`, { token: api.tokenFor('pg') });
    expect(answer.status).toBe(403);
    expect(answer.body.message).toContain('cannot watch resource "endpoints"');
  });
});

describe('Kubernetes API stand-in: TLS, service-account files and persistence', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'k8s-standin-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serves a certificate signed by its CA, with IP and DNS SANs for its addresses and kubernetes.default.svc', async () => {
    const api = await startApi({ advertise: ['127.0.0.1', '10.213.0.1'] });
    try {
      const cert = new x509.X509Certificate(api.tls.certPem);
      const san = cert.getExtension(x509.SubjectAlternativeNameExtension)!;
      const names = san.names.toJSON().map((n) => `${n.type}:${n.value}`);
      expect(names).toEqual(expect.arrayContaining(['ip:127.0.0.1', 'ip:10.213.0.1', 'dns:kubernetes.default.svc', 'dns:kubernetes.default.svc.cluster.local']));
      expect(await cert.verify({ publicKey: new x509.X509Certificate(api.caPem).publicKey })).toBe(true);
      expect(api.serviceEnv()).toEqual({ KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(api.port), KUBERNETES_SERVICE_PORT_HTTPS: String(api.port) });
    } finally {
      await api.close();
    }
  });

  it('writes token, ca.crt and namespace for a pod; keeps objects, tokens, trust and the CA across a restart', async () => {
    const stateDir = path.join(dir, 'state');
    const first = await startApi({ stateDir });
    const saDir = path.join(dir, 'sa');
    await first.writeServiceAccount(saDir, 'pg');
    expect(await readFile(path.join(saDir, 'token'), 'utf8')).toBe(first.tokenFor('pg'));
    expect(await readFile(path.join(saDir, 'ca.crt'), 'utf8')).toBe(first.caPem);
    expect(await readFile(path.join(saDir, 'namespace'), 'utf8')).toBe('dev');
    first.trust('pg');
    await call(first, 'POST', `${NS}/configmaps`, { body: configMap('kept', { a: '1' }) });
    const rv = first.store.resourceVersion;
    await first.close();

    const second = await startApi({ stateDir });
    try {
      expect(second.caPem).toBe(first.caPem);
      const token = await readFile(path.join(saDir, 'token'), 'utf8');
      const kept = await call(second, 'GET', `${NS}/configmaps/kept`, { token });
      expect(kept.status).toBe(200);
      expect(kept.body.data).toEqual({ a: '1' });
      expect(second.store.resourceVersion).toBeGreaterThanOrEqual(rv);
      // A watch from before the restart cannot be resumed: 410, and the client lists again.
      const stream = await watch(second, `${NS}/configmaps?watch=true&resourceVersion=${rv - 1}`, token);
      await stream.ended;
      expect(stream.events[0]).toMatchObject({ type: 'ERROR', object: { code: 410 } });
    } finally {
      await second.close();
    }
  });

  it('a write is on disk before it is acknowledged: a stand-in killed right after restarts with it, and never hands out its resourceVersion again', async () => {
    // Patroni's leader lock is a compare-and-swap on the leader Endpoints' resourceVersion. Were
    // an acknowledged write lost in a crash, the restarted stand-in would give the next write
    // the same resourceVersion, and the member holding the lost one would win a swap against an
    // object it never saw: two members would each think they hold the lock.
    const stateDir = path.join(dir, 'crash');
    const api = await startApi({ stateDir });
    // Timers frozen: nothing the server schedules runs between the answer and the "crash".
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let copy: string;
    let acquired: Answer;
    try {
      await call(api, 'POST', `${NS}/endpoints`, { body: { metadata: { name: 'patroni-pg', annotations: { leader: 'pg-0' } } } });
      const held = await call(api, 'GET', `${NS}/endpoints/patroni-pg`);
      acquired = await call(api, 'PATCH', `${NS}/endpoints/patroni-pg`, {
        body: { metadata: { resourceVersion: held.body.metadata.resourceVersion, annotations: { leader: 'pg-1' } } },
        contentType: 'application/merge-patch+json',
      });
      expect(acquired.status).toBe(200);
      // SIGKILL now: what is on disk is all a new stand-in has.
      copy = path.join(dir, 'crash-copy');
      await cp(stateDir, copy, { recursive: true });
    } finally {
      vi.useRealTimers();
      await api.close();
    }
    const restarted = await startApi({ stateDir: copy });
    try {
      const lock = await call(restarted, 'GET', `${NS}/endpoints/patroni-pg`);
      expect(lock.body.metadata.annotations).toEqual({ leader: 'pg-1' });
      expect(lock.body.metadata.resourceVersion).toBe(acquired.body.metadata.resourceVersion);
      const renewed = await call(restarted, 'PATCH', `${NS}/endpoints/patroni-pg`, {
        body: { metadata: { resourceVersion: acquired.body.metadata.resourceVersion, annotations: { renewTime: 'now' } } },
        contentType: 'application/merge-patch+json',
      });
      expect(renewed.status).toBe(200);
      expect(Number(renewed.body.metadata.resourceVersion)).toBeGreaterThan(Number(acquired.body.metadata.resourceVersion));
    } finally {
      await restarted.close();
    }
  });
});
