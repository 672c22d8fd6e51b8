import { describe, expect, it } from 'vitest';
import {
  DEFAULT_WORKLOAD_PATHS,
  logFiles,
  PATRONI_CONFIG_MODE,
  PGDATA_MODE,
  postgresqlBinDir,
  receivedCaPath,
  systemCaPath,
  TLS_FILE_MODE,
  WORKLOAD_OS_GROUP,
  WORKLOAD_OS_USER,
  workloadPaths,
} from '../../../src/workload/index.ts';

describe('workload paths (reference: src/constants.py, src/charm.py)', () => {
  it('has the rock layout by default', () => {
    expect(DEFAULT_WORKLOAD_PATHS).toEqual({
      storage: '/var/lib/postgresql/data',
      pgdata: '/var/lib/postgresql/data/pgdata',
      patroniConfig: '/var/lib/postgresql/data/patroni.yml',
      tlsKey: '/var/lib/postgresql/data/key.pem',
      tlsCa: '/var/lib/postgresql/data/ca.pem',
      tlsCert: '/var/lib/postgresql/data/cert.pem',
      pgbackrestTlsCaChain: '/var/lib/postgresql/data/pgbackrest-tls-ca-chain.crt',
      monitoringPgpass: '/var/lib/postgresql/data/monitoring.pgpass',
      postgresqlLogs: '/var/log/postgresql',
      pgbackrestLogs: '/var/log/pgbackrest',
      socketDir: '/var/run/postgresql',
      pgpass: '/tmp/pgpass',
      pgbackrestConfig: '/etc/pgbackrest/pgbackrest.conf',
      pgbackrestLogrotate: '/etc/logrotate.d/pgbackrest.logrotate',
      rotateLogsScript: '/home/postgres/rotate_logs.py',
      caCertificates: '/usr/local/share/ca-certificates',
      rockMetadata: '/meta.charmed-postgresql/snap.yaml',
    });
    expect(workloadPaths()).toEqual(DEFAULT_WORKLOAD_PATHS);
    expect(systemCaPath()).toBe('/usr/local/share/ca-certificates/ca.crt');
    expect(receivedCaPath('vault')).toBe('/usr/local/share/ca-certificates/ca-vault.crt');
  });

  it('moves every storage file with the storage, then applies overrides', () => {
    const paths = workloadPaths('/srv/m1/', { pgpass: '/srv/m1/pgpass' });
    expect(paths.pgdata).toBe('/srv/m1/pgdata');
    expect(paths.patroniConfig).toBe('/srv/m1/patroni.yml');
    expect(paths.tlsCa).toBe('/srv/m1/ca.pem');
    expect(paths.monitoringPgpass).toBe('/srv/m1/monitoring.pgpass');
    expect(paths.pgpass).toBe('/srv/m1/pgpass');
    expect(paths.postgresqlLogs).toBe('/var/log/postgresql');
  });

  it('knows the binaries, users, modes and log files', () => {
    expect(postgresqlBinDir(14)).toBe('/usr/lib/postgresql/14/bin');
    expect(postgresqlBinDir(15)).toBe('/usr/lib/postgresql/15/bin');
    expect([WORKLOAD_OS_USER, WORKLOAD_OS_GROUP]).toEqual(['postgres', 'postgres']);
    expect(PGDATA_MODE).toBe(0o750);
    expect(TLS_FILE_MODE).toBe(0o400);
    expect(PATRONI_CONFIG_MODE).toBe(0o600);
    expect(logFiles()).toEqual([
      '/var/log/pgbackrest/*',
      '/var/log/postgresql/patroni.log',
      '/var/log/postgresql/postgresql*.log',
    ]);
  });
});
