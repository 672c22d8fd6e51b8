import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BAD_SCOPE_MESSAGE,
  CLUSTER_SCOPE_UNSUPPORTED_MESSAGE,
  CLUSTER_UNREACHABLE_MESSAGE,
  getPrimary,
  promoteToPrimary,
  SUPERFLUOUS_FORCE_MESSAGE,
  SWITCHOVER_FAILED_MESSAGE,
} from '../../../src/actions/index.ts';
import { charmHarness } from '../../support/juju-harness.ts';
import { startFakePatroni, type FakeMember, type FakePatroni } from '../../support/fake-patroni.ts';
import { APP, capturedLogger, startActionOn, testPatroniClient } from './support.ts';

let fake: FakePatroni;

beforeEach(async () => {
  fake = await startFakePatroni({ password: 'patroni-pass' });
});

afterEach(async () => {
  await fake.close();
});

/** Set the cluster every member reports: one role per unit number. */
const cluster = (...roles: Array<FakeMember['role']>) =>
  fake.cluster.members.splice(0, Infinity, ...roles.map((role, n): FakeMember => ({ name: `${APP}-${n}`, role, state: 'running', host: '127.0.0.1' })));
const twoMembers = (leader: number, sync: number | undefined) =>
  leader === 0 ? cluster('leader', sync === 1 ? 'sync_standby' : 'replica') : cluster(sync === 0 ? 'sync_standby' : 'replica', 'leader');
const switchoverAnswer = (status: number, text: string) => fake.once('POST /switchover', { status, text });

async function run(name: 'get-primary' | 'promote-to-primary', params: Record<string, unknown> = {}, unit = `${APP}/1`, url = fake.url) {
  const harness = charmHarness({ units: 2 });
  const running = startActionOn(harness, unit, name, params);
  const deps = {
    tools: running.tools,
    logger: capturedLogger().logger,
    unitName: unit,
    appName: APP,
    patroni: () => testPatroniClient(url),
  };
  if (name === 'get-primary') await getPrimary(running.event, deps);
  else await promoteToPrimary(running.event, deps, { timeoutMs: 300, intervalMs: 50 });
  return running.action;
}

const requests = () => fake.requests.map((r) => `${r.method} ${r.path}`);

describe('get-primary', () => {
  it('reports the leader as a unit name', async () => {
    twoMembers(1, 0);
    const action = await run('get-primary', {}, `${APP}/0`);
    expect(action.failed).toBe(false);
    expect(action.results).toEqual({ primary: `${APP}/1` });
    expect(requests()).toEqual(['GET /cluster']);
  });

  it('fails when no member answers, instead of returning nothing', async () => {
    await fake.close();
    const action = await run('get-primary', {}, `${APP}/0`, fake.url);
    expect(action.failed).toBe(true);
    expect(action.message).toBe(CLUSTER_UNREACHABLE_MESSAGE);
    expect(action.results).toEqual({});
  });

  it('fails when the cluster has no leader', async () => {
    cluster('replica', 'replica');
    const action = await run('get-primary');
    expect(action.message).toBe('The cluster has no primary right now (it may be failing over): run the action again shortly');
  });
});

describe('promote-to-primary parameters', () => {
  it.each([
    [{}, BAD_SCOPE_MESSAGE],
    [{ scope: 'everything' }, BAD_SCOPE_MESSAGE],
    [{ scope: 'unit', force: true }, SUPERFLUOUS_FORCE_MESSAGE],
    [{ scope: 'cluster' }, CLUSTER_SCOPE_UNSUPPORTED_MESSAGE],
    [{ scope: 'cluster', force: true }, CLUSTER_SCOPE_UNSUPPORTED_MESSAGE],
  ])('%j fails with a precise message and asks Patroni nothing', async (params, message) => {
    const action = await run('promote-to-primary', params);
    expect(action.failed).toBe(true);
    expect(action.message).toBe(message);
    expect(fake.requests).toEqual([]);
  });

  it('says the typo-free force message and that cluster scope is unsupported', () => {
    expect(SUPERFLUOUS_FORCE_MESSAGE).toBe('Superfluous force flag with unit scope');
    expect(CLUSTER_SCOPE_UNSUPPORTED_MESSAGE).toMatch(/does not support yet; use scope=unit/);
  });
});

