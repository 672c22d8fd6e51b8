import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promoteToPrimary, setPassword } from '../../../src/actions/index.ts';
import { memberNameToUnitName } from '../../../src/patroni/index.ts';
import { charmHarness } from '../../support/juju-harness.ts';
import { startPatroniStack, type PatroniStack, type PatroniStackMember } from '../../support/patroni-stack.ts';
import { APP, capturedLogger, memberSqlFrom, seedAppSecret, startActionOn, testPatroniClient } from '../../unit/actions/support.ts';

// One real two-member synchronous Patroni 3.0.2 cluster (members `postgresql-k8s-0/1`): the
// replay wait of set-password and the switchover of promote-to-primary against the real thing.
let stack: PatroniStack;

beforeAll(async () => {
  stack = await startPatroniStack({ members: 2 });
  await withClient(stack.pgConfig(await leaderMember()), (client) => client.query("CREATE ROLE monitoring LOGIN PASSWORD 'monOld0001'"));
});

afterAll(async () => {
  await stack?.stop();
});

async function leaderMember(): Promise<PatroniStackMember> {
  const view = await stack.clusterView();
  const name = view?.members.find((m) => m.role === 'leader')?.name;
  return stack.members.find((m) => m.name === name)!;
}

async function withClient<T>(config: pg.ClientConfig, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(config);
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function canLogin(member: PatroniStackMember, user: string, password: string): Promise<boolean> {
  return withClient({ host: '127.0.0.1', port: member.pgPort, user, password, database: 'postgres' }, async () => true).catch(() => false);
}

function deps(harnessUnit: string, running: ReturnType<typeof startActionOn>) {
  const leaderUrl = stack.urls[0]!;
  return {
    tools: running.tools,
    secrets: running.secrets,
    logger: capturedLogger().logger,
    unitName: harnessUnit,
    appName: APP,
    patroni: () => testPatroniClient(leaderUrl, { password: stack.restPassword, peerUrls: stack.urls.slice(1) }),
    // The stack's superuser stands in for `operator`.
    memberSql: memberSqlFrom({ user: 'postgres', password: stack.superuser.password, database: 'postgres' }),
  };
}

describe('actions against a real Patroni cluster', () => {
  it('set-password: the new password logs in on every member when the action returns', async () => {
    const harness = charmHarness({ units: 2 });
    await seedAppSecret(harness, { 'monitoring-password': 'monOld0001' });
    const running = startActionOn(harness, `${APP}/0`, 'set-password', { username: 'monitoring', password: 'monNew0002' });
    await setPassword(running.event, deps(`${APP}/0`, running), { replayTimeoutMs: 20_000, replayIntervalMs: 200 });

    expect(running.action.message).toBe('');
    expect(running.action).toMatchObject({ failed: false, results: { password: 'monNew0002' } });
    for (const member of stack.members) {
      expect(await canLogin(member, 'monitoring', 'monNew0002')).toBe(true);
      expect(await canLogin(member, 'monitoring', 'monOld0001')).toBe(false);
    }
  });

  it('promote-to-primary: the sync standby becomes the primary', async () => {
    const view = await stack.clusterView();
    const standby = view!.members.find((m) => m.role === 'sync_standby')!.name;
    const unit = memberNameToUnitName(standby);
    const harness = charmHarness({ units: 2 });
    const running = startActionOn(harness, unit, 'promote-to-primary', { scope: 'unit' });
    await promoteToPrimary(running.event, deps(unit, running), { timeoutMs: 30_000, intervalMs: 250 });

    expect(running.action.message).toBe('');
    expect(running.action.failed).toBe(false);
    expect((await stack.clusterView())!.members.find((m) => m.role === 'leader')!.name).toBe(standby);
  });
});
