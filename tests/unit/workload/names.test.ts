import { describe, expect, it } from 'vitest';
import {
  clusterName,
  headlessServiceName,
  InvalidUnitNameError,
  memberEndpoint,
  memberFqdn,
  parseUnitName,
  podName,
  primaryEndpoint,
  replicasEndpoint,
  stanzaName,
  unitNameFromPod,
} from '../../../src/workload/index.ts';
import { thrown } from './thrown.ts';

describe('derived names (reference: src/charm.py, src/utils.py label2name)', () => {
  it('turns a unit name into its pod name and back, splitting on the last dash', () => {
    expect(podName('postgresql-k8s/0')).toBe('postgresql-k8s-0');
    expect(podName('pg/12')).toBe('pg-12');
    expect(unitNameFromPod('postgresql-k8s-0')).toBe('postgresql-k8s/0');
    expect(unitNameFromPod('my-app-2-3')).toBe('my-app-2/3');
    expect(parseUnitName('postgresql-k8s/7')).toEqual({ app: 'postgresql-k8s', number: 7 });
  });

  it('rejects names that are not <app>/<n> or <app>-<n> with a typed error', () => {
    for (const bad of ['postgresql-k8s', 'pg/', '/0', 'pg/x', 'PG/0', 'pg/0/1']) {
      expect(() => podName(bad)).toThrow(InvalidUnitNameError);
    }
    expect(() => unitNameFromPod('postgresql-k8s')).toThrow(InvalidUnitNameError);
    const error = thrown(() => podName('nope'));
    expect(error.code).toBe('invalid-unit-name');
    expect(error.message).toContain('"nope"');
  });

  it('derives the member endpoint, FQDNs and service endpoints', () => {
    expect(memberEndpoint('postgresql-k8s/1')).toBe('postgresql-k8s-1.postgresql-k8s-endpoints');
    expect(memberFqdn('postgresql-k8s/1', 'dev')).toBe('postgresql-k8s-1.postgresql-k8s-endpoints.dev.svc.cluster.local');
    expect(primaryEndpoint('postgresql-k8s', 'dev')).toBe('postgresql-k8s-primary.dev.svc.cluster.local');
    expect(replicasEndpoint('postgresql-k8s', 'dev')).toBe('postgresql-k8s-replicas.dev.svc.cluster.local');
    expect(headlessServiceName('postgresql-k8s')).toBe('postgresql-k8s-endpoints');
  });

  it('names the Patroni cluster and the pgBackRest stanza', () => {
    expect(clusterName('postgresql-k8s')).toBe('patroni-postgresql-k8s');
    expect(stanzaName('dev', 'postgresql-k8s')).toBe('dev.patroni-postgresql-k8s');
  });
});
