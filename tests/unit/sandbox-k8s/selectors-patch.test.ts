import { describe, expect, it } from 'vitest';
import { serverSideApply } from '../../../sandbox/k8s/apply.ts';
import { ApiStatusError } from '../../../sandbox/k8s/errors.ts';
import { mergePatch, strategicMergePatch, type JsonObject } from '../../../sandbox/k8s/patch.ts';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from '../../../sandbox/k8s/selectors.ts';

describe('label selectors', () => {
  const pod = { application: 'patroni', 'cluster-name': 'patroni-pg', role: 'master' };
  const cases: Array<[string, boolean]> = [
    ['application=patroni,cluster-name=patroni-pg', true],
    ['application==patroni', true],
    ['role!=replica', true],
    ['role!=master', false],
    ['missing!=x', true],
    ['role in (master, primary)', true],
    ['role in (replica)', false],
    ['role notin (replica,sync_standby)', true],
    ['missing notin (a)', true],
    ['role', true],
    ['!role', false],
    ['!missing', true],
    ['app.kubernetes.io/name', false],
    ['application=patroni,role in (master),!missing', true],
    ['', true],
  ];
  it.each(cases)('%s → %s', (selector, expected) => {
    expect(matchesLabels(parseLabelSelector(selector), pod)).toBe(expected);
  });

  it('rejects a malformed selector with a 400 BadRequest', () => {
    const error = (() => {
      try {
        parseLabelSelector('role in (a b)');
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ApiStatusError);
    expect((error as ApiStatusError).toStatus()).toMatchObject({ code: 400, reason: 'BadRequest' });
  });

  it('field selectors on metadata.name and metadata.namespace; others are refused', () => {
    expect(matchesFields(parseFieldSelector('metadata.name=a'), { name: 'a' })).toBe(true);
    expect(matchesFields(parseFieldSelector('metadata.name!=a'), { name: 'a' })).toBe(false);
    expect(matchesFields(parseFieldSelector('metadata.namespace=dev,metadata.name=b'), { name: 'b', namespace: 'dev' })).toBe(true);
    expect(() => parseFieldSelector('spec.nodeName=x')).toThrow('field label not supported: spec.nodeName');
  });
});

describe('merge patch (RFC 7386)', () => {
  it('merges maps, deletes on null, replaces lists', () => {
    const target = { metadata: { labels: { a: '1', b: '2' } }, list: [1, 2] };
    expect(mergePatch(target, { metadata: { labels: { b: null, c: '3' } }, list: [3] })).toEqual({ metadata: { labels: { a: '1', c: '3' } }, list: [3] });
  });
});

describe('strategic merge patch', () => {
  it('merges containers by name and their ports by containerPort, replaces untagged lists', () => {
    const pod: JsonObject = {
      spec: {
        containers: [
          { name: 'a', image: 'x', ports: [{ containerPort: 1, name: 'one' }] },
          { name: 'b', image: 'y' },
        ],
        tolerations: [{ key: 't1' }],
      },
    };
    const patched = strategicMergePatch('Pod', pod, {
      spec: { containers: [{ name: 'a', image: 'x2', ports: [{ containerPort: 2 }] }, { name: 'c', image: 'z' }], tolerations: [{ key: 't2' }] },
    });
    expect(patched).toEqual({
      spec: {
        containers: [
          { name: 'a', image: 'x2', ports: [{ containerPort: 1, name: 'one' }, { containerPort: 2 }] },
          { name: 'b', image: 'y' },
          { name: 'c', image: 'z' },
        ],
        tolerations: [{ key: 't2' }],
      },
    });
  });

  it("merges a Service's ports by port and ownerReferences by uid; $patch: delete removes an item", () => {
    const service = { metadata: { ownerReferences: [{ uid: 'u1', name: 'a' }] }, spec: { ports: [{ port: 5432, name: 'db' }, { port: 8008, name: 'api' }] } };
    const patched = strategicMergePatch('Service', service, {
      metadata: { ownerReferences: [{ uid: 'u2', name: 'b' }] },
      spec: { ports: [{ port: 5432, targetPort: 6432 }, { port: 8008, $patch: 'delete' }] },
    });
    expect(patched).toEqual({
      metadata: { ownerReferences: [{ uid: 'u1', name: 'a' }, { uid: 'u2', name: 'b' }] },
      spec: { ports: [{ port: 5432, name: 'db', targetPort: 6432 }] },
    });
  });

  it("replaces an Endpoints' subsets and applies Patroni's null annotations as deletions", () => {
    const endpoints = { metadata: { annotations: { leader: 'pg-0', optime: '1' } }, subsets: [{ addresses: [{ ip: '10.0.0.1' }] }] };
    const patched = strategicMergePatch('Endpoints', endpoints, { metadata: { annotations: { leader: null, optime: '2' } }, subsets: [] });
    expect(patched).toEqual({ metadata: { annotations: { optime: '2' } }, subsets: [] });
  });

  it('$patch: replace on a map replaces it whole', () => {
    expect(strategicMergePatch('ConfigMap', { data: { a: '1', b: '2' } }, { data: { $patch: 'replace', c: '3' } })).toEqual({ data: { c: '3' } });
  });
});

describe('server-side apply', () => {
  const config = (ports: JsonObject[], labels: Record<string, string> = { app: 'pg' }): JsonObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 's', namespace: 'dev', labels },
    spec: { ports, selector: { app: 'pg' } },
  });

  it('creates, then removes the fields the same manager stops applying', () => {
    const first = serverSideApply('Service', 'services', 's', undefined, config([{ port: 1 }, { port: 2 }], { app: 'pg', old: 'x' }), 'charm', {}, false);
    const current = { ...first.object, spec: { ...(first.object['spec'] as JsonObject), clusterIP: '10.0.0.1' } };
    const second = serverSideApply('Service', 'services', 's', current, config([{ port: 1 }]), 'charm', first.managers, false);
    expect(second.object['spec']).toEqual({ ports: [{ port: 1 }], selector: { app: 'pg' }, clusterIP: '10.0.0.1' });
    expect((second.object['metadata'] as JsonObject)['labels']).toEqual({ app: 'pg' });
  });

  it('409 on a field another manager applied with another value, unless forced (which takes it over)', () => {
    const mine = serverSideApply('Service', 'services', 's', undefined, config([{ port: 1, targetPort: 10 }]), 'charm', {}, false);
    let error: unknown;
    try {
      serverSideApply('Service', 'services', 's', mine.object, config([{ port: 1, targetPort: 11 }]), 'other', mine.managers, false);
    } catch (caught) {
      error = caught;
    }
    expect((error as ApiStatusError).toStatus()).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: 'Apply failed with 1 conflict: conflict with "charm": .spec.ports[port=1].targetPort',
      details: { name: 's', kind: 'services', causes: [{ reason: 'FieldManagerConflict', field: '.spec.ports[port=1].targetPort' }] },
    });
    const forced = serverSideApply('Service', 'services', 's', mine.object, config([{ port: 1, targetPort: 11 }]), 'other', mine.managers, true);
    expect((forced.object['spec'] as { ports: JsonObject[] }).ports).toEqual([{ port: 1, targetPort: 11 }]);
    // The charm no longer owns targetPort: its next apply of its own value conflicts with "other".
    expect(() => serverSideApply('Service', 'services', 's', forced.object, config([{ port: 1, targetPort: 10 }]), 'charm', forced.managers, false)).toThrow(
      'conflict with "other"',
    );
  });
});
