import { describe, expect, it } from 'vitest';
import {
  DcsNotConfiguredError,
  dcsPatroniSection,
  dcsServiceEnvironment,
  InvalidDcsSettingError,
  parseEtcdHosts,
  selectDcs,
} from '../../../src/workload/index.ts';
import { thrown } from './thrown.ts';

const cluster = { app: 'postgresql-k8s', model: 'dev' };

describe('selectDcs', () => {
  it('chooses etcd3 when POSTGRESQL_DCS_ETCD_HOSTS is set, even inside Kubernetes', () => {
    const dcs = selectDcs(
      { POSTGRESQL_DCS_ETCD_HOSTS: '10.0.0.1:2379, etcd-2:2379,[::1]:2380', KUBERNETES_SERVICE_HOST: '10.96.0.1' },
      cluster,
    );
    expect(dcs).toEqual({
      kind: 'etcd3',
      hosts: [
        { host: '10.0.0.1', port: 2379 },
        { host: 'etcd-2', port: 2379 },
        { host: '[::1]', port: 2380 },
      ],
      protocol: 'http',
      namespace: '/service/dev/',
    });
  });

  it('reads the protocol, CA and namespace of etcd', () => {
    expect(
      selectDcs(
        {
          POSTGRESQL_DCS_ETCD_HOSTS: 'etcd:2379',
          POSTGRESQL_DCS_ETCD_CACERT: '/etc/etcd/ca.pem',
          POSTGRESQL_DCS_ETCD_NAMESPACE: 'sandbox',
        },
        cluster,
      ),
    ).toEqual({
      kind: 'etcd3',
      hosts: [{ host: 'etcd', port: 2379 }],
      protocol: 'https',
      cacert: '/etc/etcd/ca.pem',
      namespace: '/sandbox/',
    });
    const https = selectDcs({ POSTGRESQL_DCS_ETCD_HOSTS: 'etcd:2379', POSTGRESQL_DCS_ETCD_PROTOCOL: 'https' }, cluster);
    expect(https).toMatchObject({ protocol: 'https' });
    expect(https).not.toHaveProperty('cacert');
  });

  it('chooses kubernetes when only KUBERNETES_SERVICE_HOST is set (empty etcd variable = unset)', () => {
    expect(selectDcs({ KUBERNETES_SERVICE_HOST: '10.96.0.1', POSTGRESQL_DCS_ETCD_HOSTS: ' ' }, cluster)).toEqual({
      kind: 'kubernetes',
      namespace: 'dev',
      labels: { application: 'patroni', 'cluster-name': 'patroni-postgresql-k8s' },
      leaderLabelValue: 'primary',
      useEndpoints: true,
    });
  });

  it('fails with a typed error naming both variables when neither is set', () => {
    const error = thrown(() => selectDcs({ HOME: '/root', KUBERNETES_SERVICE_HOST: '' }, cluster));
    expect(error).toBeInstanceOf(DcsNotConfiguredError);
    expect(error.code).toBe('dcs-not-configured');
    expect(error.message).toContain('POSTGRESQL_DCS_ETCD_HOSTS');
    expect(error.message).toContain('KUBERNETES_SERVICE_HOST');
  });

  it('rejects unusable etcd settings', () => {
    const cases: [Record<string, string>, string][] = [
      [{ POSTGRESQL_DCS_ETCD_HOSTS: 'etcd' }, 'POSTGRESQL_DCS_ETCD_HOSTS'],
      [{ POSTGRESQL_DCS_ETCD_HOSTS: 'http://etcd:2379' }, 'POSTGRESQL_DCS_ETCD_HOSTS'],
      [{ POSTGRESQL_DCS_ETCD_HOSTS: 'etcd:0' }, 'POSTGRESQL_DCS_ETCD_HOSTS'],
      [{ POSTGRESQL_DCS_ETCD_HOSTS: 'etcd:65536' }, 'POSTGRESQL_DCS_ETCD_HOSTS'],
      [{ POSTGRESQL_DCS_ETCD_HOSTS: 'a:1,,b:2' }, 'POSTGRESQL_DCS_ETCD_HOSTS'],
      [{ POSTGRESQL_DCS_ETCD_HOSTS: 'etcd:2379', POSTGRESQL_DCS_ETCD_PROTOCOL: 'grpc' }, 'POSTGRESQL_DCS_ETCD_PROTOCOL'],
      [
        { POSTGRESQL_DCS_ETCD_HOSTS: 'etcd:2379', POSTGRESQL_DCS_ETCD_PROTOCOL: 'http', POSTGRESQL_DCS_ETCD_CACERT: '/ca.pem' },
        'POSTGRESQL_DCS_ETCD_PROTOCOL',
      ],
      [{ POSTGRESQL_DCS_ETCD_HOSTS: 'etcd:2379', POSTGRESQL_DCS_ETCD_CACERT: 'ca.pem' }, 'POSTGRESQL_DCS_ETCD_CACERT'],
    ];
    for (const [env, variable] of cases) {
      const error = thrown(() => selectDcs(env, cluster));
      expect(error, JSON.stringify(env)).toBeInstanceOf(InvalidDcsSettingError);
      expect(error.code).toBe('invalid-dcs-setting');
      expect((error as InvalidDcsSettingError).variable).toBe(variable);
    }
    expect(parseEtcdHosts('127.0.0.1:2379')).toEqual([{ host: '127.0.0.1', port: 2379 }]);
  });
});

