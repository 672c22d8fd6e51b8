import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  buildPatroniConfig,
  InvalidHbaValueError,
  InvalidPatroniSettingError,
  kubernetesDcs,
  renderPatroniYaml,
  selectDcs,
  type PatroniConfigInput,
} from '../../../src/workload/index.ts';
import { thrown } from './thrown.ts';

type Yaml = Record<string, any>;
/** Patroni reads the file with PyYAML, a YAML 1.1 parser. */
const load = (text: string): Yaml => parse(text, { version: '1.1' }) as Yaml;

const STORAGE = '/var/lib/postgresql/data';
const base: PatroniConfigInput = {
  unitName: 'postgresql-k8s/1',
  model: 'dev',
  dcs: kubernetesDcs({ app: 'postgresql-k8s', model: 'dev' }),
  endpoints: ['postgresql-k8s-0.postgresql-k8s-endpoints', 'postgresql-k8s-1.postgresql-k8s-endpoints'],
  postgresqlVersion: 14,
  passwords: { superuser: 'op-pw', replication: 'rep-pw', rewind: 'rw-pw', patroniApi: 'api-pw' },
  tls: false,
  synchronousNodeCount: 1,
  maximumLagOnFailover: 1048576,
  userDatabases: { relation_id_3: ['app-db'], operator: 'all', replication: 'all', rewind: 'all' },
};
const render = (overrides: Partial<PatroniConfigInput> = {}): Yaml => load(renderPatroniYaml({ ...base, ...overrides }));

/**
 * The reference `templates/patroni.yml.j2`'s `bootstrap.dcs.postgresql.parameters` (archiving off),
 * with PostgreSQL's on/off as strings.
 */
const BOOTSTRAP_PARAMETERS = {
  synchronous_standby_names: '*',
  archive_command: '/bin/true',
  archive_mode: 'on',
  autovacuum: true,
  debug_print_plan: 'off',
  debug_print_parse: 'off',
  debug_print_rewritten: 'off',
  fsync: true,
  full_page_writes: true,
  lc_messages: 'en_US.UTF8',
  log_autovacuum_min_duration: 60000,
  log_checkpoints: 'on',
  log_destination: 'stderr',
  log_directory: '/var/log/postgresql',
  log_error_verbosity: 'verbose',
  log_file_mode: '0600',
  log_filename: 'postgresql-%w_%H%M.log',
  log_hostname: 'off',
  log_line_prefix: '%t [%p]: user=%u,db=%d,app=%a,client=%h,line=%l ',
  log_min_duration_sample: -1,
  log_min_error_statement: 'warning',
  log_recovery_conflict_waits: 'on',
  log_replication_commands: 'on',
  log_rotation_age: 1,
  log_rotation_size: 0,
  log_statement: 'ddl',
  log_statement_sample_rate: 1,
  log_statement_stats: 'off',
  log_temp_files: 1,
  log_timezone: 'UTC',
  log_truncate_on_rotation: 'on',
  logging_collector: 'on',
  wal_level: 'logical',
  shared_preload_libraries: 'timescaledb,pgaudit,pg_stat_statements',
};

