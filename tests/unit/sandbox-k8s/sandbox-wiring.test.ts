import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeApiServer } from '../../../sandbox/k8s/index.ts';
import { MERGE_PATCH } from '../../../sandbox/k8s/index.ts';
import { KubeModelCluster, serviceHostsEntries, serviceViews } from '../../../sandbox/runtime/kubernetes.ts';
import { call, startApi } from './helpers.ts';

// How the sandbox wires the stand-in in (sandbox/runtime/kubernetes.ts): Services as cluster DNS
// lines in the pods' /etc/hosts and as status rows, and juju trust as the stand-in's RBAC.

describe('the sandbox side of the Kubernetes stand-in', () => {
  let api: KubeApiServer;
  beforeEach(async () => {
    api = await startApi();
    api.registerApplication('pg');
    api.registerPod({ name: 'pg-0', ip: '10.213.9.10', app: 'pg' });
    api.registerPod({ name: 'pg-1', ip: '10.213.9.11', app: 'pg' });
    api.store.create('services', 'dev', {
      metadata: { name: 'pg-primary' },
      spec: { selector: { 'app.kubernetes.io/name': 'pg', role: 'master' }, ports: [{ name: 'database', port: 5432 }] },
    });
  });
  afterEach(async () => {
    await api.close();
  });

  it('names the API server and every Service with a selector after the pods it selects, as cluster DNS does', () => {
    const lines = (entries: ReturnType<typeof serviceHostsEntries>) => entries.map((e) => `${e.ip} ${e.names.join(' ')}`);
    expect(lines(serviceHostsEntries(api, '10.213.9.1'))).toEqual([
      '10.213.9.1 kubernetes.default.svc kubernetes.default.svc.cluster.local kubernetes.default',
      '10.213.9.10 pg pg.dev pg.dev.svc pg.dev.svc.cluster.local',
      '10.213.9.11 pg pg.dev pg.dev.svc pg.dev.svc.cluster.local',
      '10.213.9.10 pg-endpoints pg-endpoints.dev pg-endpoints.dev.svc pg-endpoints.dev.svc.cluster.local',
      '10.213.9.11 pg-endpoints pg-endpoints.dev pg-endpoints.dev.svc pg-endpoints.dev.svc.cluster.local',
    ]);
    // Patroni labels its leader: the primary Service's name now resolves to that pod alone.
    api.store.patch('pods', 'dev', 'pg-1', MERGE_PATCH, { metadata: { labels: { role: 'master' } } });
    expect(lines(serviceHostsEntries(api, '10.213.9.1'))).toContain('10.213.9.11 pg-primary pg-primary.dev pg-primary.dev.svc pg-primary.dev.svc.cluster.local');
    api.store.patch('pods', 'dev', 'pg-1', MERGE_PATCH, { metadata: { labels: { role: 'replica' } } });
    api.store.patch('pods', 'dev', 'pg-0', MERGE_PATCH, { metadata: { labels: { role: 'master' } } });
    const after = lines(serviceHostsEntries(api, '10.213.9.1')).filter((l) => l.includes('pg-primary'));
    expect(after).toEqual(['10.213.9.10 pg-primary pg-primary.dev pg-primary.dev.svc pg-primary.dev.svc.cluster.local']);
  });

  it('shows each Service with its type, selector and the pods behind it', () => {
    api.store.patch('pods', 'dev', 'pg-0', MERGE_PATCH, { metadata: { labels: { role: 'master' } } });
    const views = Object.fromEntries(serviceViews(api).map((v) => [v.name, v]));
    expect(Object.keys(views)).toEqual(['pg', 'pg-endpoints', 'pg-primary']);
    expect(views['pg-endpoints']).toMatchObject({ type: 'Headless', clusterIP: 'None', selector: { 'app.kubernetes.io/name': 'pg' } });
    expect(views['pg-primary']).toMatchObject({ type: 'ClusterIP', ports: ['5432/tcp'], endpoints: [{ pod: 'pg-0', ip: '10.213.9.10' }] });
    expect(views['pg']!.endpoints.map((e) => e.pod)).toEqual(['pg-0', 'pg-1']);
  });

  it('gives an application the whole API only once trusted, as juju trust --scope=cluster', async () => {
    const cluster = new KubeModelCluster(api);
    cluster.applicationDeployed('pg', false);
    const token = api.tokenFor('pg');
    const patch = () => call(api, 'PATCH', '/api/v1/namespaces/dev/pods/pg-0', { token, contentType: MERGE_PATCH, body: { metadata: { labels: { application: 'patroni' } } } });
    expect((await patch()).status).toBe(403);
    cluster.trustChanged('pg', true);
    expect((await patch()).status).toBe(200);
    cluster.trustChanged('pg', false);
    expect((await patch()).status).toBe(403);
  });
});