describe('what each DCS contributes', () => {
  it('kubernetes: the reference environment and a kubernetes section without a top-level namespace', () => {
    const dcs = selectDcs({ KUBERNETES_SERVICE_HOST: '10.96.0.1' }, cluster);
    expect(dcsServiceEnvironment(dcs)).toEqual({
      PATRONI_KUBERNETES_LABELS: '{application: patroni, cluster-name: patroni-postgresql-k8s}',
      PATRONI_KUBERNETES_LEADER_LABEL_VALUE: 'primary',
      PATRONI_KUBERNETES_NAMESPACE: 'dev',
      PATRONI_KUBERNETES_USE_ENDPOINTS: 'true',
    });
    const section = dcsPatroniSection(dcs);
    expect(section).toEqual({
      kubernetes: {
        namespace: 'dev',
        labels: { application: 'patroni', 'cluster-name': 'patroni-postgresql-k8s' },
        leader_label_value: 'primary',
        use_endpoints: true,
      },
    });
    expect(section).not.toHaveProperty('namespace');
  });

  it('etcd3: no environment, an etcd3 section and the key prefix', () => {
    const dcs = selectDcs(
      { POSTGRESQL_DCS_ETCD_HOSTS: 'e1:2379,e2:2379', POSTGRESQL_DCS_ETCD_CACERT: '/ca.pem' },
      cluster,
    );
    expect(dcsServiceEnvironment(dcs)).toEqual({});
    expect(dcsPatroniSection(dcs)).toEqual({
      namespace: '/service/dev/',
      etcd3: { hosts: ['e1:2379', 'e2:2379'], protocol: 'https', cacert: '/ca.pem' },
    });
  });
});

describe('etcd credentials (etcd with auth enabled)', () => {
  const hosts = { POSTGRESQL_DCS_ETCD_HOSTS: 'etcd:2379' };

  it('reads the user and password as given (spaces kept) and puts them only into the etcd3 section', () => {
    const dcs = selectDcs({ ...hosts, POSTGRESQL_DCS_ETCD_USERNAME: 'patroni', POSTGRESQL_DCS_ETCD_PASSWORD: " p w'x\\y " }, cluster);
    expect(dcs).toMatchObject({ kind: 'etcd3', credentials: { username: 'patroni', password: " p w'x\\y " } });
    expect(dcsPatroniSection(dcs)).toEqual({
      namespace: '/service/dev/',
      etcd3: { hosts: ['etcd:2379'], protocol: 'http', username: 'patroni', password: " p w'x\\y " },
    });
    expect(dcsServiceEnvironment(dcs)).toEqual({});
  });

  it('has no credentials when neither variable is set (or both are empty)', () => {
    const dcs = selectDcs({ ...hosts, POSTGRESQL_DCS_ETCD_USERNAME: '', POSTGRESQL_DCS_ETCD_PASSWORD: '' }, cluster);
    expect(dcs).not.toHaveProperty('credentials');
    expect(dcsPatroniSection(dcs)['etcd3']).not.toHaveProperty('username');
    expect(dcsPatroniSection(dcs)['etcd3']).not.toHaveProperty('password');
  });

  it('refuses one without the other, naming the missing variable and never printing the password', () => {
    const noUser = thrown(() => selectDcs({ ...hosts, POSTGRESQL_DCS_ETCD_PASSWORD: 'hunter2-secret' }, cluster));
    expect(noUser).toBeInstanceOf(InvalidDcsSettingError);
    expect((noUser as InvalidDcsSettingError).variable).toBe('POSTGRESQL_DCS_ETCD_USERNAME');
    expect(noUser.message).not.toContain('hunter2-secret');
    const noPassword = thrown(() => selectDcs({ ...hosts, POSTGRESQL_DCS_ETCD_USERNAME: 'patroni' }, cluster));
    expect((noPassword as InvalidDcsSettingError).variable).toBe('POSTGRESQL_DCS_ETCD_PASSWORD');
  });
});
