import { describe, expect, it } from 'vitest';
import {
  authTypeFor,
  featuresOf,
  parsePgbouncerVersion,
  poolSizes,
  relationDatabases,
  renderPgbouncerIni,
  splitEndpoint,
  type IniInput,
} from '../../../../sandbox/charms/pgbouncer/src/ini.ts';

const PRIMARY = 'pg-primary.dev.svc.cluster.local:5432';
const REPLICAS = 'pg-replicas.dev.svc.cluster.local:5432';
const AUTH = 'pgbouncer_auth_relation_id_3';

function input(overrides: Partial<IniInput> = {}): IniInput {
  return {
    version: { major: 1, minor: 18 },
    databases: relationDatabases({ backend: { endpoints: PRIMARY, readOnlyEndpoints: REPLICAS }, databases: { '9': { name: 'app', legacy: false } }, authUser: AUTH }),
    listenPort: 6432,
    poolMode: 'session',
    maxDbConnections: 100,
    maxPreparedStatements: 100,
    instances: 1,
    adminUser: 'pgbouncer_admin_pgb',
    statsUser: 'pgbouncer_stats_pgb',
    authType: 'scram-sha-256',
    authQuery: `SELECT username, password FROM ${AUTH}.get_auth($1)`,
    authFile: '/dev/shm/pgb_nonce',
    logFile: '/var/log/pgbouncer/instance_0/pgbouncer.log',
    pidFile: '/var/lib/pgbouncer/instance_0/pgbouncer.pid',
    socketDir: '/var/lib/pgbouncer/instance_0',
    ...overrides,
  };
}

