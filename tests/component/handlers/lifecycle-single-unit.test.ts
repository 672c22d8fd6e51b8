import { readFile, stat } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { setConfig } from '../../../sandbox/juju/model.ts';
import { KUBERNETES_DONE, type KubernetesObjects, type KubernetesOutcome } from '../../../src/clients/kubernetes-objects.ts';
import { refreshWorkloadConfig } from '../../../src/handlers/reconcile.ts';
import { charmHarness, type Harness } from '../../support/juju-harness.ts';
import { asSuperuser, startPostgres, tryLogin, type PostgresInstance } from '../../support/postgres-instance.ts';
import { APP, appStatus, unitStatus } from './support/charm-under-test.ts';
import {
  appSecret,
  createPatroniUsers,
  hook,
  memberName,
  PATRONI_YML,
  peerAppData,
  resetDatabase,
  running,
  Scenario,
  unitName,
  type Wired,
} from './support/scenario.ts';

const UNIT0 = unitName(0);
let postgres: PostgresInstance;
let scenario: Scenario;

beforeAll(async () => {
  // pgaudit must be preloaded for CREATE EXTENSION pgaudit (the default plugin).
  postgres = await startPostgres({ settings: { shared_preload_libraries: 'pgaudit' } });
});
afterAll(async () => {
  await postgres?.stop();
});
beforeEach(async () => {
  await resetDatabase(postgres);
  scenario = new Scenario(postgres);
});
afterEach(async () => {
  await scenario.release();
});

async function patroniYml(unit: Wired): Promise<Record<string, any>> {
  return parse(await readFile(unit.workload.path(PATRONI_YML), 'utf8')) as Record<string, any>;
}

/** leader-elected, pebble-ready (member not up), then Patroni up and the check recovering. */
async function bootstrap(harness: Harness, unit: Wired): Promise<void> {
  await hook(harness, UNIT0, { hook: 'leader-elected' }, unit);
  await hook(harness, UNIT0, { hook: 'pebble-ready' }, unit);
  scenario.setMembers([running(0, 'leader')]);
  await createPatroniUsers(harness, postgres);
  await hook(harness, UNIT0, { hook: 'pebble-check-recovered' }, unit);
  expect(unitStatus(harness, UNIT0)).toEqual({ status: 'active', message: 'Primary' });
}