describe('promote-to-primary scope=unit', () => {
  it('switches over to this unit when it is the sync standby, and waits for it to lead', async () => {
    twoMembers(0, 1);
    const action = await run('promote-to-primary', { scope: 'unit', force: false });
    expect(action.failed).toBe(false);
    expect(requests()).toEqual(['GET /cluster', 'POST /switchover', 'GET /cluster']);
    expect(fake.requests[1]).toMatchObject({ body: { leader: `${APP}-0`, candidate: `${APP}-1` }, auth: true }); // the fake checks the password
    expect(fake.cluster.members.find((m) => m.role === 'leader')?.name).toBe(`${APP}-1`);
    expect(action.messages.map((m) => m.message)).toEqual([`${APP}/1 is now the primary`]);
  });

  it("sends the switchover to the primary's own API, which Patroni wakes at once", async () => {
    const primary = await startFakePatroni({ password: 'patroni-pass', cluster: fake.cluster, self: `${APP}-0` });
    try {
      twoMembers(0, 1);
      const action = await run('promote-to-primary', { scope: 'unit' });
      expect(action.failed).toBe(false);
      expect(primary.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /switchover']);
      expect(primary.requests[0]).toMatchObject({ body: { leader: `${APP}-0`, candidate: `${APP}-1` }, auth: true });
      expect(requests()).not.toContain('POST /switchover');
    } finally {
      await primary.close();
    }
  });

  it("asks this member when the primary's API cannot be reached", async () => {
    twoMembers(0, 1);
    fake.cluster.members[0]!.api_url = 'http://127.0.0.1:1/patroni'; // nothing listens on port 1
    const action = await run('promote-to-primary', { scope: 'unit' });
    expect(action.failed).toBe(false);
    expect(requests()).toContain('POST /switchover');
    expect(fake.cluster.members.find((m) => m.role === 'leader')?.name).toBe(`${APP}-1`);
  }, 20_000);

  it('does nothing when this unit already is the primary', async () => {
    twoMembers(1, 0);
    const action = await run('promote-to-primary', { scope: 'unit' });
    expect(action.failed).toBe(false);
    expect(requests()).toEqual(['GET /cluster']);
    expect(action.messages.map((m) => m.message)).toEqual([`${APP}/1 is already the primary`]);
  });

  it('names the sync standby when this unit is not it', async () => {
    cluster('leader', 'replica', 'sync_standby');
    const action = await run('promote-to-primary', { scope: 'unit' });
    expect(action.message).toBe(`Unit is not sync standby: the sync standby is ${APP}/2; run the action on that unit`);
    expect(requests()).toEqual(['GET /cluster']);
  });

  it('says when there is no sync standby at all', async () => {
    twoMembers(0, undefined);
    const action = await run('promote-to-primary', { scope: 'unit' });
    expect(action.message).toBe(
      'Unit is not sync standby: the cluster has no sync standby right now; wait until a replica has caught up and run the action again',
    );
  });

  it('maps Patroni refusing a non-sync candidate (a race) to the reference message', async () => {
    twoMembers(0, 1);
    switchoverAnswer(412, 'candidate name does not match with sync_standby');
    const action = await run('promote-to-primary', { scope: 'unit' });
    expect(action.message).toBe('Unit is not sync standby');
  });

  it('fails when Patroni refuses the switchover', async () => {
    twoMembers(0, 1);
    switchoverAnswer(503, 'Switchover failed');
    const action = await run('promote-to-primary', { scope: 'unit' });
    expect(action.message).toBe(SWITCHOVER_FAILED_MESSAGE);
  });

  it('fails when this unit never shows up as the primary', async () => {
    twoMembers(0, 1);
    switchoverAnswer(200, `Successfully switched over to "${APP}-1"`); // …but the leader stays
    const action = await run('promote-to-primary', { scope: 'unit' });
    expect(action.message).toBe(SWITCHOVER_FAILED_MESSAGE);
    expect(requests().filter((r) => r === 'GET /cluster').length).toBeGreaterThan(2);
  });
});
