import { describe, expect, it } from 'vitest';
import {
  adoptionSelectors,
  leaderAnnotationPatch,
  needsAdoption,
  patroniDcsObjectNames,
  podLabelPatch,
  restoreDeletedEndpoints,
  roleServices,
  statefulSetPartitionPatch,
  type OwnerReference,
} from '../../../src/workload/index.ts';

const owners: OwnerReference[] = [
  { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'postgresql-k8s', uid: 'uid-1', controller: true, blockOwnerDeletion: true },
];

describe('Kubernetes objects (reference: src/charm.py _create_services, _patch_pod_labels)', () => {
  it('builds the primary and replicas services', () => {
    const service = (name: string, role: string) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: 'dev', ownerReferences: owners, labels: { 'app.kubernetes.io/name': 'postgresql-k8s' } },
      spec: {
        ports: [
          { name: 'api', port: 8008, targetPort: 8008 },
          { name: 'database', port: 5432, targetPort: 5432 },
        ],
        selector: { 'app.kubernetes.io/name': 'postgresql-k8s', 'cluster-name': 'patroni-postgresql-k8s', role },
      },
    });
    expect(roleServices('postgresql-k8s', 'dev', owners)).toEqual([
      service('postgresql-k8s-primary', 'primary'),
      service('postgresql-k8s-replicas', 'replica'),
    ]);
  });

  it('builds the patches', () => {
    expect(podLabelPatch('postgresql-k8s')).toEqual({
      metadata: { labels: { application: 'patroni', 'cluster-name': 'patroni-postgresql-k8s' } },
    });
    expect(leaderAnnotationPatch('postgresql-k8s-0')).toEqual({ metadata: { annotations: { leader: 'postgresql-k8s-0' } } });
    expect(statefulSetPartitionPatch(2)).toEqual({ spec: { updateStrategy: { rollingUpdate: { partition: 2 } } } });
  });

  it("names Patroni's DCS objects", () => {
    expect(patroniDcsObjectNames('pg')).toEqual(['patroni-pg', 'patroni-pg-config', 'patroni-pg-sync']);
    expect(restoreDeletedEndpoints('pg')).toEqual(['patroni-pg', 'patroni-pg-config']);
  });

  it('hands the right objects to the StatefulSet on stop', () => {
    expect(adoptionSelectors('pg')).toEqual([{ 'app.juju.is/created-by': 'pg' }, { application: 'patroni', 'cluster-name': 'patroni-pg' }]);
    for (const name of ['pg', 'pg-endpoints', 'pg-primary', 'pg-replicas']) {
      expect(needsAdoption('pg', { kind: 'Service', name }, owners), name).toBe(false);
    }
    expect(needsAdoption('pg', { kind: 'Endpoints', name: 'pg-primary' }, owners)).toBe(true);
    expect(needsAdoption('pg', { kind: 'Service', name: 'patroni-pg-config' }, owners)).toBe(true);
    expect(needsAdoption('pg', { kind: 'Endpoints', name: 'patroni-pg', ownerReferences: owners }, owners)).toBe(false);
    expect(needsAdoption('pg', { kind: 'Endpoints', name: 'patroni-pg', ownerReferences: [{ ...owners[0]!, uid: 'other' }] }, owners)).toBe(true);
  });
});
