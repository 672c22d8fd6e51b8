import { describe, expect, it } from 'vitest';
import { PostgreSQLConnectionError, SharedBuffersTooLargeError, WorkerProcessLimitError } from '../../../lib/postgresql/index.ts';
import { parseCharmConfigOrThrow, type CharmConfig } from '../../../src/config/index.ts';
import { hasAllAccessGroups, runningPrimaryHost, systemUsersToCreate } from '../../../src/handlers/reconcile/cluster-initialisation.ts';
import { activeView } from '../../../src/handlers/reconcile/cluster-view.ts';
import { databaseCheckStatus, localeProblems } from '../../../src/handlers/reconcile/database-config-checks.ts';
import { configPatchDelta } from '../../../src/handlers/reconcile/dynamic-config.ts';
import { desiredEndpoints, endpointsUpdate } from '../../../src/handlers/reconcile/endpoints.ts';
import { extensionPlan } from '../../../src/handlers/reconcile/extensions.ts';
import { digest } from '../../../src/handlers/reconcile/memo.ts';
import { generatePassword, passwordsToGenerate } from '../../../src/handlers/reconcile/passwords.ts';
import { parameterErrorStatus } from '../../../src/handlers/reconcile/patroni-config-file.ts';
import { computeParameters, patroniConfigInput, restoreSettings, systemUserDatabases } from '../../../src/handlers/reconcile/patroni-config-input.ts';
import { isLowOnSpace } from '../../../src/handlers/reconcile/service-health.ts';
import { isTransientFailure } from '../../../src/handlers/reconcile/transient.ts';
import { shouldLeaveSyncSet, shouldSwitchOver } from '../../../src/handlers/storage-detaching.ts';
import { PatroniApiError, PatroniAuthError, PatroniUnreachableError } from '../../../src/patroni/index.ts';
import { ChangeError, PebbleApiError, PebbleConnectionError } from '../../../src/pebble/index.ts';
import { flavourSettings } from '../../../src/workload-probe/index.ts';
import { selectDcs } from '../../../src/workload/index.ts';

const config = (overrides: Record<string, unknown> = {}): CharmConfig => parseCharmConfigOrThrow(overrides);
const GIB = 1024 ** 3;

describe('endpoints', () => {
  it('lists this unit and its peers in unit-number order', () => {
    expect(desiredEndpoints('pg/2', ['pg/10', 'pg/0'])).toEqual(['pg-0.pg-endpoints', 'pg-2.pg-endpoints', 'pg-10.pg-endpoints']);
    expect(desiredEndpoints('pg/0', [])).toEqual(['pg-0.pg-endpoints']);
  });

  it('writes only when the set of members changes', () => {
    const two = ['pg-0.pg-endpoints', 'pg-1.pg-endpoints'];
    expect(endpointsUpdate(two, two)).toBeUndefined();
    expect(endpointsUpdate([...two].reverse(), two)).toBeUndefined();
    expect(endpointsUpdate(undefined, two)).toEqual(two);
    expect(endpointsUpdate(two, [...two, 'pg-2.pg-endpoints'])).toEqual([...two, 'pg-2.pg-endpoints']);
    expect(endpointsUpdate(two, ['pg-0.pg-endpoints'])).toEqual(['pg-0.pg-endpoints']);
    expect(endpointsUpdate(['pg-0.pg-endpoints', 'pg-9.pg-endpoints'], two)).toEqual(two);
  });
});

describe('passwords', () => {
  it('are 16 alphanumerics drawn with the picker', () => {
    expect(generatePassword()).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(generatePassword(4, () => 0)).toBe('AAAA');
    expect(generatePassword(3, (max) => max - 1)).toBe('999');
    expect(new Set(Array.from({ length: 50 }, () => generatePassword())).size).toBe(50);
  });

  it('are generated only for users without one, backup included', () => {
    expect(passwordsToGenerate({})).toEqual(['backup', 'operator', 'replication', 'rewind', 'monitoring', 'patroni']);
    expect(passwordsToGenerate({ operator: 'x', patroni: 'y' })).toEqual(['backup', 'replication', 'rewind', 'monitoring']);
    expect(passwordsToGenerate({ backup: 'a', operator: 'b', replication: 'c', rewind: 'd', monitoring: 'e', patroni: 'f' })).toEqual([]);
    expect(passwordsToGenerate({ backup: '' })).toContain('backup');
  });
});

