import { describe, expect, it } from 'vitest';
import { readRepoYaml } from '../config/repo-yaml.ts';

interface Endpoint {
  interface: string;
  limit?: number;
  optional?: boolean;
}

interface Metadata {
  name: string;
  'display-name': string;
  summary: string;
  description: string;
  docs: string;
  source: string;
  issues: string;
  maintainers: string[];
  containers: Record<string, { resource: string; mounts: { storage: string; location: string }[] }>;
  resources: Record<string, { type: string; description: string; 'upstream-source': string }>;
  storage: Record<string, Record<string, unknown>>;
  peers: Record<string, Endpoint>;
  provides: Record<string, Endpoint>;
  requires: Record<string, Endpoint>;
  assumes: unknown[];
}

const metadata = readRepoYaml('metadata.yaml') as Metadata;

// The reference charm's metadata.yaml. `undefined` means the key must be absent (Juju's defaults apply).
const PROVIDES: Record<string, Endpoint> = {
  'replication-offer': { interface: 'postgresql_async', limit: 1, optional: true },
  database: { interface: 'postgresql_client' },
  db: { interface: 'pgsql', optional: true },
  'db-admin': { interface: 'pgsql', optional: true },
  'metrics-endpoint': { interface: 'prometheus_scrape', optional: true },
  'grafana-dashboard': { interface: 'grafana_dashboard', optional: true },
};

const REQUIRES: Record<string, Endpoint> = {
  replication: { interface: 'postgresql_async', limit: 1, optional: true },
  certificates: { interface: 'tls-certificates', limit: 1, optional: true },
  'receive-ca-cert': { interface: 'certificate_transfer', optional: true },
  's3-parameters': { interface: 's3', limit: 1, optional: true },
  ldap: { interface: 'ldap', limit: 1, optional: true },
  logging: { interface: 'loki_push_api', limit: 1, optional: true },
  tracing: { interface: 'tracing', limit: 1, optional: true },
};

const PEERS: Record<string, Endpoint> = {
  'database-peers': { interface: 'postgresql_peers' },
  restart: { interface: 'rolling_op' },
  upgrade: { interface: 'upgrade' },
};

describe('metadata.yaml', () => {
  it('names the charm as the reference does', () => {
    expect(metadata.name).toBe('postgresql-k8s');
    expect(metadata['display-name']).toBe('Charmed PostgreSQL K8s');
    expect(metadata.summary).toBe('Charmed PostgreSQL 14 for Kubernetes');
    expect(metadata.description.length).toBeGreaterThan(50);
    for (const link of [metadata.docs, metadata.source, metadata.issues]) expect(link).toMatch(/^https:\/\//);
    expect(metadata.maintainers).toEqual(['Canonical Data Platform <data-platform@lists.launchpad.net>']);
  });

  it('runs the postgresql container from the postgresql-image resource with pgdata mounted', () => {
    expect(metadata.containers).toEqual({
      postgresql: {
        resource: 'postgresql-image',
        mounts: [{ storage: 'pgdata', location: '/var/lib/postgresql/data' }],
      },
    });
    expect(Object.keys(metadata.resources)).toEqual(['postgresql-image']);
    expect(metadata.resources['postgresql-image']).toMatchObject({ type: 'oci-image' });
    expect(metadata.resources['postgresql-image']?.['upstream-source']).toMatch(
      /^ghcr\.io\/canonical\/charmed-postgresql@sha256:[0-9a-f]{64}$/,
    );
  });

  it('declares the single pgdata filesystem storage', () => {
    expect(metadata.storage).toEqual({ pgdata: { type: 'filesystem', location: '/var/lib/postgresql/data' } });
  });

  it.each([
    ['peers', PEERS],
    ['provides', PROVIDES],
    ['requires', REQUIRES],
  ] as const)('declares exactly the reference %s endpoints', (section, expected) => {
    const declared = metadata[section];
    expect(Object.keys(declared).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, endpoint] of Object.entries(expected)) {
      // toEqual would accept `optional: undefined`; the key itself must match.
      expect(declared[name], name).toStrictEqual(endpoint);
    }
  });

  it('assumes the Kubernetes API and the reference Juju versions', () => {
    expect(metadata.assumes).toEqual([
      'k8s-api',
      {
        'any-of': [
          { 'all-of': ['juju >= 2.9.49', 'juju < 3'] },
          { 'all-of': ['juju >= 3.4.3', 'juju < 3.5'] },
          { 'all-of': ['juju >= 3.5.1', 'juju < 4'] },
        ],
      },
    ]);
  });
});
