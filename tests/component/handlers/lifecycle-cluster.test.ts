import { access, readFile } from 'node:fs/promises';
import YAML from 'yaml';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addUnit, enterScope, leaveScope, removeUnit, setLeader } from '../../../sandbox/juju/model.ts';
import { charmHarness, type Harness } from '../../support/juju-harness.ts';
import { startPostgres, type PostgresInstance } from '../../support/postgres-instance.ts';
import { APP, appStatus, unitStatus } from './support/charm-under-test.ts';
import {
  appSecret,
  createPatroniUsers,
  hook,
  memberName,
  PATRONI_YML,
  peerAppData,
  peerRelationId,
  resetDatabase,
  running,
  Scenario,
  unitName,
  type Wired,
} from './support/scenario.ts';

const [UNIT0, UNIT1, UNIT2] = [unitName(0), unitName(1), unitName(2)];
const endpoint = (n: number) => `${memberName(n)}.${APP}-endpoints`;
let postgres: PostgresInstance;
let scenario: Scenario;

beforeAll(async () => {
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

async function initialiseLeader(harness: Harness, leader: Wired, members = [running(0, 'leader')]): Promise<void> {
  await hook(harness, UNIT0, { hook: 'leader-elected' }, leader);
  scenario.setMembers(members);
  await createPatroniUsers(harness, postgres);
  await hook(harness, UNIT0, { hook: 'pebble-ready' }, leader);
  expect(peerAppData(harness)['cluster_initialised']).toBe('True');
}

describe('passwords', () => {
  it('are created once by the leader and never rotated by later hooks or a new leader', async () => {
    const harness = charmHarness({ units: 2 });
    const unit0 = await scenario.wire(0);
    const unit1 = await scenario.wire(1);
    await hook(harness, UNIT0, { hook: 'leader-elected' }, unit0);
    const first = await appSecret(harness);
    expect(Object.keys(first)).toHaveLength(6);
    expect(new Set(Object.values(first)).size).toBe(6);

    await hook(harness, UNIT0, { hook: 'leader-elected' }, unit0);
    await hook(harness, UNIT0, { hook: 'config-changed' }, unit0);
    await hook(harness, UNIT0, { hook: 'upgrade-charm' }, unit0);
    setLeader(harness.model, APP, UNIT1);
    await hook(harness, UNIT1, { hook: 'leader-elected' }, unit1);
    expect(await appSecret(harness, UNIT1)).toEqual(first);
  });
});

describe('a non-leader before the cluster is initialised', () => {
  it('waits with its config in place, starts Patroni once the leader has bootstrapped, then goes Active', async () => {
    const harness = charmHarness({ units: 2 });
    const unit0 = await scenario.wire(0);
    const unit1 = await scenario.wire(1);
    const relationId = peerRelationId(harness);

    // Before the leader has stored any password there is nothing to render.
    await hook(harness, UNIT1, { hook: 'pebble-ready' }, unit1);
    expect(unitStatus(harness, UNIT1)).toEqual({ status: 'waiting', message: 'awaiting for cluster to start' });
    await expect(access(unit1.workload.path(PATRONI_YML))).rejects.toThrow();

    await hook(harness, UNIT0, { hook: 'leader-elected' }, unit0);
    await hook(harness, UNIT1, { hook: 'pebble-ready' }, unit1);
    expect(unitStatus(harness, UNIT1)).toEqual({ status: 'waiting', message: 'awaiting for cluster to start' });
    await access(unit1.workload.path(PATRONI_YML));
    expect((await unit1.workload.client().plan()).services['postgresql']).toBeUndefined();

    // The leader bootstraps alone: Primary, degraded (1 of 2 planned members runs).
    scenario.setMembers([running(0, 'leader')]);
    await createPatroniUsers(harness, postgres);
    await hook(harness, UNIT0, { hook: 'pebble-ready' }, unit0);
    expect(unitStatus(harness, UNIT0)).toEqual({ status: 'active', message: 'Primary (degraded)' });
    expect(appStatus(harness)).toEqual({ status: 'active', message: 'degraded: 1 of 2 members running' });

    // cluster_initialised reaches unit 1 as relation-changed: Patroni starts there.
    await hook(harness, UNIT1, { hook: 'peer-relation', kind: 'changed', relationId, remoteUnit: UNIT0 }, unit1);
    expect((await unit1.workload.client().services(['postgresql']))[0]?.current).toBe('active');
    expect(unitStatus(harness, UNIT1)).toEqual({ status: 'waiting', message: 'awaiting for member to start' });

    const serving = () => harness.model.relations.find((r) => r.id === relationId)!.unitData[UNIT1]?.['member-serving'];
    expect(serving()).toBe('False');

    scenario.setMembers([running(0, 'leader'), running(1, 'sync_standby')]);
    await hook(harness, UNIT1, { hook: 'update-status' }, unit1);
    expect(unitStatus(harness, UNIT1)).toEqual({ status: 'active', message: '' });
    // The flip is in unit 1's peer bag: the primary hears of it through relation-changed.
    expect(serving()).toBe('True');
    await hook(harness, UNIT0, { hook: 'peer-relation', kind: 'changed', relationId, remoteUnit: UNIT1 }, unit0);
    expect(unitStatus(harness, UNIT0)).toEqual({ status: 'active', message: 'Primary' });
    expect(appStatus(harness)).toEqual({ status: 'active', message: '' });
  });
});

describe('membership', () => {
  it('adds a joiner to the endpoints, drops a departed unit, and follows with the synchronous node count', async () => {
    const harness = charmHarness({ units: 2 });
    const relationId = peerRelationId(harness);
    const unit0 = await scenario.wire(0);
    await initialiseLeader(harness, unit0, [running(0, 'leader'), running(1, 'sync_standby')]);
    expect(JSON.parse(peerAppData(harness)['endpoints']!)).toEqual([endpoint(0), endpoint(1)]);
    expect(unit0.patroni.config).toMatchObject({ synchronous_node_count: 1, synchronous_mode_strict: true });

    addUnit(harness.model, APP, { address: '10.1.0.12' });
    enterScope(harness.model, relationId, UNIT2);
    await hook(harness, UNIT0, { hook: 'peer-relation', kind: 'joined', relationId, remoteUnit: UNIT2 }, unit0);
    expect(JSON.parse(peerAppData(harness)['endpoints']!)).toEqual([endpoint(0), endpoint(1), endpoint(2)]);
    expect(unit0.patroni.config).toMatchObject({ synchronous_node_count: 2 });

    // The departing unit itself has nothing to do.
    const unit2 = await scenario.wire(2);
    const departing = await hook(harness, UNIT2, { hook: 'peer-relation', kind: 'departed', relationId, remoteUnit: UNIT0, departingUnit: UNIT2 }, unit2);
    expect(departing.logs).not.toContain('reconciled');

    leaveScope(harness.model, relationId, UNIT2);
    removeUnit(harness.model, UNIT2);
    await hook(harness, UNIT0, { hook: 'peer-relation', kind: 'departed', relationId, remoteUnit: UNIT2, departingUnit: UNIT2 }, unit0);
    expect(JSON.parse(peerAppData(harness)['endpoints']!)).toEqual([endpoint(0), endpoint(1)]);
    expect(unit0.patroni.config).toMatchObject({ synchronous_node_count: 1 });
  });
});

describe('a new primary', () => {
  it('announces its role, so the old primary drops "Primary" on the relation-changed that follows', async () => {
    const harness = charmHarness({ units: 2 });
    const relationId = peerRelationId(harness);
    const unit0 = await scenario.wire(0);
    const unit1 = await scenario.wire(1);
    await initialiseLeader(harness, unit0, [running(0, 'leader'), running(1, 'sync_standby')]);
    await hook(harness, UNIT1, { hook: 'peer-relation', kind: 'changed', relationId, remoteUnit: UNIT0 }, unit1);
    expect(unitStatus(harness, UNIT0)).toEqual({ status: 'active', message: 'Primary' });
    expect(unitStatus(harness, UNIT1)).toEqual({ status: 'active', message: '' });
    const role = (unit: string) => harness.model.relations.find((r) => r.id === relationId)!.unitData[unit]?.['member-role'];
    expect([role(UNIT0), role(UNIT1)]).toEqual(['primary', 'replica']);

    // A switchover (or failover) makes unit 1 the leader; a hook there shows it and tells the peers.
    scenario.setMembers([running(0, 'sync_standby'), running(1, 'leader')]);
    await hook(harness, UNIT1, { hook: 'update-status' }, unit1);
    expect(unitStatus(harness, UNIT1)).toEqual({ status: 'active', message: 'Primary' });
    expect(role(UNIT1)).toBe('primary');
    await hook(harness, UNIT0, { hook: 'peer-relation', kind: 'changed', relationId, remoteUnit: UNIT1 }, unit0);
    expect(unitStatus(harness, UNIT0)).toEqual({ status: 'active', message: '' });
    expect(role(UNIT0)).toBe('replica');
  });
});

describe('a unit joining an initialised cluster', () => {
  it('starts Patroni only once the leader has admitted it to the endpoints (and so to every pg_hba)', async () => {
    const harness = charmHarness({ units: 1 });
    const relationId = peerRelationId(harness);
    const unit0 = await scenario.wire(0);
    const unit1 = await scenario.wire(1);
    await initialiseLeader(harness, unit0);
    addUnit(harness.model, APP, { address: '10.1.0.11' });
    enterScope(harness.model, relationId, UNIT1);

    await hook(harness, UNIT1, { hook: 'pebble-ready' }, unit1);
    expect(unitStatus(harness, UNIT1)).toEqual({ status: 'waiting', message: 'awaiting for member to start' });
    expect((await unit1.workload.client().plan()).services['postgresql']).toBeUndefined();

    await hook(harness, UNIT0, { hook: 'peer-relation', kind: 'joined', relationId, remoteUnit: UNIT1 }, unit0);
    expect(JSON.parse(peerAppData(harness)['endpoints']!)).toEqual([endpoint(0), endpoint(1)]);
    await hook(harness, UNIT1, { hook: 'peer-relation', kind: 'changed', relationId, remoteUnit: UNIT0 }, unit1);
    expect((await unit1.workload.client().services(['postgresql']))[0]?.current).toBe('active');
  });
});

describe('a member Patroni is bringing back up', () => {
  it('is waited for (bounded) when Patroni says it is coming up, so the status is not left at Waiting', async () => {
    const harness = charmHarness({ units: 2 });
    const relationId = peerRelationId(harness);
    const unit0 = await scenario.wire(0);
    const unit1 = await scenario.wire(1, {}, { timing: { memberStartTimeoutMs: 5_000 } });
    await initialiseLeader(harness, unit0, [running(0, 'leader'), running(1, 'sync_standby')]);
    await hook(harness, UNIT1, { hook: 'peer-relation', kind: 'changed', relationId, remoteUnit: UNIT0 }, unit1);
    expect(unitStatus(harness, UNIT1)).toEqual({ status: 'active', message: '' });

    // A demoted primary restarting after a switchover: Patroni answers, PostgreSQL is not up yet.
    scenario.setMembers([running(0, 'leader'), running(1, 'replica', { state: 'stopped' })]);
    const back = setTimeout(() => scenario.setMembers([running(0, 'leader'), running(1, 'sync_standby')]), 300);
    await hook(harness, UNIT1, { hook: 'peer-relation', kind: 'changed', relationId, remoteUnit: UNIT0 }, unit1).finally(() => clearTimeout(back));
    expect(unitStatus(harness, UNIT1)).toEqual({ status: 'active', message: '' });

    // Up here, but the DCS (what peers count) says so only at Patroni's next loop: the unit
    // waits for that before it shows and announces its place.
    scenario.setMembers([running(0, 'leader'), running(1, 'replica', { state: 'stopped', localState: 'running' })]);
    const recorded = setTimeout(() => scenario.setMembers([running(0, 'leader'), running(1, 'sync_standby')]), 300);
    const before = Date.now();
    await hook(harness, UNIT1, { hook: 'update-status' }, unit1).finally(() => clearTimeout(recorded));
    expect(Date.now() - before).toBeGreaterThanOrEqual(300);
    expect(unitStatus(harness, UNIT1)).toEqual({ status: 'active', message: '' });

    // A member that is not coming up by itself (here: creating a replica) gets one look only.
    scenario.setMembers([running(0, 'leader'), running(1, 'replica', { state: 'creating replica' })]);
    const started = Date.now();
    await hook(harness, UNIT1, { hook: 'update-status' }, unit1);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(unitStatus(harness, UNIT1)).toEqual({ status: 'waiting', message: 'awaiting for member to start' });
  });
});

describe('strict synchronous mode on scale-up', () => {
  it('waits until the joiner runs before the primary refuses commits without a standby', async () => {
    const harness = charmHarness({ units: 1 });
    const relationId = peerRelationId(harness);
    const unit0 = await scenario.wire(0);
    await initialiseLeader(harness, unit0);
    expect(unit0.patroni.config).toMatchObject({ synchronous_node_count: 0, synchronous_mode_strict: false });

    // A second unit joins; its Patroni is still copying the database.
    addUnit(harness.model, APP, { address: '10.1.0.11' });
    enterScope(harness.model, relationId, UNIT1);
    scenario.setMembers([running(0, 'leader'), running(1, 'replica', { state: 'creating replica' })]);
    await hook(harness, UNIT0, { hook: 'peer-relation', kind: 'joined', relationId, remoteUnit: UNIT1 }, unit0);
    expect(unit0.patroni.config).toMatchObject({ synchronous_node_count: 1, synchronous_mode_strict: false });

    // Running but not yet caught up: Patroni has not chosen it, commits would wait for it.
    scenario.setMembers([running(0, 'leader'), running(1, 'replica')]);
    await hook(harness, UNIT0, { hook: 'update-status' }, unit0);
    expect(unit0.patroni.config).toMatchObject({ synchronous_mode_strict: false });

    // Once Patroni has made it a sync standby (the unit's member-serving flip reaches the leader
    // as relation-changed), strict goes on.
    scenario.setMembers([running(0, 'leader'), running(1, 'sync_standby')]);
    await hook(harness, UNIT0, { hook: 'peer-relation', kind: 'changed', relationId, remoteUnit: UNIT1 }, unit0);
    expect(unit0.patroni.config).toMatchObject({ synchronous_node_count: 1, synchronous_mode_strict: true });

    // And stays on when that replica stops: that is what strict mode is for.
    scenario.setMembers([running(0, 'leader'), running(1, 'replica', { state: 'stopped' })]);
    await hook(harness, UNIT0, { hook: 'update-status' }, unit0);
    expect(unit0.patroni.config).toMatchObject({ synchronous_mode_strict: true });
  });
});

describe('strict synchronous mode once the joiner runs', () => {
  it('waits (bounded) for Patroni to choose the running replica as sync standby, then turns strict on', async () => {
    const harness = charmHarness({ units: 2 });
    const unit0 = await scenario.wire(0, {}, { timing: { memberStartTimeoutMs: 5_000 } });
    await initialiseLeader(harness, unit0, [running(0, 'leader'), running(1, 'replica', { state: 'creating replica' })]);
    expect(unit0.patroni.config).toMatchObject({ synchronous_mode_strict: false });

    scenario.setMembers([running(0, 'leader'), running(1, 'replica')]);
    const chosen = setTimeout(() => scenario.setMembers([running(0, 'leader'), running(1, 'sync_standby')]), 300);
    const started = Date.now();
    await hook(harness, UNIT0, { hook: 'update-status' }, unit0).finally(() => clearTimeout(chosen));
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(unit0.patroni.config).toMatchObject({ synchronous_node_count: 1, synchronous_mode_strict: true });
  });
});

describe('pgdata-storage-detaching', () => {
  it('hands the primary role to the sync standby before the storage goes', async () => {
    const harness = charmHarness({ units: 2 });
    const unit0 = await scenario.wire(0);
    scenario.setMembers([running(0, 'leader'), running(1, 'sync_standby')]);
    await hook(harness, UNIT0, { hook: 'storage-detaching' }, unit0);
    const switchovers = unit0.patroni.requests.filter((call) => call.path === '/switchover');
    expect(switchovers.map((call) => call.body)).toEqual([{ leader: memberName(0), candidate: null }]);
    expect(scenario.members.find((member) => member.role === 'leader')?.name).toBe(memberName(1));
  });

  it('takes a dying sync standby out of the sync set (nosync) and waits until the primary has picked another', async () => {
    const harness = charmHarness({ units: 3 });
    const relationId = peerRelationId(harness);
    const unit0 = await scenario.wire(0);
    const unit1 = await scenario.wire(1);
    await initialiseLeader(harness, unit0, [running(0, 'leader'), running(1, 'sync_standby'), running(2, 'replica')]);
    await hook(harness, UNIT1, { hook: 'peer-relation', kind: 'changed', relationId, remoteUnit: UNIT0 }, unit1);
    expect(await readFile(unit1.workload.path(PATRONI_YML), 'utf8')).not.toContain('nosync');

    harness.model.units[UNIT1]!.life = 'dying';
    // Other hooks of a dying unit leave it a sync candidate: only storage-detaching hands over.
    await hook(harness, UNIT1, { hook: 'update-status' }, unit1);
    expect(await readFile(unit1.workload.path(PATRONI_YML), 'utf8')).not.toContain('nosync');
    // Patroni's primary moves the role once it sees the tag: here, a little after the hook starts.
    const moved = setTimeout(() => scenario.setMembers([running(0, 'leader'), running(1, 'replica'), running(2, 'sync_standby')]), 200);
    const started = Date.now();
    const result = await hook(harness, UNIT1, { hook: 'storage-detaching' }, unit1).finally(() => clearTimeout(moved));
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(result.logs).toContain('no longer a synchronous standby');
    expect(YAML.parse(await readFile(unit1.workload.path(PATRONI_YML), 'utf8')).tags).toEqual({ nosync: true, is_creating_backup: false });
    expect(unit1.patroni.requests.filter((call) => call.path === '/switchover')).toEqual([]);
  });

  it('turns strict mode off when the last sync standby goes and no replica can replace it', async () => {
    const harness = charmHarness({ units: 2 });
    const unit1 = await scenario.wire(1);
    scenario.setMembers([running(0, 'leader'), running(1, 'sync_standby')]);
    unit1.patroni.config = { ...unit1.patroni.config, synchronous_node_count: 1, synchronous_mode_strict: true };
    harness.model.units[UNIT1]!.life = 'dying';
    const result = await hook(harness, UNIT1, { hook: 'storage-detaching' }, unit1);
    expect(result.logs).toContain('no other replica to take the role');
    expect(unit1.patroni.config).toMatchObject({ synchronous_node_count: 1, synchronous_mode_strict: false });
  });

  it('leaves a replica, or a primary without healthy replicas, to Patroni', async () => {
    const harness = charmHarness({ units: 2 });
    const unit1 = await scenario.wire(1);
    scenario.setMembers([running(0, 'leader'), running(1, 'sync_standby')]);
    await hook(harness, UNIT1, { hook: 'storage-detaching' }, unit1);
    const unit0 = await scenario.wire(0);
    scenario.setMembers([running(0, 'leader'), running(1, 'replica', { state: 'starting' })]);
    await hook(harness, UNIT0, { hook: 'storage-detaching' }, unit0);
    expect([...unit0.patroni.requests, ...unit1.patroni.requests].filter((call) => call.path === '/switchover')).toEqual([]);
  });
});