describe('cluster initialisation', () => {
  const passwords = { backup: 'bk', monitoring: 'mon' };
  it('creates only the missing charm users: backup as superuser, monitoring with pg_monitor', () => {
    expect(systemUsersToCreate(['operator', 'replication', 'rewind'], passwords)).toEqual([
      { user: 'backup', password: 'bk', admin: true, extraUserRoles: [] },
      { user: 'monitoring', password: 'mon', admin: false, extraUserRoles: ['pg_monitor'] },
    ]);
    expect(systemUsersToCreate(['backup'], passwords).map((u) => u.user)).toEqual(['monitoring']);
    expect(systemUsersToCreate(['monitoring'], passwords).map((u) => u.user)).toEqual(['backup']);
    expect(systemUsersToCreate(['backup', 'monitoring'], passwords)).toEqual([]);
  });

  it('wants exactly the three access groups', () => {
    expect(hasAllAccessGroups(['identity_access', 'internal_access', 'relation_access'])).toBe(true);
    expect(hasAllAccessGroups(['relation_access', 'identity_access', 'internal_access'])).toBe(true);
    expect(hasAllAccessGroups(['identity_access', 'internal_access'])).toBe(false);
    expect(hasAllAccessGroups(['identity_access', 'internal_access', 'relation_access', 'other_access'])).toBe(false);
  });

  it('finds a running primary only', () => {
    const member = (role: string, state: string, host: string) => ({ name: host, role, state, host, port: 5432 });
    expect(runningPrimaryHost({ members: [member('replica', 'running', 'a'), member('leader', 'running', 'b')] })).toBe('b');
    expect(runningPrimaryHost({ members: [member('leader', 'starting', 'b')] })).toBeUndefined();
    expect(runningPrimaryHost({ members: [member('standby_leader', 'running', 'b')] })).toBeUndefined();
    expect(runningPrimaryHost({ members: [] })).toBeUndefined();
  });
});

describe('activeView', () => {
  const member = (name: string, role: string, state = 'running') => ({ name, role, state, host: name, port: 5432 });
  it('counts running and streaming members (a replica still starting serves nothing yet) and names this member’s role', () => {
    const cluster = { members: [member('a', 'leader'), member('b', 'sync_standby', 'streaming'), member('c', 'replica', 'starting'), member('d', 'replica', 'stopped')] };
    expect(activeView(cluster, 'a', 4)).toEqual({ role: 'primary', runningMembers: 2, plannedUnits: 4 });
    expect(activeView(cluster, 'b', 4)?.role).toBe('replica');
    expect(activeView({ members: [member('s', 'standby_leader')] }, 's', 1)?.role).toBe('standby-leader');
    expect(activeView(cluster, 'z', 4)).toBeUndefined();
  });
});

