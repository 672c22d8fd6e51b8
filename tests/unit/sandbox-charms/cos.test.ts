import { describe, expect, it } from 'vitest';
import { matches, parseQuery } from '../../../sandbox/charms/cos/src/loki-query.ts';
import { BadRelationData, expandJobs, parseScrapeData } from '../../../sandbox/charms/cos/src/scrape-config.ts';

const META = { model: 'pgm', model_uuid: '1a2b3c4d-0000-4000-8000-00000000abcd', application: 'postgresql-k8s', charm_name: 'postgresql-k8s' };

describe('the sandbox COS: scrape configuration', () => {
  it('expands each wildcard job into one job per unit with the topology and instance relabelling', () => {
    const jobs = expandJobs(
      META,
      [
        { metrics_path: '/metrics', static_configs: [{ targets: ['*:9187'] }] },
        { metrics_path: '/metrics', static_configs: [{ targets: ['*:8008'] }], scheme: 'https', tls_config: { insecure_skip_verify: true }, not_allowed: 1 },
      ],
      { 'postgresql-k8s/0': '10.0.0.10', 'postgresql-k8s/1': '10.0.0.11' },
    );
    expect(jobs).toHaveLength(4);
    expect(jobs.every((job) => String(job['job_name']).startsWith('juju_pgm_1a2b3c4d_postgresql-k8s_prometheus_scrape_'))).toBe(true);
    expect(new Set(jobs.map((job) => job['job_name'])).size).toBe(4);
    expect(jobs[0]!['static_configs']).toEqual([
      {
        targets: ['10.0.0.10:9187'],
        labels: { juju_model: 'pgm', juju_model_uuid: META.model_uuid, juju_application: 'postgresql-k8s', juju_charm: 'postgresql-k8s', juju_unit: 'postgresql-k8s/0' },
      },
    ]);
    expect(jobs.some((job) => 'not_allowed' in job)).toBe(false);
    expect(jobs.find((job) => job['scheme'] === 'https')).toBeDefined();
  });

  it('rejects garbage with a reason and skips a bag without jobs', () => {
    expect(parseScrapeData({})).toBeUndefined();
    expect(() => parseScrapeData({ scrape_jobs: '{', scrape_metadata: '{}' })).toThrow(BadRelationData);
    expect(() => parseScrapeData({ scrape_jobs: '[1]', scrape_metadata: JSON.stringify(META) })).toThrow(/list of jobs/);
    expect(() => parseScrapeData({ scrape_jobs: '[]', scrape_metadata: '{"model": "x"}' })).toThrow(/scrape_metadata/);
  });
});

describe('the sandbox COS: Loki stand-in queries', () => {
  it('parses a stream selector with a line filter and matches labels', () => {
    const query = parseQuery('{juju_application="postgresql-k8s", pebble_service=~"logs-.*", juju_unit!="x/1"} |= "LOG:"');
    expect(query.contains).toBe('LOG:');
    const labels = { juju_application: 'postgresql-k8s', pebble_service: 'logs-patroni', juju_unit: 'postgresql-k8s/0' };
    expect(query.matchers.every((m) => matches(labels, m))).toBe(true);
    expect(query.matchers.every((m) => matches({ ...labels, pebble_service: 'postgresql' }, m))).toBe(false);
    expect(() => parseQuery('rate({a="b"}[1m])')).toThrow();
    expect(parseQuery('{}').matchers).toEqual([]);
  });
});
