/**
 * A COS side that writes garbage into its bags, through the whole reconcile: the hook succeeds,
 * each piece of garbage is logged by name, our data is still published, no log target points at
 * garbage, and the database is untouched (Active "Primary", no restart or replan).
 */
import { describe, expect, it } from 'vitest';
import { member, runScenario } from '../scenario/charm-scenario.ts';
import { operations, shared, steadyLeader } from '../handlers/reconcile/support.ts';

const leader = shared(() => steadyLeader());

describe('a COS side writing garbage', () => {
  it('is logged, and neither fails the hook nor touches the database', async () => {
    const base = await leader();
    const result = await runScenario(
      { hook: 'update-status' },
      {
        ...base,
        cluster: [member(0, 'leader')],
        clientRelations: [
          { id: 21, endpoint: 'metrics-endpoint', remoteApp: 'prometheus', remoteAppData: { event: '{not json', scrape_jobs: '\u0000' } },
          { id: 22, endpoint: 'grafana-dashboard', remoteApp: 'grafana', remoteAppData: { event: '{"valid": false, "errors": 42}' } },
          { id: 23, endpoint: 'logging', remoteApp: 'loki', remoteUnitData: { 0: { endpoint: '{"url": "file:///etc/passwd"}' } } },
        ],
      },
    );
    expect(result.exitCode, result.logs).toBe(0);
    expect(result.status).toEqual({ status: 'active', message: 'Primary' });
    expect(result.logs).toContain("metrics-endpoint: ignoring an 'event' that is not JSON");
    expect(result.logs).toContain('grafana-dashboard: the COS side reports a problem with our data');
    expect(result.logs).toContain('logging: ignoring loki/0\'s endpoint, which is not {\\"url\\": \\"http(s)://…\\"}');
    // Ours is published all the same.
    expect(result.clientRelations[21]?.localApp['scrape_jobs']).toContain('9187');
    expect(result.clientRelations[23]?.localApp['metadata']).toContain('postgresql-k8s');
    // No Loki target (nothing to forward to), and the database is left alone.
    expect(operations(result, 'add-layer').filter((op) => op.label === 'log-forwarding')).toEqual([]);
    expect(operations(result, 'replan')).toEqual([]);
    expect(operations(result, 'restart')).toEqual([]);
  });
});