describe('configPatchDelta (PATCH only what differs)', () => {
  const current = {
    ttl: 30,
    synchronous_node_count: 1,
    synchronous_mode_strict: true,
    postgresql: { use_pg_rewind: true, parameters: { max_connections: 100, max_worker_processes: '8', shared_buffers: 4096 } },
  };
  it('is undefined when everything already matches (numbers and numeric strings alike)', () => {
    expect(configPatchDelta(current, { synchronous_node_count: 1, postgresql: { parameters: { max_connections: '100', max_worker_processes: 8 } } })).toBeUndefined();
  });
  it('keeps only the differing keys, nested', () => {
    expect(configPatchDelta(current, { synchronous_node_count: 2, synchronous_mode_strict: true, postgresql: { parameters: { max_connections: 100, wal_keep_size: 4096 } } })).toEqual({
      synchronous_node_count: 2,
      postgresql: { parameters: { wal_keep_size: 4096 } },
    });
  });
  it('sends null only for keys that exist', () => {
    expect(configPatchDelta(current, { postgresql: { parameters: { shared_buffers: null } } })).toEqual({ postgresql: { parameters: { shared_buffers: null } } });
    expect(configPatchDelta(current, { standby_cluster: null })).toBeUndefined();
  });
  it('treats booleans strictly and compares arrays whole', () => {
    expect(configPatchDelta({ a: 'true' }, { a: true })).toEqual({ a: true });
    expect(configPatchDelta({ a: [1, 2] }, { a: [1, 2] })).toBeUndefined();
    expect(configPatchDelta({ a: [1, 2] }, { a: [2, 1] })).toEqual({ a: [2, 1] });
    expect(configPatchDelta({ a: 1 }, { a: { b: 1 } })).toEqual({ a: { b: 1 } });
  });
});

describe('computeParameters', () => {
  it('resolves worker counts against the CPUs and writes wal_compression as on/off', () => {
    const { parameters, workerConfig } = computeParameters(config(), { memoryBytes: 8 * GIB, cpuCores: 2 });
    expect(workerConfig).toMatchObject({ max_worker_processes: '4', max_parallel_workers: '4' });
    expect(parameters).toMatchObject({ max_worker_processes: '4', wal_compression: 'on' });
    expect(Object.values(parameters)).not.toContain('auto');
    expect(computeParameters(config({ cpu_wal_compression: false }), { memoryBytes: 8 * GIB, cpuCores: 2 }).parameters['wal_compression']).toBe('off');
  });

  it('sizes shared buffers from the container memory, lowered by profile_limit_memory', () => {
    const full = computeParameters(config(), { memoryBytes: 8 * GIB, cpuCores: 4 }).parameters;
    expect(full['shared_buffers']).toBe(String(Math.trunc((Math.trunc(8 * GIB * 0.25) * 128) / 10 ** 6)));
    const limited = computeParameters(config({ profile_limit_memory: 1000 }), { memoryBytes: 8 * GIB, cpuCores: 4 }).parameters;
    expect(limited['shared_buffers']).toBe(String(Math.trunc((Math.trunc(10 ** 9 * 0.25) * 128) / 10 ** 6)));
    expect(computeParameters(config({ profile: 'testing' }), { memoryBytes: 8 * GIB, cpuCores: 4 }).parameters['shared_buffers']).toBeUndefined();
  });

  it('takes track_functions from the config module’s rule', () => {
    const { parameters } = computeParameters(config({ optimizer_track_functions: 'all' }), { memoryBytes: 8 * GIB, cpuCores: 4 });
    expect(parameters['track_functions']).toBe('all');
  });

  it('throws the typed errors the step turns into Blocked, naming the option', () => {
    expect(() => computeParameters(config({ memory_shared_buffers: 60_000 }), { memoryBytes: 10 ** 9, cpuCores: 4 })).toThrow(SharedBuffersTooLargeError);
    expect(() => computeParameters(config({ cpu_max_worker_processes: '50' }), { memoryBytes: 8 * GIB, cpuCores: 4 })).toThrow(WorkerProcessLimitError);
    expect(parameterErrorStatus(new SharedBuffersTooLargeError(400))).toBe('Configuration Error: memory_shared_buffers is over 40% of the available memory');
    expect(parameterErrorStatus(new WorkerProcessLimitError('cpu_max_worker_processes', 50, 40))).toBe(
      'Configuration Error: cpu_max_worker_processes=50 is over 40 (10 x vCPUs)',
    );
  });
});