describe('single unit: from pebble-ready to Active "Primary"', () => {
  it('waits for the member, then initialises the cluster and shows Primary', async () => {
    const harness = charmHarness({ units: 1 });
    const unit = await scenario.wire(0);

    await hook(harness, UNIT0, { hook: 'leader-elected' }, unit);
    const secrets = await appSecret(harness);
    for (const password of Object.values(secrets)) expect(password).toMatch(/^[A-Za-z0-9]{16}$/);

    // Patroni is not up yet: the member is missing from the cluster.
    await hook(harness, UNIT0, { hook: 'pebble-ready' }, unit);
    expect(unitStatus(harness, UNIT0)).toEqual({ status: 'waiting', message: 'awaiting for cluster to start' });
    expect(appStatus(harness)).toEqual({ status: 'waiting', message: 'awaiting for cluster to start' });

    // The layer is in the server's plan, running the configured patroni.yml as postgres.
    const plan = await unit.workload.client().plan();
    expect(plan.services['postgresql']).toMatchObject({
      command: `${unit.workload.daemon} ${PATRONI_YML}`,
      user: 'postgres',
      environment: { PATRONI_NAME: memberName(0), PATRONI_SCOPE: `patroni-${APP}` },
    });
    expect(plan.checks['postgresql']?.http?.url).toBe(`http://${memberName(0)}.${APP}-endpoints:8008/health`);
    const [service] = await unit.workload.client().services(['postgresql']);
    expect(service?.current).toBe('active');

    // The storage belongs to postgres and PGDATA exists, 0750.
    const postgresUid = (await stat(unit.workload.path('/var/lib/postgresql/data/pgdata'))).uid;
    expect(postgresUid).not.toBe(0);
    expect((await stat(unit.workload.path('/var/lib/postgresql/data'))).uid).toBe(postgresUid);
    expect((await stat(unit.workload.path('/var/lib/postgresql/data/pgdata'))).mode & 0o777).toBe(0o750);

    // patroni.yml: 0600 postgres, etcd3 from the pod environment, the stored passwords.
    const info = await stat(unit.workload.path(PATRONI_YML));
    expect(info.mode & 0o777).toBe(0o600);
    expect(info.uid).toBe(postgresUid);
    const yml = await patroniYml(unit);
    expect(yml['etcd3']).toEqual({ hosts: ['127.0.0.1:2379'], protocol: 'http' });
    expect(yml['postgresql'].authentication.superuser).toEqual({ username: 'operator', password: secrets['operator'] });
    expect(yml['restapi'].authentication).toEqual({ username: 'patroni', password: secrets['patroni'] });
    expect(yml['postgresql'].bin_dir).toBe('/usr/lib/postgresql/15/bin');
    expect(yml['postgresql'].parameters.shared_preload_libraries).toBe('pgaudit,pg_stat_statements');
    // 8 GiB, production profile: a quarter of the memory as shared buffers (8 kB pages).
    expect(yml['postgresql'].parameters.shared_buffers).toBe(String(Math.trunc((2 * 1024 ** 3 * 128) / 10 ** 6)));
    expect(yml['bootstrap'].dcs.postgresql.parameters.lc_messages).toBe('C.UTF-8');
    expect(yml['postgresql'].pg_hba).toContain('host all operator 0.0.0.0/0 md5');
    expect(harness.model.units[UNIT0]!.workloadVersion).toMatch(/^15(\.\d+)?$/);

    // Patroni bootstraps: the member runs as leader; Pebble's check recovers.
    scenario.setMembers([running(0, 'leader')]);
    await createPatroniUsers(harness, postgres);
    const recovered = await hook(harness, UNIT0, { hook: 'pebble-check-recovered' }, unit);
    expect(unitStatus(harness, UNIT0)).toEqual({ status: 'active', message: 'Primary' });
    expect(appStatus(harness)).toEqual({ status: 'active', message: '' });
    expect(recovered.patroniOptions[0]).toMatchObject({ url: `http://${memberName(0)}.${APP}-endpoints:8008`, password: secrets['patroni'] });

    // Initialisation: backup logs in with the stored password; monitoring has pg_monitor; groups exist.
    expect(peerAppData(harness)['cluster_initialised']).toBe('True');
    expect(await tryLogin(postgres, 'backup', secrets['backup']!)).toBeNull();
    expect(await tryLogin(postgres, 'monitoring', secrets['monitoring']!)).toBeNull();
    const roles = await asSuperuser(postgres, (client) =>
      client.query<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE pg_has_role('monitoring', oid, 'member') OR rolname LIKE '%_access'"),
    );
    expect(roles.rows.map((row) => row.rolname)).toEqual(expect.arrayContaining(['pg_monitor', 'identity_access', 'internal_access', 'relation_access']));
    const extensions = await asSuperuser(postgres, (client) => client.query("SELECT 1 FROM pg_extension WHERE extname = 'pgaudit'"));
    expect(extensions.rowCount).toBe(1);

    // The leader PATCHed the dynamic configuration once; a repeat reconcile writes nothing again.
    const patches = () => unit.patroni.requests.filter((call) => call.method === 'PATCH');
    expect(patches()).toHaveLength(1);
    expect(unit.patroni.config).toMatchObject({ synchronous_node_count: 0, synchronous_mode_strict: false, maximum_lag_on_failover: 1048576 });
    const mtime = (await stat(unit.workload.path(PATRONI_YML))).mtimeMs;
    expect(await unit.workload.reloads()).toBe(0);
    const again = await hook(harness, UNIT0, { hook: 'update-status' }, unit);
    expect(patches()).toHaveLength(1);
    expect(again.logs).not.toContain('extensions reconciled');
    expect(unitStatus(harness, UNIT0)).toEqual({ status: 'active', message: 'Primary' });
    // Initialised: the explicit rules for the charm's users gave way to the access groups.
    expect((await patroniYml(unit))['postgresql'].pg_hba).not.toContain('host all operator 0.0.0.0/0 md5');
    expect((await stat(unit.workload.path(PATRONI_YML))).mtimeMs).toBeGreaterThan(mtime);
    // Only the file changed, so Patroni was told to re-read it rather than restarted.
    await expect.poll(() => unit.workload.reloads()).toBe(1);
    // Steady state: neither the file nor the services are touched again.
    const mtime2 = (await stat(unit.workload.path(PATRONI_YML))).mtimeMs;
    const changeCount = async () => (await unit.workload.client().changes({ select: 'all' })).filter((change) => change.kind !== 'exec').length;
    const changes = await changeCount();
    await hook(harness, UNIT0, { hook: 'update-status' }, unit);
    expect((await stat(unit.workload.path(PATRONI_YML))).mtimeMs).toBe(mtime2);
    expect(await changeCount()).toBe(changes);
  });
});