describe('renderPatroniYaml on Kubernetes (reference: templates/patroni.yml.j2)', () => {
  const config = render();

  it('names the member and the cluster, with the Kubernetes DCS and no dead top-level keys', () => {
    expect(config.scope).toBe('patroni-postgresql-k8s');
    expect(config.name).toBe('postgresql-k8s-1');
    expect(config.kubernetes).toEqual({
      namespace: 'dev',
      labels: { application: 'patroni', 'cluster-name': 'patroni-postgresql-k8s' },
      leader_label_value: 'primary',
      use_endpoints: true,
    });
    for (const key of ['namespace', 'etcd3', 'pod_ip', 'use_endpoints', 'bypass_api_service', 'use_unix_socket', 'ctl', 'tags']) {
      expect(config, key).not.toHaveProperty(key);
    }
  });

  it('bootstraps the DCS with the reference settings and parameters', () => {
    const { postgresql, ...dcs } = config.bootstrap.dcs;
    expect(dcs).toEqual({
      failsafe_mode: true,
      synchronous_node_count: 1,
      maximum_lag_on_failover: 1048576,
      synchronous_mode: true,
      synchronous_mode_strict: false,
      max_timelines_history: 50,
    });
    expect(postgresql).toEqual({
      use_pg_rewind: true,
      remove_data_directory_on_rewind_failure: false,
      remove_data_directory_on_diverged_timelines: false,
      bin_dir: '/usr/lib/postgresql/14/bin',
      parameters: BOOTSTRAP_PARAMETERS,
    });
    expect(Object.keys(postgresql.parameters)).toEqual(Object.keys(BOOTSTRAP_PARAMETERS));
  });

  it('seeds the bootstrap DCS with the dynamic parameters the leader will patch, leaving nulls out', () => {
    const rendered = render({ bootstrapParameters: { max_connections: 120, max_worker_processes: '4', shared_buffers: null } });
    const parameters = rendered.bootstrap.dcs.postgresql.parameters;
    expect(parameters).toMatchObject({ ...BOOTSTRAP_PARAMETERS, max_connections: 120, max_worker_processes: '4' });
    expect(parameters).not.toHaveProperty('shared_buffers');
  });

  it('initialises a new cluster with initdb and the bootstrap pg_hba', () => {
    expect(config.bootstrap.initdb).toEqual([{ 'auth-host': 'md5' }, { 'auth-local': 'trust' }, { encoding: 'UTF8' }, 'data-checksums']);
    expect(config.bootstrap).not.toHaveProperty('method');
    expect(config.bootstrap.pg_hba).toEqual(['host all all 0.0.0.0/0 md5', 'host replication replication 127.0.0.1/32 md5']);
  });

  it('logs, listens and authenticates the REST API as the reference does', () => {
    expect(config.log).toEqual({
      dir: '/var/log/postgresql',
      dateformat: '%Y-%m-%d %H:%M:%S %Z',
      format: '%(asctime)s [%(process)d]: %(levelname)s: %(message)s ',
      file_num: 10080,
      file_size: 600,
    });
    expect(config.restapi).toEqual({
      connect_address: 'postgresql-k8s-1.postgresql-k8s-endpoints:8008',
      listen: '0.0.0.0:8008',
      authentication: { username: 'patroni', password: 'api-pw' },
    });
  });

  it('configures the local PostgreSQL: addresses, directories, parameters, users', () => {
    const { pg_hba, parameters, ...rest } = config.postgresql;
    expect(rest).toEqual({
      connect_address: 'postgresql-k8s-1.postgresql-k8s-endpoints:5432',
      data_dir: `${STORAGE}/pgdata`,
      bin_dir: '/usr/lib/postgresql/14/bin',
      listen: '0.0.0.0:5432',
      pgpass: '/tmp/pgpass',
      basebackup: [{ checkpoint: 'fast' }],
      pg_ident: ['operator postgres backup'],
      callbacks: {
        on_role_change: `timeout 5 /bin/sh -c '[ -p /var/run/postgresql/role-changed.fifo ] && printf "%s\\n" "$2" > /var/run/postgresql/role-changed.fifo' role-change-callback`,
      },
      authentication: {
        replication: { username: 'replication', password: 'rep-pw' },
        rewind: { username: 'rewind', password: 'rw-pw' },
        superuser: { username: 'operator', password: 'op-pw' },
      },
    });
    expect(parameters).toEqual({
      shared_preload_libraries: 'timescaledb,pgaudit,pg_stat_statements',
      // not in the reference: a replica retries a new primary within a second after a failover
      wal_retrieve_retry_interval: '1s',
      archive_command: '/bin/true',
      'pg_stat_statements.max': 10000,
    });
    expect(pg_hba).toEqual([
      'local all backup peer map=operator',
      'local all monitoring password',
      'host all +internal_access 0.0.0.0/0 md5',
      'host app-db relation_id_3 0.0.0.0/0 md5',
      'host all operator 0.0.0.0/0 md5',
      'host all replication 0.0.0.0/0 md5',
      'host all rewind 0.0.0.0/0 md5',
      'host replication replication 127.0.0.1/32 md5',
      'host replication replication 127.0.0.6/32 md5',
      'host replication replication postgresql-k8s-0.postgresql-k8s-endpoints.dev.svc.cluster.local md5',
      'host replication replication postgresql-k8s-1.postgresql-k8s-endpoints.dev.svc.cluster.local md5',
    ]);
  });

  it('reads back exactly the object it was built from, as YAML 1.1', () => {
    const input: PatroniConfigInput = {
      ...base,
      parameters: { a: 'off', b: 'y', c: 'yes', d: '1:20', e: '0600', f: 0.005, g: 100000, h: true, DateStyle: 'ISO, MDY' },
    };
    const text = renderPatroniYaml(input);
    expect(load(text)).toEqual(buildPatroniConfig(input));
    expect(text).toContain('archive_mode: "on"');
    expect(text).toContain('a: "off"');
    expect(text).toContain('b: "y"');
    expect(text).not.toMatch(/&a\d|\*a\d/); // no YAML anchors or aliases
    expect(text.split('\n').some((line) => line.length > 80)).toBe(true); // long lines are not folded
  });
});

