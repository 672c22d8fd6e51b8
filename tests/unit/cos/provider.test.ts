import { describe, expect, it } from 'vitest';
import type { CosAssets } from '../../../src/cos/assets.ts';
import type { BucketOwner, RelationRef } from '../../../src/juju/hook-tools.ts';
import { publishToCos, type CosDeps, type CosInput } from '../../../src/relations/cos/provider.ts';

const TOPOLOGY = { model: 'pgm', modelUuid: '1a2b3c4d-0000-4000-8000-00000000abcd', application: 'postgresql-k8s', unit: 'postgresql-k8s/0', charmName: 'postgresql-k8s' };
const ASSETS: CosAssets = {
  alertRuleFiles: [{ file: 'postgresql_rules.yaml', groups: [{ name: 'PostgresqlExporterK8s', rules: [{ alert: 'PostgresqlDown', expr: 'pg_up == 0', labels: { severity: 'critical' } }] }] }],
  dashboards: [{ key: 'file:postgresql-metrics', content: 'AAAA' }],
};

interface Relation {
  endpoint: string;
  id: number;
  remoteApp: string;
  bags: Record<string, Record<string, string>>;
}

/** Relations of the three COS endpoints, with the writes relation-set makes. */
function model(relations: Relation[], options: { address?: string } = {}) {
  const writes: { id: number; app: boolean; changes: Record<string, string> }[] = [];
  const warnings: string[] = [];
  const find = (id: number) => relations.find((relation) => relation.id === id)!;
  const deps: CosDeps = {
    unitName: 'postgresql-k8s/0',
    appName: 'postgresql-k8s',
    tools: {
      relationIds: async (endpoint: string) => relations.filter((relation) => relation.endpoint === endpoint).map(({ endpoint: e, id }) => ({ endpoint: e, id })),
      relationGet: async (ref: RelationRef, owner: BucketOwner) => ({ ...(find(ref.id).bags['app' in owner ? owner.app : owner.unit] ?? {}) }),
      relationSet: async (ref: RelationRef, changes: Readonly<Record<string, string>>, opts: { app?: boolean } = {}) => {
        writes.push({ id: ref.id, app: opts.app === true, changes: { ...changes } });
        const relation = find(ref.id);
        const owner = opts.app === true ? 'postgresql-k8s' : 'postgresql-k8s/0';
        const bag = (relation.bags[owner] ??= {});
        for (const [key, value] of Object.entries(changes)) {
          if (value === '') delete bag[key];
          else bag[key] = value;
        }
      },
      relationRemoteApp: async (ref: RelationRef) => find(ref.id).remoteApp,
      networkGet: async () => {
        if (options.address === undefined) throw new Error('no binding');
        return { bindAddresses: [{ addresses: [{ value: options.address }] }], egressSubnets: [], ingressAddresses: [options.address] };
      },
    } as unknown as CosDeps['tools'],
    logger: { info: () => undefined, debug: () => undefined, warn: (_fields: unknown, message?: string) => void warnings.push(String(message)) },
  };
  return { deps, writes, warnings };
}

const input = (overrides: Partial<CosInput> = {}): CosInput => ({ isLeader: true, topology: TOPOLOGY, patroniTls: false, assets: ASSETS, ...overrides });