describe('config: Blocked while invalid, Active again once fixed', () => {
  it('names the bad option, logs every issue, and recovers through config-changed alone', async () => {
    const harness = charmHarness({ units: 1 });
    const unit = await scenario.wire(0);
    await bootstrap(harness, unit);

    setConfig(harness.model, APP, { connection_authentication_timeout: 9999, optimizer_geqo_effort: 99 });
    const bad = await hook(harness, UNIT0, { hook: 'config-changed' }, unit);
    expect(unitStatus(harness, UNIT0)).toEqual({
      status: 'blocked',
      message: 'Configuration Error: connection_authentication_timeout=9999 is invalid (and 1 more)',
    });
    expect(appStatus(harness).status).toBe('blocked');
    expect(bad.logs).toContain('optimizer_geqo_effort=99 is invalid');
    expect((await patroniYml(unit))['postgresql'].parameters.authentication_timeout).toBe(60);

    setConfig(harness.model, APP, { connection_authentication_timeout: 120, optimizer_geqo_effort: null });
    await hook(harness, UNIT0, { hook: 'config-changed' }, unit);
    expect(unitStatus(harness, UNIT0)).toEqual({ status: 'active', message: 'Primary' });
    expect(appStatus(harness)).toEqual({ status: 'active', message: '' });
    expect((await patroniYml(unit))['postgresql'].parameters.authentication_timeout).toBe(120);
  });

  it('checks values only PostgreSQL knows before rendering them', async () => {
    const harness = charmHarness({ units: 1 });
    const unit = await scenario.wire(0);
    await bootstrap(harness, unit);

    setConfig(harness.model, APP, { request_time_zone: 'Mars/Olympus_Mons' });
    await hook(harness, UNIT0, { hook: 'config-changed' }, unit);
    expect(unitStatus(harness, UNIT0)).toEqual({
      status: 'blocked',
      message: 'Configuration Error: request_time_zone config option has an invalid value',
    });
    // The member keeps its last good configuration.
    expect((await patroniYml(unit))['postgresql'].parameters.TimeZone).toBe('UTC');

    setConfig(harness.model, APP, { request_time_zone: 'Europe/Paris' });
    await hook(harness, UNIT0, { hook: 'config-changed' }, unit);
    expect(unitStatus(harness, UNIT0)).toEqual({ status: 'active', message: 'Primary' });
    expect((await patroniYml(unit))['postgresql'].parameters.TimeZone).toBe('Europe/Paris');
  });

  it('blocks on shared buffers over 40% of the container memory, naming memory_shared_buffers', async () => {
    const harness = charmHarness({ units: 1 });
    // 1 GB cgroup limit: at most 400 MB, i.e. 50000 pages of 8 kB.
    const unit = await scenario.wire(0, { memoryMax: String(10 ** 9) });
    await bootstrap(harness, unit);
    setConfig(harness.model, APP, { memory_shared_buffers: 60_000 });
    await hook(harness, UNIT0, { hook: 'config-changed' }, unit);
    expect(unitStatus(harness, UNIT0)).toEqual({
      status: 'blocked',
      message: 'Configuration Error: memory_shared_buffers is over 40% of the available memory',
    });
    setConfig(harness.model, APP, { memory_shared_buffers: 40_000 });
    await hook(harness, UNIT0, { hook: 'config-changed' }, unit);
    expect(unitStatus(harness, UNIT0)).toEqual({ status: 'active', message: 'Primary' });
    expect(unit.patroni.config).toMatchObject({ postgresql: { parameters: { shared_buffers: 40_000 } } });
  });

  it('blocks a plugin enabled without what it requires, and clears when fixed', async () => {
    const harness = charmHarness({ units: 1 });
    const unit = await scenario.wire(0);
    await bootstrap(harness, unit);
    setConfig(harness.model, APP, { plugin_postgis_raster_enable: true });
    await hook(harness, UNIT0, { hook: 'config-changed' }, unit);
    expect(unitStatus(harness, UNIT0)).toEqual({ status: 'blocked', message: 'Unsatisfied plugin dependencies. Please check the logs' });
    setConfig(harness.model, APP, { plugin_postgis_raster_enable: null });
    await hook(harness, UNIT0, { hook: 'config-changed' }, unit);
    expect(unitStatus(harness, UNIT0)).toEqual({ status: 'active', message: 'Primary' });
  });
});

describe('refreshWorkloadConfig (for set-password)', () => {
  it('re-renders patroni.yml with a rotated password and has Patroni re-read it', async () => {
    const harness = charmHarness({ units: 1 });
    const unit = await scenario.wire(0);
    await bootstrap(harness, unit);
    // The first reconcile after initialisation already reloads once (pg_hba changes).
    await hook(harness, UNIT0, { hook: 'update-status' }, unit);
    await expect.poll(() => unit.workload.reloads()).toBe(1);
    await hook(harness, UNIT0, { hook: 'update-status' }, {
      ...unit,
      within: async (charm) => {
        await charm.secrets.set('app', { 'rewind-password': 'Rotated0123456789' });
        await refreshWorkloadConfig(charm, { kind: 'update-status' });
      },
    });
    expect((await patroniYml(unit))['postgresql'].authentication.rewind).toEqual({ username: 'rewind', password: 'Rotated0123456789' });
    await expect.poll(() => unit.workload.reloads()).toBe(2);
  });
});