describe('renderPatroniYaml variants', () => {
  it('with TLS: hostssl rules, REST API and ctl certificates, ssl parameters', () => {
    const config = render({ tls: true });
    const files = { cafile: `${STORAGE}/ca.pem`, certfile: `${STORAGE}/cert.pem`, keyfile: `${STORAGE}/key.pem` };
    expect(config.restapi).toMatchObject(files);
    expect(config.ctl).toEqual({ cacert: `${STORAGE}/ca.pem`, certfile: `${STORAGE}/cert.pem`, keyfile: `${STORAGE}/key.pem` });
    expect(config.postgresql.parameters).toEqual({
      shared_preload_libraries: 'timescaledb,pgaudit,pg_stat_statements',
      wal_retrieve_retry_interval: '1s',
      archive_command: '/bin/true',
      ssl: 'on',
      ssl_ca_file: `${STORAGE}/ca.pem`,
      ssl_cert_file: `${STORAGE}/cert.pem`,
      ssl_key_file: `${STORAGE}/key.pem`,
      'pg_stat_statements.max': 10000,
    });
    const remote = (rules: string[]) => rules.filter((rule) => !rule.startsWith('local '));
    expect(remote(config.postgresql.pg_hba).every((rule: string) => rule.startsWith('hostssl '))).toBe(true);
    expect(config.bootstrap.pg_hba).toEqual(['hostssl all all 0.0.0.0/0 md5', 'hostssl replication replication 127.0.0.1/32 md5']);
  });

  it('without a REST password: no authentication block', () => {
    const config = render({ passwords: { superuser: 'a', replication: 'b', rewind: 'c' } });
    expect(config.restapi).not.toHaveProperty('authentication');
  });

  it('with backups: archives WAL to the stanza in both parameter sets', () => {
    const config = render({ archivingStanza: 'dev.patroni-postgresql-k8s' });
    const command = 'pgbackrest --stanza=dev.patroni-postgresql-k8s archive-push %p';
    expect(config.bootstrap.dcs.postgresql.parameters.archive_command).toBe(command);
    expect(config.postgresql.parameters.archive_command).toBe(command);
  });

  it('restoring: a pgBackRest custom bootstrap for each kind of target, no initdb', () => {
    const restore = (target: any, extra: object = {}) =>
      render({ restore: { stanza: 'dev.patroni-old', backupId: '20240101-010101F', target, ...extra } }).bootstrap;
    const plain = restore('immediate');
    expect(plain.method).toBe('pgbackrest');
    expect(plain.pgbackrest).toEqual({
      command:
        'pgbackrest --stanza=dev.patroni-old --pg1-path=/var/lib/postgresql/data/pgdata --set=20240101-010101F ' +
        '--target-action=promote --type=immediate restore',
      no_params: true,
      keep_existing_recovery_conf: true,
    });
    expect(plain).not.toHaveProperty('initdb');
    expect(restore({ time: '2024-01-02 03:04:05' }, { timeline: '1A' }).pgbackrest.command).toBe(
      'pgbackrest --stanza=dev.patroni-old --pg1-path=/var/lib/postgresql/data/pgdata --set=20240101-010101F ' +
        '--target-timeline="0x1A" --target-action=promote --target="2024-01-02 03:04:05" --type=time restore',
    );
    expect(render({ restore: { stanza: 's', target: 'latest' } }).bootstrap.pgbackrest.command).toBe(
      'pgbackrest --stanza=s --pg1-path=/var/lib/postgresql/data/pgdata --type=default restore',
    );
  });

  it('refuses restore values that would change the command', () => {
    const cases = [
      { stanza: 'a b', target: 'latest' as const },
      { stanza: 's', timeline: '0x1', target: 'latest' as const },
      { stanza: 's', target: { time: '2024" --type=default' } },
    ];
    for (const restore of cases) {
      expect(thrown(() => renderPatroniYaml({ ...base, restore })), JSON.stringify(restore)).toBeInstanceOf(InvalidPatroniSettingError);
    }
  });

  it('as an async standby: a standby_cluster in the bootstrap DCS and replication rules for the standby IPs', () => {
    const config = render({ standbyClusterHost: '10.1.2.3', extraReplicationEndpoints: ['10.9.8.7', 'fd00::7'] });
    expect(config.bootstrap.dcs.standby_cluster).toEqual({ host: '10.1.2.3', port: 5432, create_replica_methods: ['basebackup'] });
    expect(config.bootstrap).not.toHaveProperty('initdb');
    expect(config.bootstrap.pg_hba).toContain('host replication replication 10.9.8.7/32 md5');
    expect(config.postgresql.pg_hba).toContain('host replication replication 10.9.8.7/32 md5');
    expect(config.postgresql.pg_hba).toContain('host replication replication fd00::7/128 md5');
    expect(thrown(() => render({ extraReplicationEndpoints: ['not-an-ip'] }))).toBeInstanceOf(InvalidPatroniSettingError);
  });

  it('without connectivity: only the member itself may connect', () => {
    const rules: string[] = render({ connectivity: false }).postgresql.pg_hba;
    expect(rules.slice(0, 4)).toEqual([
      'local all backup peer map=operator',
      'local all monitoring password',
      'host all all postgresql-k8s-1.postgresql-k8s-endpoints.dev.svc.cluster.local md5',
      'host all all 0.0.0.0/0 reject',
    ]);
    expect(rules.some((rule) => rule.includes('internal_access') || rule.includes('relation_id_3'))).toBe(false);
  });

  it('with LDAP: identity_access authenticates against LDAP before the md5 rules', () => {
    const rules: string[] = render({
      ldap: {
        baseDn: 'dc=glauth,dc=com',
        bindDn: 'cn=admin,dc=glauth,dc=com',
        bindPassword: 'p"w',
        startTls: false,
        url: 'ldap://glauth:3893',
        searchFilter: '(uid=$username)',
      },
    }).postgresql.pg_hba;
    expect(rules.slice(2, 5)).toEqual([
      'host all +identity_access 0.0.0.0/0 ldap ldapbasedn="dc=glauth,dc=com" ldapbinddn="cn=admin,dc=glauth,dc=com" ' +
        'ldapbindpasswd="p""w" ldaptls=0 ldapurl="ldap://glauth:3893" ldapsearchfilter="(uid=$username)"',
      'host all +internal_access 0.0.0.0/0 md5',
      'host app-db relation_id_3 0.0.0.0/0 md5',
    ]);
  });

  it('quotes database and user names pg_hba would misread, and refuses line breaks', () => {
    const rules: string[] = render({ userDatabases: { 'odd user': ['my db', 'replication', 'ok'], skipped: [] } }).postgresql.pg_hba;
    expect(rules).toContain('host "my db","replication",ok "odd user" 0.0.0.0/0 md5');
    expect(rules.some((rule) => rule.includes('skipped'))).toBe(false);
    expect(thrown(() => render({ userDatabases: { u: ['a\nhost all all 0.0.0.0/0 trust'] } }))).toBeInstanceOf(InvalidHbaValueError);
  });

  it('tags the member only when it is not a sync candidate or is taking a backup', () => {
    expect(render({ noSync: true }).tags).toEqual({ nosync: true, is_creating_backup: false });
    expect(render({ creatingBackup: true }).tags).toEqual({ nosync: false, is_creating_backup: true });
    expect(render({ noSync: false, creatingBackup: false })).not.toHaveProperty('tags');
  });

  it('adds the computed parameters last, letting them override', () => {
    const parameters = render({ parameters: { work_mem: 4096, shared_buffers: '128', archive_command: 'x' } }).postgresql.parameters;
    expect(Object.keys(parameters)).toEqual(['shared_preload_libraries', 'wal_retrieve_retry_interval', 'archive_command', 'pg_stat_statements.max', 'work_mem', 'shared_buffers']);
    expect(parameters.archive_command).toBe('x');
    expect(parameters.shared_buffers).toBe('128');
  });

  it('takes the PostgreSQL version, binaries and machine specifics as inputs', () => {
    expect(render({ postgresqlVersion: 15 }).postgresql.bin_dir).toBe('/usr/lib/postgresql/15/bin');
    const config = render({ postgresqlVersion: 15, binDir: '/opt/pg/bin', sharedPreloadLibraries: ['pgaudit'], lcMessages: 'C.UTF-8', timing: { ttl: 10, loop_wait: 2, retry_timeout: 4 } });
    expect(config.postgresql.bin_dir).toBe('/opt/pg/bin');
    expect(config.bootstrap.dcs.postgresql.bin_dir).toBe('/opt/pg/bin');
    expect(config.bootstrap.dcs).toMatchObject({ ttl: 10, loop_wait: 2, retry_timeout: 4 });
    expect(config.bootstrap.dcs.postgresql.parameters).toMatchObject({ lc_messages: 'C.UTF-8', shared_preload_libraries: 'pgaudit' });
    expect(config.postgresql.parameters.shared_preload_libraries).toBe('pgaudit');
  });
});