describe('patroni.yml inputs', () => {
  it('gives the charm users explicit rules only before initialisation', () => {
    expect(systemUserDatabases(false)).toEqual({ operator: 'all', replication: 'all', rewind: 'all' });
    expect(systemUserDatabases(true)).toEqual({});
  });

  it('maps the app bag’s restore keys', () => {
    expect(restoreSettings({}, {})).toBeUndefined();
    expect(restoreSettings({ 'restoring-backup': 'b1' }, {})).toBeUndefined();
    expect(restoreSettings({ 'restoring-backup': 'b1', 'restore-stanza': 's' }, {})).toEqual({ stanza: 's', backupId: 'b1', target: 'immediate' });
    expect(restoreSettings({ 'restore-to-time': 'latest', 'restore-stanza': 's' }, { 'restore-timeline': '2' })).toEqual({ stanza: 's', timeline: '2', target: 'latest' });
    expect(restoreSettings({ 'restore-to-time': '2025-01-01 10:00:00', 'restore-stanza': 's' }, {})).toEqual({
      stanza: 's',
      target: { time: '2025-01-01 10:00:00' },
    });
  });

  it('assembles the workload input from config, bags and probe', () => {
    const input = patroniConfigInput({
      unitName: 'pg/1',
      model: 'm',
      dcs: selectDcs({ POSTGRESQL_DCS_ETCD_HOSTS: 'etcd:2379' }, { app: 'pg', model: 'm' }),
      endpoints: ['pg-0.pg-endpoints', 'pg-1.pg-endpoints', 'pg-2.pg-endpoints'],
      workload: { flavour: 'debian', version: '15.18', major: 15, binDir: '/usr/lib/postgresql/15/bin', ...flavourSettings('debian'), sharedPreloadLibraries: ['pgaudit'], patroniLeaderLabel: 'primary' },
      passwords: { operator: 'op', replication: 'rep', rewind: 'rw', patroni: 'api' },
      tls: false,
      config: config({ synchronous_node_count: 'majority' }),
      parameters: { work_mem: 1024 },
      workerConfig: { max_worker_processes: '4', max_logical_replication_workers: '4' },
      cpuCores: 2,
      plannedUnits: 3,
      app: { cluster_initialised: true, stanza: 'm.patroni-pg' },
      appExtra: {},
      unit: { connectivity: 'off' },
    });
    expect(input).toMatchObject({
      postgresqlVersion: 15,
      passwords: { superuser: 'op', replication: 'rep', rewind: 'rw', patroniApi: 'api' },
      connectivity: false,
      userDatabases: {},
      synchronousNodeCount: 1,
      archivingStanza: 'm.patroni-pg',
      sharedPreloadLibraries: ['pgaudit'],
      lcMessages: 'C.UTF-8',
      parameters: { work_mem: 1024 },
      // What the leader will PATCH later is what the cluster bootstraps with: no restart after deploy.
      bootstrapParameters: { max_connections: 100, max_worker_processes: '4', max_logical_replication_workers: '4', max_wal_senders: 25 },
    });
    expect(input.restore).toBeUndefined();
  });
});

describe('config checks against the database', () => {
  it('accepts locales however the codeset is spelt', () => {
    const values = { response_lc_monetary: 'C', response_lc_numeric: 'en_US.UTF-8', response_lc_time: 'fr_FR.utf8' };
    expect(localeProblems(values, ['C', 'C.utf8', 'POSIX', 'en_US.utf8', 'fr_FR.utf8'])).toEqual([]);
    expect(localeProblems(values, ['C', 'POSIX'])).toEqual([
      'Value for response_lc_numeric not one of the locales available in the system',
      'Value for response_lc_time not one of the locales available in the system',
    ]);
  });

  it('summarises problems in one status line', () => {
    expect(databaseCheckStatus(['request_time_zone config option has an invalid value'])).toBe(
      'Configuration Error: request_time_zone config option has an invalid value',
    );
    expect(databaseCheckStatus(['a', 'b', 'c'])).toBe('Configuration Error: a (and 2 more)');
  });
});