describe('pgbouncer.ini', () => {
  it('reads the version pgbouncer --version prints, and what each version understands', () => {
    expect(parsePgbouncerVersion('PgBouncer 1.18.0\nlibevent 2.1.12-stable')).toEqual({ major: 1, minor: 18 });
    expect(parsePgbouncerVersion('garbage')).toBeUndefined();
    expect(featuresOf({ major: 1, minor: 18 })).toEqual({ authDbname: false, peers: false, maxPreparedStatements: false });
    expect(featuresOf({ major: 1, minor: 21 })).toEqual({ authDbname: true, peers: true, maxPreparedStatements: true });
  });

  it('splits endpoints on exactly one colon, as pgbouncer-k8s does', () => {
    expect(splitEndpoint(PRIMARY)).toEqual({ host: 'pg-primary.dev.svc.cluster.local', port: '5432' });
    expect(splitEndpoint('host')).toBeUndefined();
    expect(splitEndpoint('::1:5432')).toBeUndefined();
  });

  it('points each requested database at the primary and <db>_readonly at the replicas', () => {
    expect(input().databases).toEqual([
      { name: 'app', host: 'pg-primary.dev.svc.cluster.local', dbname: 'app', port: '5432', authUser: AUTH },
      { name: 'app_readonly', host: 'pg-replicas.dev.svc.cluster.local', dbname: 'app', port: '5432', authUser: AUTH },
    ]);
  });

  it('falls back to the primary for _readonly without read-only endpoints, adds _standby for legacy relations', () => {
    const databases = relationDatabases({ backend: { endpoints: PRIMARY }, databases: { '4': { name: 'legacy', legacy: true } }, authUser: AUTH });
    expect(databases.map((d) => [d.name, d.host])).toEqual([
      ['legacy', 'pg-primary.dev.svc.cluster.local'],
      ['legacy_readonly', 'pg-primary.dev.svc.cluster.local'],
      ['legacy_standby', 'pg-primary.dev.svc.cluster.local'],
    ]);
  });

  it('adds the * wildcard (and _readonly aliases of the other databases) for a privileged client', () => {
    const databases = relationDatabases({
      backend: { endpoints: PRIMARY, readOnlyEndpoints: `${REPLICAS},b-host:5433` },
      databases: { '5': { name: 'app', legacy: false }, '*': { name: '*', legacy: false, auth_dbname: 'app' } },
      authUser: AUTH,
      otherDatabases: ['other'],
    });
    expect(databases.slice(2)).toEqual([
      { name: '*', host: 'pg-primary.dev.svc.cluster.local', port: '5432', authUser: AUTH, authDbname: 'app' },
      { name: 'other_readonly', host: 'b-host,pg-replicas.dev.svc.cluster.local', dbname: 'other', port: '5432', authUser: AUTH, authDbname: 'app' },
    ]);
  });

  it('renders nothing for the databases until the backend has endpoints', () => {
    expect(relationDatabases({ backend: { endpoints: '' }, databases: { '1': { name: 'a', legacy: false } }, authUser: AUTH })).toEqual([]);
  });

  it("derives the pool sizes from max_db_connections as pgbouncer-k8s does", () => {
    expect(poolSizes(100, 2)).toEqual({ defaultPoolSize: 25, minPoolSize: 13, reservePoolSize: 13 });
    expect(poolSizes(100, 1)).toEqual({ defaultPoolSize: 50, minPoolSize: 25, reservePoolSize: 25 });
    expect(poolSizes(0, 4)).toEqual({ defaultPoolSize: 20, minPoolSize: 10, reservePoolSize: 10 });
  });

  it('uses md5 only when the stats user has an md5 entry in the userlist', () => {
    expect(authTypeFor('"pgbouncer_stats_pgb" "md5abc"', 'pgbouncer_stats_pgb')).toBe('md5');
    expect(authTypeFor('"pgbouncer_stats_pgb" "SCRAM-SHA-256$4096:…"', 'pgbouncer_stats_pgb')).toBe('scram-sha-256');
  });

  it('renders the whole file for pgbouncer 1.18', () => {
    expect(renderPgbouncerIni(input())).toBe(
      [
        '[databases]',
        `app = host=pg-primary.dev.svc.cluster.local dbname=app port=5432 auth_user=${AUTH}`,
        `app_readonly = host=pg-replicas.dev.svc.cluster.local dbname=app port=5432 auth_user=${AUTH}`,
        '',
        '[pgbouncer]',
        'listen_addr = 0.0.0.0',
        'listen_port = 6432',
        'logfile = /var/log/pgbouncer/instance_0/pgbouncer.log',
        'pidfile = /var/lib/pgbouncer/instance_0/pgbouncer.pid',
        'admin_users = pgbouncer_admin_pgb',
        'stats_users = pgbouncer_stats_pgb',
        'auth_type = scram-sha-256',
        'user = postgres',
        'max_client_conn = 10000',
        'ignore_startup_parameters = extra_float_digits,options',
        'server_tls_sslmode = prefer',
        'so_reuseport = 1',
        'unix_socket_dir = /var/lib/pgbouncer/instance_0',
        'pool_mode = session',
        'max_db_connections = 100',
        'default_pool_size = 50',
        'min_pool_size = 25',
        'reserve_pool_size = 25',
        `auth_query = SELECT username, password FROM ${AUTH}.get_auth($1)`,
        'auth_file = /dev/shm/pgb_nonce',
        '; pgbouncer-k8s also LOADs login_hook here; our PostgreSQL has no such library.',
        'server_reset_query = DISCARD ALL;',
        'server_reset_query_always = 1',
        '',
      ].join('\n'),
    );
  });

  it('writes the 1.19+ and 1.21+ settings only for a pgbouncer that has them', () => {
    const wildcard = { name: '*', host: 'h', port: '5432', authUser: AUTH, authDbname: 'app' };
    const old = renderPgbouncerIni(input({ databases: [wildcard] }));
    expect(old).toContain(`* = host=h port=5432 auth_user=${AUTH}\n`);
    expect(old).not.toMatch(/auth_dbname|peer_id|\[peers\]|max_prepared_statements/);
    const recent = renderPgbouncerIni(input({ version: { major: 1, minor: 21 }, databases: [wildcard] }));
    expect(recent).toContain(`* = host=h auth_dbname=app port=5432 auth_user=${AUTH}\n`);
    expect(recent).toContain('[peers]\n1 = host=/var/lib/pgbouncer/instance_0 port=6432\n');
    expect(recent).toContain('peer_id = 1\n');
    expect(recent).toContain('max_prepared_statements = 100\n');
  });
});