describe('publishing to COS', () => {
  it('the leader publishes scrape jobs, rules, dashboards and logging metadata, each unit its address', async () => {
    const relations: Relation[] = [
      { endpoint: 'metrics-endpoint', id: 1, remoteApp: 'prometheus', bags: {} },
      { endpoint: 'grafana-dashboard', id: 2, remoteApp: 'grafana', bags: {} },
      { endpoint: 'logging', id: 3, remoteApp: 'loki', bags: {} },
    ];
    const { deps } = model(relations, { address: '10.1.77.12' });
    await publishToCos(deps, input(), 'postgresql-k8s');
    expect(relations[0]!.bags['postgresql-k8s/0']).toEqual({ prometheus_scrape_unit_address: '10.1.77.12', prometheus_scrape_unit_name: 'postgresql-k8s/0' });
    const app = relations[0]!.bags['postgresql-k8s']!;
    expect(JSON.parse(app['scrape_jobs']!)).toHaveLength(3);
    expect(JSON.parse(app['alert_rules']!).groups.map((group: { name: string }) => group.name)).toEqual([
      'pgm_1a2b3c4d_postgresql_k8s_PostgresqlExporterK8s_alerts',
      'pgm_1a2b3c4d_postgresql_k8s_HostHealth_alerts',
    ]);
    const dashboards = JSON.parse(relations[1]!.bags['postgresql-k8s']!['dashboards']!);
    expect(Object.keys(dashboards.templates)).toEqual(['file:postgresql-metrics']);
    expect(dashboards.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(relations[2]!.bags['postgresql-k8s']).toEqual({ metadata: app['scrape_metadata'], alert_rules: '{}' });
  });

  it('writes nothing when nothing changed, and only the Patroni job when TLS is switched on', async () => {
    const relations: Relation[] = [
      { endpoint: 'metrics-endpoint', id: 1, remoteApp: 'prometheus', bags: {} },
      { endpoint: 'grafana-dashboard', id: 2, remoteApp: 'grafana', bags: {} },
    ];
    const { deps, writes } = model(relations, { address: '10.1.77.12' });
    await publishToCos(deps, input(), 'postgresql-k8s');
    const uuid = JSON.parse(relations[1]!.bags['postgresql-k8s']!['dashboards']!).uuid;
    writes.length = 0;
    await publishToCos(deps, input(), 'postgresql-k8s');
    expect(writes).toEqual([]);
    expect(JSON.parse(relations[1]!.bags['postgresql-k8s']!['dashboards']!).uuid).toBe(uuid);
    await publishToCos(deps, input({ patroniTls: true }), 'postgresql-k8s');
    expect(writes).toHaveLength(1);
    expect(Object.keys(writes[0]!.changes)).toEqual(['scrape_jobs']);
    expect(JSON.parse(writes[0]!.changes['scrape_jobs']!)[2].scheme).toBe('https');
  });

  it('a non-leader writes only its own unit bag', async () => {
    const relations: Relation[] = [
      { endpoint: 'metrics-endpoint', id: 1, remoteApp: 'prometheus', bags: {} },
      { endpoint: 'grafana-dashboard', id: 2, remoteApp: 'grafana', bags: {} },
      { endpoint: 'logging', id: 3, remoteApp: 'loki', bags: {} },
    ];
    const { deps, writes } = model(relations, { address: '10.1.77.13' });
    await publishToCos(deps, input({ isLeader: false, assets: undefined }), 'postgresql-k8s');
    expect(writes).toEqual([{ id: 1, app: false, changes: { prometheus_scrape_unit_address: '10.1.77.13', prometheus_scrape_unit_name: 'postgresql-k8s/0' } }]);
  });

  it('garbage in the COS side\'s bag is logged, and publishing goes on', async () => {
    const relations: Relation[] = [
      { endpoint: 'metrics-endpoint', id: 1, remoteApp: 'prometheus', bags: { prometheus: { event: '{not json' } } },
      { endpoint: 'grafana-dashboard', id: 2, remoteApp: 'grafana', bags: { grafana: { event: '{"valid": false, "errors": "bad dashboard"}' } } },
    ];
    const { deps, warnings } = model(relations, { address: '10.1.77.12' });
    await publishToCos(deps, input(), 'postgresql-k8s');
    expect(warnings).toEqual([
      "metrics-endpoint: ignoring an 'event' that is not JSON",
      'grafana-dashboard: the COS side reports a problem with our data',
    ]);
    expect(relations[0]!.bags['postgresql-k8s']!['scrape_jobs']).toBeDefined();
    expect(relations[1]!.bags['postgresql-k8s']!['dashboards']).toBeDefined();
  });

  it('without an address yet the unit bag waits and the leader still publishes the jobs', async () => {
    const relations: Relation[] = [{ endpoint: 'metrics-endpoint', id: 1, remoteApp: 'prometheus', bags: {} }];
    const { deps } = model(relations);
    await publishToCos(deps, input(), 'postgresql-k8s');
    expect(relations[0]!.bags['postgresql-k8s/0']).toBeUndefined();
    expect(relations[0]!.bags['postgresql-k8s']!['scrape_jobs']).toBeDefined();
  });
});
