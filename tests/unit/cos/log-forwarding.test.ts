import { describe, expect, it } from 'vitest';
import { logForwardingLayer, logTailScriptPath, lokiPushUrl } from '../../../src/cos/log-forwarding.ts';

const TOPOLOGY = { model: 'pgm', modelUuid: '1a2b3c4d-0000-4000-8000-00000000abcd', application: 'postgresql-k8s', unit: 'postgresql-k8s/1', charmName: 'postgresql-k8s' };

describe('log forwarding', () => {
  it('takes the push URL from a Loki unit\'s endpoint and refuses anything else', () => {
    expect(lokiPushUrl('{"url": "http://loki-0.loki-endpoints.cos.svc.cluster.local:3100/loki/api/v1/push"}')).toBe(
      'http://loki-0.loki-endpoints.cos.svc.cluster.local:3100/loki/api/v1/push',
    );
    for (const garbage of [undefined, '', 'http://x', '{"url": 3}', '{"url": "file:///etc/passwd"}', '{"url": "not a url"}', '[]']) {
      expect(lokiPushUrl(garbage), String(garbage)).toBeUndefined();
    }
  });

  it('forwards every service to each Loki unit with the topology labels, and runs the tail services', () => {
    const layer = logForwardingLayer({ endpoints: { 'loki/0': 'http://10.0.0.9:3100/loki/api/v1/push' }, previousTargets: [], topology: TOPOLOGY });
    expect(layer['log-targets']).toEqual({
      'loki-0': {
        override: 'replace',
        type: 'loki',
        location: 'http://10.0.0.9:3100/loki/api/v1/push',
        services: ['all'],
        labels: { juju_model: 'pgm', juju_model_uuid: TOPOLOGY.modelUuid, juju_application: 'postgresql-k8s', juju_unit: 'postgresql-k8s/1', juju_charm: 'postgresql-k8s' },
      },
    });
    expect(layer.services?.['logs-patroni']).toMatchObject({
      startup: 'enabled',
      command: `python3 -u ${logTailScriptPath()} /var/log/postgresql/patroni.log`,
      user: 'postgres',
    });
    expect(Object.keys(layer.services ?? {}).sort()).toEqual(['logs-patroni', 'logs-pgbackrest', 'logs-postgresql']);
  });

  it('turns off a target whose Loki unit left and disables the tails when no Loki is left', () => {
    const layer = logForwardingLayer({ endpoints: {}, previousTargets: ['loki-0'], topology: TOPOLOGY });
    expect(layer['log-targets']).toEqual({ 'loki-0': { override: 'merge', services: ['-all'] } });
    expect(Object.values(layer.services ?? {}).every((service) => service.startup === 'disabled')).toBe(true);
  });
});