describe('the workload container', () => {
  it('is waited for while Pebble does not answer', async () => {
    const harness = charmHarness({ units: 1 });
    const unit = await scenario.wire(0);
    await unit.workload.stop();
    await hook(harness, UNIT0, { hook: 'leader-elected' }, unit);
    expect(unitStatus(harness, UNIT0)).toEqual({ status: 'waiting', message: 'waiting for the workload container' });
    // The leader's passwords do not need the container.
    expect(Object.values(await appSecret(harness)).every(Boolean)).toBe(true);
  });
});

describe('update-status', () => {
  it('restarts an inactive Patroni service and shows Maintenance until the member is back', async () => {
    const harness = charmHarness({ units: 1 });
    const unit = await scenario.wire(0);
    await bootstrap(harness, unit);

    await unit.workload.client().stop(['postgresql']);
    scenario.setMembers([running(0, 'leader', { state: 'stopped' })]);
    await hook(harness, UNIT0, { hook: 'update-status' }, unit);
    expect(unitStatus(harness, UNIT0)).toEqual({ status: 'maintenance', message: 'Database service inactive, restarting' });
    const [service] = await unit.workload.client().services(['postgresql']);
    expect(service?.current).toBe('active');

    scenario.setMembers([running(0, 'leader')]);
    await hook(harness, UNIT0, { hook: 'update-status' }, unit);
    expect(unitStatus(harness, UNIT0)).toEqual({ status: 'active', message: 'Primary' });
  });

  it('restarts a member whose parameters wait for a restart', async () => {
    const harness = charmHarness({ units: 1 });
    const unit = await scenario.wire(0);
    await bootstrap(harness, unit);
    scenario.setMembers([running(0, 'leader', { pending_restart: true })]);
    await hook(harness, UNIT0, { hook: 'update-status' }, unit);
    const restarts = unit.patroni.requests.filter((call) => call.method === 'POST' && call.path === '/restart');
    expect(restarts.map((call) => call.body)).toEqual([{ restart_pending: true }]);
    expect(scenario.members[0]?.pending_restart).toBeUndefined();
    expect(unitStatus(harness, UNIT0)).toEqual({ status: 'active', message: 'Primary' });
    // Peers waiting for their turn learn of it through our peer bag, not at the next update-status.
    const peer = harness.model.relations.find((relation) => relation.interface === 'postgresql_peers')!;
    expect(peer.unitData[UNIT0]?.['postgresql-restarted-at']).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });
});

describe('Kubernetes objects', () => {
  it('blocks without trust before starting Patroni, and carries on once trusted', async () => {
    let answer: KubernetesOutcome = { kind: 'forbidden', message: 'pods "postgresql-k8s-0" is forbidden' };
    const calls: string[] = [];
    const kubernetes: KubernetesObjects = {
      onKubernetes: true,
      patchPodLabels: async (unit) => (calls.push(`labels ${unit}`), answer),
      ensureRoleServices: async () => (calls.push('services'), answer),
      deleteStalePatroniObjects: async () => (calls.push('cleanup'), answer),
      adoptCreatedObjects: async () => KUBERNETES_DONE,
    };
    const harness = charmHarness({ units: 1 });
    const unit = await scenario.wire(0, {}, { kubernetes, env: { KUBERNETES_SERVICE_HOST: '10.152.183.1' } });
    await hook(harness, UNIT0, { hook: 'pebble-ready' }, unit);
    expect(unitStatus(harness, UNIT0)).toEqual({ status: 'blocked', message: `Insufficient permissions, try: \`juju trust ${APP} --scope=cluster\`` });
    expect((await unit.workload.client().plan()).services['postgresql']).toBeUndefined();

    answer = KUBERNETES_DONE;
    calls.length = 0;
    await hook(harness, UNIT0, { hook: 'update-status' }, unit);
    expect(calls).toEqual([`labels ${UNIT0}`, 'cleanup', 'services']);
    expect(unitStatus(harness, UNIT0)).toEqual({ status: 'waiting', message: 'awaiting for member to start' });
    const yml = await patroniYml(unit);
    expect(yml['kubernetes']).toMatchObject({ namespace: harness.model.name, use_endpoints: true });
  });
});
