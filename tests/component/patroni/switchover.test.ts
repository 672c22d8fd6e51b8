import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logging.ts';
import {
  allMembersReady,
  PatroniClient,
  primaryOf,
  runningMembers,
  SwitchoverFailedError,
  SwitchoverNotSyncError,
  syncStandbysOf,
} from '../../../src/patroni/index.ts';
import { startPatroniStack, type PatroniStack } from '../../support/patroni-stack.ts';

// Two real Patroni members in synchronous mode (leader + sync standby), plain HTTP, shared by the file.
let stack: PatroniStack;
let leader: string;
let standby: string;
const silent = createLogger({ level: 'silent' });

function clientOf(name: string): PatroniClient {
  const member = stack.members.find((m) => m.name === name)!;
  const peerUrls = stack.urls.filter((url) => url !== member.restUrl);
  return new PatroniClient({ url: member.restUrl, peerUrls, password: stack.restPassword, logger: silent });
}

beforeAll(async () => {
  stack = await startPatroniStack({ members: 2 });
  const view = await stack.clusterView();
  leader = view!.members.find((m) => m.role === 'leader')!.name;
  standby = view!.members.find((m) => m.role === 'sync_standby')!.name;
});

afterAll(async () => {
  await stack?.stop();
});

describe('a two-member synchronous Patroni cluster', () => {
  it('shows a leader and a sync standby from any member', async () => {
    const fromStandby = await clientOf(standby).cluster();
    expect(primaryOf(fromStandby)).toBe(leader);
    expect(syncStandbysOf(fromStandby)).toEqual([standby]);
    expect(runningMembers(fromStandby).sort()).toEqual([leader, standby].sort());
    expect(allMembersReady(fromStandby)).toBe(true);
    expect(fromStandby.members.find((m) => m.name === standby)!.state).toBe('running'); // 3.0.2 says running, not streaming

    expect(primaryOf(await clientOf(leader).cluster())).toBe(leader);
    expect((await clientOf(standby).patroni()).sync_standby).toBe(true);
  });

  it('refuses a switchover to a member that is not the sync standby', async () => {
    const error = await clientOf(leader).switchover({ leader, candidate: leader }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SwitchoverNotSyncError);
    expect(error).toMatchObject({ status: 412 });
    await expect(clientOf(leader).switchover({ leader: standby, candidate: standby })).rejects.toMatchObject({
      code: 'patroni-switchover-failed',
      status: 412,
      body: 'leader name does not match',
    });
    expect(primaryOf(await clientOf(standby).clusterFromAny())).toBe(leader);
  });

  it('switches over to the sync standby', async () => {
    const started = Date.now();
    const result = await clientOf(leader).switchover({ leader, candidate: standby });
    expect(result.newLeader).toBe(standby);
    expect(Date.now() - started).toBeLessThan(25_000);

    const newPrimary = await clientOf(leader).waitForNewPrimary({ previous: leader, candidate: standby, intervalMs: 250, timeoutMs: 20_000 });
    expect(newPrimary).toBe(standby);
    expect(primaryOf(await clientOf(standby).cluster())).toBe(standby);
  });

  it('rejects a switchover request naming the old leader', async () => {
    await expect(clientOf(standby).switchover({ leader, candidate: standby })).rejects.toBeInstanceOf(SwitchoverFailedError);
  });
});