describe('renderPatroniYaml on etcd3', () => {
  const dcs = selectDcs({ POSTGRESQL_DCS_ETCD_HOSTS: '127.0.0.1:2379' }, { app: 'pgtest', model: 'sandbox' });
  const config = load(
    renderPatroniYaml({
      ...base,
      unitName: 'pgtest/0',
      model: 'sandbox',
      dcs,
      memberHost: '127.0.0.1',
      endpoints: ['127.0.0.1'],
      postgresqlVersion: 15,
      ports: { postgresql: 5501, patroniApi: 8101 },
      listenAddress: '127.0.0.1',
    }),
  );

  it('has the etcd3 section and key prefix, and no Kubernetes section', () => {
    expect(config.namespace).toBe('/service/sandbox/');
    expect(config.etcd3).toEqual({ hosts: ['127.0.0.1:2379'], protocol: 'http' });
    expect(config).not.toHaveProperty('kubernetes');
  });

  it('holds every key of the minimal working config that Patroni 3.0.2 needs to start', () => {
    // The minimal patroni.yml that started a 3-member cluster here
    // (docs/patroni-rest-api.md#a-minimal-working-configuration).
    expect(config).toMatchObject({
      scope: 'patroni-pgtest',
      name: 'pgtest-0',
      restapi: { listen: '127.0.0.1:8101', connect_address: '127.0.0.1:8101' },
      etcd3: { hosts: ['127.0.0.1:2379'] },
      bootstrap: { dcs: { synchronous_mode: true, postgresql: { use_pg_rewind: true } } },
      postgresql: {
        listen: '127.0.0.1:5501',
        connect_address: '127.0.0.1:5501',
        data_dir: '/var/lib/postgresql/data/pgdata',
        bin_dir: '/usr/lib/postgresql/15/bin',
        pgpass: '/tmp/pgpass',
      },
    });
    expect(config.bootstrap.initdb).toEqual(expect.arrayContaining([{ encoding: 'UTF8' }, 'data-checksums']));
    for (const user of ['superuser', 'replication', 'rewind']) {
      expect(config.postgresql.authentication[user], user).toEqual({ username: expect.any(String), password: expect.any(String) });
    }
    expect(config.log.dir).toEqual(expect.any(String));
    expect(config.postgresql.pg_hba.length).toBeGreaterThan(0);
  });
});

describe('renderPatroniYaml on etcd3 with auth', () => {
  const password = "p w'x\\y:z\"#{}";
  const dcs = selectDcs(
    { POSTGRESQL_DCS_ETCD_HOSTS: '127.0.0.1:2379', POSTGRESQL_DCS_ETCD_USERNAME: 'patroni', POSTGRESQL_DCS_ETCD_PASSWORD: password },
    { app: 'pgtest', model: 'sandbox' },
  );
  const text = renderPatroniYaml({ ...base, unitName: 'pgtest/0', model: 'sandbox', dcs, memberHost: '127.0.0.1', endpoints: ['127.0.0.1'], postgresqlVersion: 15 });

  it("gives Patroni etcd's user and password in the etcd3 section, any character intact, and nowhere else", () => {
    const config = load(text);
    expect(config.etcd3).toEqual({ hosts: ['127.0.0.1:2379'], protocol: 'http', username: 'patroni', password });
    const leaves = (value: unknown): unknown[] => (value !== null && typeof value === 'object' ? Object.values(value).flatMap(leaves) : [value]);
    expect(leaves(config).filter((leaf) => typeof leaf === 'string' && leaf.includes('x\\y')).length).toBe(1);
  });
});