describe('small rules', () => {
  it('blocks below 10% free space', () => {
    expect(isLowOnSpace({ totalBytes: 100, availableBytes: 9 })).toBe(true);
    expect(isLowOnSpace({ totalBytes: 100, availableBytes: 10 })).toBe(false);
    expect(isLowOnSpace({ totalBytes: 0, availableBytes: 0 })).toBe(false);
  });

  const member = (name: string, role: string, state = 'running') => ({ name, role, state, host: name, port: 5432 });

  it('switches over only from a primary with ready replicas', () => {
    expect(shouldSwitchOver({ members: [member('a', 'leader'), member('b', 'sync_standby')] }, 'a').switchOver).toBe(true);
    expect(shouldSwitchOver({ members: [member('a', 'leader'), member('b', 'sync_standby')] }, 'b').switchOver).toBe(false);
    expect(shouldSwitchOver({ members: [member('a', 'leader')] }, 'a').switchOver).toBe(false);
    expect(shouldSwitchOver({ members: [member('a', 'leader'), member('b', 'replica', 'starting')] }, 'a').switchOver).toBe(false);
  });

  it('gives up the sync standby role before the storage goes only when another replica runs', () => {
    const three = (c: string, cState = 'running') => ({ members: [member('a', 'leader'), member('b', 'sync_standby'), member('c', c, cState)] });
    expect(shouldLeaveSyncSet(three('replica'), 'b').leave).toBe(true);
    expect(shouldLeaveSyncSet(three('sync_standby', 'streaming'), 'b').leave).toBe(true);
    expect(shouldLeaveSyncSet(three('replica', 'starting'), 'b')).toEqual({ leave: false, reason: 'no other replica to take the role' });
    // A running replica may already be in synchronous_standby_names before /cluster says so.
    expect(shouldLeaveSyncSet(three('replica'), 'c').leave).toBe(true);
    expect(shouldLeaveSyncSet(three('replica'), 'a')).toEqual({ leave: false, reason: 'not a running replica' });
    expect(shouldLeaveSyncSet(three('replica', 'starting'), 'c')).toEqual({ leave: false, reason: 'not a running replica' });
  });

  it('finds plugins enabled without what they require', () => {
    expect(extensionPlan(config()).unsatisfied).toEqual([]);
    expect(extensionPlan(config()).wanted.get('pgaudit')).toBe(true);
    expect(extensionPlan(config({ plugin_postgis_tiger_geocoder_enable: true, plugin_postgis_enable: true })).unsatisfied).toEqual([
      { extension: 'postgis_tiger_geocoder', missing: ['fuzzystrmatch'] },
    ]);
  });

  it('retries later only what a later hook can fix', () => {
    expect(isTransientFailure(new PatroniUnreachableError('u', 'refused'))).toBe(true);
    expect(isTransientFailure(new PatroniApiError('u', 503, ''))).toBe(true);
    expect(isTransientFailure(new PatroniApiError('u', 412, ''))).toBe(false);
    expect(isTransientFailure(new PatroniAuthError('u', ''))).toBe(true);
    expect(isTransientFailure(new PebbleConnectionError('/s', 'gone'))).toBe(true);
    expect(isTransientFailure(new PebbleApiError({ status: 400, statusText: 'Bad Request', message: 'x', body: {} }))).toBe(false);
    expect(isTransientFailure(new ChangeError({ id: '1', kind: 'k', summary: '', status: 'Error', ready: true, err: 'x', spawnTime: '', tasks: [], data: {} }))).toBe(true);
    expect(isTransientFailure(new Error('outer', { cause: new PostgreSQLConnectionError('refused') }))).toBe(true);
    expect(isTransientFailure(new Error('bug'))).toBe(false);
  });

  it('digests inputs stably', () => {
    expect(digest([['a', true]])).toBe(digest([['a', true]]));
    expect(digest([['a', true]])).not.toBe(digest([['a', false]]));
  });
});
