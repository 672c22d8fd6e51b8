import { describe, expect, it } from 'vitest';
import {
  buildPebbleLayer,
  kubernetesDcs,
  LAYER_LABEL,
  SERVICE_AUTHORISATION_RULES_OBSERVER,
  SERVICE_ROLE_CHANGE_NOTIFIER,
  selectDcs,
  workloadPaths,
  type PebbleLayerInput,
} from '../../../src/workload/index.ts';

const k8s = kubernetesDcs({ app: 'postgresql-k8s', model: 'dev' });
const base: PebbleLayerInput = { unitName: 'postgresql-k8s/1', dcs: k8s, patroniApiTls: false, monitoringPassword: 'Mon1toring' };

/** The layer without our authorisation rules observer and role-change notifier, which the reference's layer lacks. */
function referenceServices(layer: ReturnType<typeof buildPebbleLayer>) {
  const { [SERVICE_AUTHORISATION_RULES_OBSERVER]: _observer, [SERVICE_ROLE_CHANGE_NOTIFIER]: _notifier, ...services } = layer.services ?? {};
  return { ...layer, services };
}

describe('buildPebbleLayer (reference: src/charm.py _postgresql_layer)', () => {
  it('matches the reference layer on Kubernetes', () => {
    expect(LAYER_LABEL).toBe('postgresql');
    expect(referenceServices(buildPebbleLayer(base))).toEqual({
      summary: 'postgresql + patroni layer',
      description: 'pebble config layer for postgresql + patroni',
      services: {
        postgresql: {
          override: 'replace',
          summary: 'entrypoint of the postgresql + patroni image',
          command: 'patroni /var/lib/postgresql/data/patroni.yml',
          startup: 'enabled',
          'on-failure': 'restart',
          user: 'postgres',
          group: 'postgres',
          environment: {
            PATRONI_KUBERNETES_LABELS: '{application: patroni, cluster-name: patroni-postgresql-k8s}',
            PATRONI_KUBERNETES_LEADER_LABEL_VALUE: 'primary',
            PATRONI_KUBERNETES_NAMESPACE: 'dev',
            PATRONI_KUBERNETES_USE_ENDPOINTS: 'true',
            PATRONI_NAME: 'postgresql-k8s-1',
            PATRONI_SCOPE: 'patroni-postgresql-k8s',
            PATRONI_REPLICATION_USERNAME: 'replication',
            PATRONI_SUPERUSER_USERNAME: 'operator',
          },
        },
        'pgbackrest server': {
          override: 'replace',
          summary: 'pgBackRest server',
          command: 'pgbackrest server',
          startup: 'disabled',
          user: 'postgres',
          group: 'postgres',
        },
        'ldap-sync': {
          override: 'replace',
          summary: 'synchronize LDAP users',
          command: '/start-ldap-synchronizer.sh',
          startup: 'disabled',
        },
        metrics_server: {
          override: 'replace',
          summary: 'postgresql metrics exporter',
          command: '/start-exporter.sh',
          startup: 'enabled',
          after: ['postgresql'],
          user: 'postgres',
          group: 'postgres',
          environment: {
            DATA_SOURCE_NAME: 'postgresql://monitoring@/postgres?host=%2Fvar%2Frun%2Fpostgresql&port=5432&sslmode=disable',
            PGPASSFILE: '/var/lib/postgresql/data/monitoring.pgpass',
            // not in the reference's layer: custom queries for the alert rules' metrics
            PG_EXPORTER_EXTEND_QUERY_PATH: '/var/lib/postgresql/data/exporter-queries.yaml',
          },
        },
        pgbackrest_metrics_service: {
          override: 'replace',
          summary: 'pgbackrest metrics exporter',
          command: '/usr/bin/pgbackrest_exporter',
          startup: 'enabled',
          after: ['postgresql'],
          user: 'postgres',
          group: 'postgres',
        },
        'rotate-logs': {
          override: 'replace',
          summary: 'rotate logs',
          command: 'python3 /home/postgres/rotate_logs.py',
          startup: 'disabled',
        },
      },
      checks: {
        postgresql: {
          override: 'replace',
          level: 'ready',
          // not the reference's Pebble defaults (10 s × 3): a crash shows within 6 s
          period: '3s',
          timeout: '2s',
          threshold: 2,
          http: { url: 'http://postgresql-k8s-1.postgresql-k8s-endpoints:8008/health' },
        },
        // not in the reference's layer: the exporter's check, no level (it must not make the pod unready)
        metrics_server: { override: 'replace', period: '5s', timeout: '3s', threshold: 3, http: { url: 'http://127.0.0.1:9187/' } },
      },
    });
  });

  it('runs the role-change notifier as root, so the notices it records reach Juju', () => {
    const notifier = buildPebbleLayer(base).services?.[SERVICE_ROLE_CHANGE_NOTIFIER];
    expect(notifier).toMatchObject({ override: 'replace', startup: 'enabled' });
    expect(notifier?.user).toBeUndefined();
    expect(notifier?.command).toMatch(/^\/bin\/sh -c '.*pebble notify canonical\.com\/postgresql-k8s\/role-changed role="\$role".*'$/s);
    expect(notifier?.command).toContain('f=/var/run/postgresql/role-changed.fifo');
  });

  it('puts no password in the Patroni environment', () => {
    const environment = buildPebbleLayer(base).services?.postgresql?.environment ?? {};
    expect(Object.keys(environment).some((key) => /PASSWORD/.test(key))).toBe(false);
    expect(Object.values(environment)).not.toContain('Mon1toring');
  });

  it('switches the check to https with TLS and applies the on-failure override', () => {
    const layer = buildPebbleLayer({ ...base, patroniApiTls: true, patroniOnFailure: 'ignore' });
    expect(layer.checks?.postgresql?.http?.url).toBe('https://postgresql-k8s-1.postgresql-k8s-endpoints:8008/health');
    expect(layer.services?.postgresql?.['on-failure']).toBe('ignore');
  });

  it('keeps the metrics exporter disabled, without a DSN, until the monitoring password exists', () => {
    const { monitoringPassword: _unused, ...withoutPassword } = base;
    const metrics = buildPebbleLayer(withoutPassword).services?.metrics_server;
    expect(metrics?.startup).toBe('disabled');
    expect(metrics).not.toHaveProperty('environment');
    expect(buildPebbleLayer(withoutPassword).checks).not.toHaveProperty('metrics_server');
  });

  it('puts the monitoring password nowhere in the exporter service, whatever it contains', () => {
    const password = "p w'x\\y:z";
    const metrics = buildPebbleLayer({ ...base, monitoringPassword: password }).services?.metrics_server;
    expect(metrics?.startup).toBe('enabled');
    expect(metrics?.environment?.PGPASSFILE).toBe('/var/lib/postgresql/data/monitoring.pgpass');
    expect(JSON.stringify(metrics)).not.toContain(password);
    expect(JSON.stringify(metrics)).not.toContain('p w');
    expect(metrics?.environment?.DATA_SOURCE_NAME).not.toMatch(/password|:[^/]*@/);
    expect(Object.keys(metrics?.environment ?? {})).not.toContain('DATA_SOURCE_PASS');
  });

  it('on etcd3: only the member environment, and every varying input honoured', () => {
    const dcs = selectDcs({ POSTGRESQL_DCS_ETCD_HOSTS: '127.0.0.1:2379' }, { app: 'pg', model: 'sandbox' });
    const layer = buildPebbleLayer({
      unitName: 'pg/2',
      dcs,
      memberHost: '127.0.0.1',
      patroniApiTls: false,
      monitoringPassword: 'm',
      pgbackrestExporter: false,
      paths: workloadPaths('/srv/pg2', { socketDir: '/srv/pg2', rotateLogsScript: '/srv/rotate.py' }),
      ports: { postgresql: 5502, patroniApi: 8102 },
      commands: { patroni: '/usr/bin/patroni', metricsExporter: '/usr/bin/prometheus-postgres-exporter', rotateLogs: '/usr/bin/python3' },
    });
    const services = layer.services ?? {};
    expect(services.postgresql?.environment).toEqual({
      PATRONI_NAME: 'pg-2',
      PATRONI_SCOPE: 'patroni-pg',
      PATRONI_REPLICATION_USERNAME: 'replication',
      PATRONI_SUPERUSER_USERNAME: 'operator',
    });
    expect(services.postgresql?.command).toBe('/usr/bin/patroni /srv/pg2/patroni.yml');
    expect(services.metrics_server?.command).toBe('/usr/bin/prometheus-postgres-exporter');
    expect(services.metrics_server?.environment).toEqual({
      DATA_SOURCE_NAME: 'postgresql://monitoring@/postgres?host=%2Fsrv%2Fpg2&port=5502&sslmode=disable',
      PGPASSFILE: '/srv/pg2/monitoring.pgpass',
      PG_EXPORTER_EXTEND_QUERY_PATH: '/srv/pg2/exporter-queries.yaml',
    });
    expect(services.pgbackrest_metrics_service?.startup).toBe('disabled');
    expect(services['rotate-logs']?.command).toBe('/usr/bin/python3 /srv/rotate.py');
    expect(services['pgbackrest server']?.command).toBe('pgbackrest server');
    expect(layer.checks?.postgresql?.http?.url).toBe('http://127.0.0.1:8102/health');
  });

  it('runs ldap-sync with its environment where asked', () => {
    const layer = buildPebbleLayer({
      ...base,
      ldapSync: {
        url: 'ldap://glauth.ldap.svc:3893',
        baseDn: 'dc=glauth,dc=com',
        bindDn: 'cn=admin,dc=glauth,dc=com',
        bindPassword: 'bind-pw',
        groupMappings: [['devs', 'developers']],
        operatorPassword: 'op-pw',
      },
    });
    expect(layer.services?.['ldap-sync']).toEqual({
      override: 'replace',
      summary: 'synchronize LDAP users',
      command: '/start-ldap-synchronizer.sh',
      startup: 'enabled',
      environment: {
        LDAP_HOST: 'glauth.ldap.svc',
        LDAP_PORT: '3893',
        LDAP_BASE_DN: 'dc=glauth,dc=com',
        LDAP_BIND_USERNAME: 'cn=admin,dc=glauth,dc=com',
        LDAP_BIND_PASSWORD: 'bind-pw',
        LDAP_GROUP_IDENTITY: '"identity_access"',
        LDAP_GROUP_MAPPINGS: '[["devs","developers"]]',
        POSTGRES_HOST: '127.0.0.1',
        POSTGRES_PORT: '5432',
        POSTGRES_DATABASE: 'postgres',
        POSTGRES_USERNAME: 'operator',
        POSTGRES_PASSWORD: 'op-pw',
      },
    });
  });
});
