import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logging.ts';
import {
  isConnectionRefused,
  PatroniAuthError,
  PatroniClient,
  SwitchoverFailedError,
  SwitchoverNotSyncError,
  type PatroniClientOptions,
} from '../../../src/patroni/index.ts';
import { freePort } from '../../support/patroni-ports.ts';
import { fakeCluster, startFakePatroni, type FakeAnswer, type FakeMember, type FakePatroni } from '../../support/fake-patroni.ts';

const fakes: FakePatroni[] = [];
const member = (name: string, role: FakeMember['role']): FakeMember => ({ name, role, state: 'running', host: '127.0.0.1' });
/** pg-0 leads, pg-1 is the sync standby, pg-2 a replica, unless `members` says otherwise; `answer` overrides every path. */
async function fake(answer?: FakeAnswer, options: { members?: FakeMember[]; port?: number } = {}): Promise<FakePatroni> {
  const members = options.members ?? [member('pg-0', 'leader'), member('pg-1', 'sync_standby'), member('pg-2', 'replica')];
  const server = await startFakePatroni({ self: 'pg-0', cluster: fakeCluster(members), ...(options.port === undefined ? {} : { port: options.port }) });
  if (answer !== undefined) server.on('*', answer);
  fakes.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

function client(url: string, extra: Partial<PatroniClientOptions> = {}): PatroniClient {
  return new PatroniClient({
    url,
    password: 'pw',
    logger: createLogger({ level: 'silent' }),
    retry: { switchover: { attempts: 3, initialDelayMs: 150, multiplier: 1, maxDelayMs: 150, retryOn: isConnectionRefused } },
    ...extra,
  });
}

describe('switchover', () => {
  it('posts leader and candidate and returns the new leader', async () => {
    const server = await fake();
    const result = await client(server.url).switchover({ leader: 'pg-0', candidate: 'pg-1' });
    expect(result).toEqual({ newLeader: 'pg-1', message: 'Successfully switched over to "pg-1"' });
    expect(server.requests[0]).toMatchObject({ method: 'POST', path: '/switchover', body: { leader: 'pg-0', candidate: 'pg-1' } });
    expect(server.cluster.members.map((m) => m.role)).toEqual(['sync_standby', 'leader', 'replica']);
  });

  it('sends a null candidate when Patroni should pick the sync standby', async () => {
    const server = await fake(undefined, { members: [member('pg-0', 'leader'), member('pg-2', 'sync_standby')] });
    expect((await client(server.url).switchover({ leader: 'pg-0' })).newLeader).toBe('pg-2');
    expect(server.requests[0]!.body).toEqual({ leader: 'pg-0', candidate: null });
  });

  it('turns 412 for a non-sync candidate into SwitchoverNotSyncError', async () => {
    const server = await fake();
    const error = await client(server.url).switchover({ leader: 'pg-0', candidate: 'pg-2' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SwitchoverNotSyncError);
    expect(error).toMatchObject({ code: 'patroni-switchover-not-sync', status: 412 });
    expect(server.requests).toHaveLength(1);
  });

  it('turns other refusals into SwitchoverFailedError with the status', async () => {
    const server = await fake();
    await expect(client(server.url).switchover({ leader: 'pg-9' })).rejects.toMatchObject({
      code: 'patroni-switchover-failed',
      status: 412,
      body: 'leader name does not match',
    });
    server.on('POST /switchover', { status: 503, text: 'Switchover failed' });
    const error = await client(server.url).switchover({ leader: 'pg-0' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SwitchoverFailedError);
    expect((error as Error).message).toContain('received 503');
    expect(server.requests).toHaveLength(2); // answered refusals are never resent
  });

  it('fails when Patroni switched to someone else than the candidate', async () => {
    const server = await fake({ status: 200, text: 'Switched over to "pg-2" instead of "pg-1"' });
    await expect(client(server.url).switchover({ leader: 'pg-0', candidate: 'pg-1' })).rejects.toBeInstanceOf(SwitchoverFailedError);
  });

  it('keeps 401 an auth error', async () => {
    const server = await fake();
    server.password = 'another-password';
    await expect(client(server.url).switchover({ leader: 'pg-0' })).rejects.toBeInstanceOf(PatroniAuthError);
  });

  it('resends only when the connection was refused', async () => {
    const port = await freePort();
    // Patroni's REST server comes up while the first try is being refused.
    const late = new Promise<FakePatroni>((resolve) => setTimeout(() => resolve(fake(undefined, { port })), 50));
    const result = await client(`http://127.0.0.1:${port}`).switchover({ leader: 'pg-0', candidate: 'pg-1' });
    expect(result.newLeader).toBe('pg-1');
    expect((await late).requests).toHaveLength(1);
  });

  it('does not resend after a timeout (the switchover may be under way)', async () => {
    const server = await fake('hang');
    const error = await client(server.url, { switchoverTimeoutMs: 100 }).switchover({ leader: 'pg-0' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'patroni-unreachable', reason: 'timeout' });
    expect(server.requests).toHaveLength(1);
  });
});

describe('waitForNewPrimary', () => {
  it('polls until the leader changes to the candidate', async () => {
    const server = await fake();
    const stillPg0 = { status: 200, json: { members: [{ ...member('pg-0', 'leader'), port: 5432 }] } };
    server.once('/cluster', stillPg0, { status: 500, text: 'x' }, stillPg0, { status: 200, json: { members: [{ ...member('pg-1', 'leader'), port: 5432 }] } });
    const fastReads = { attempts: 1, initialDelayMs: 0, multiplier: 1, maxDelayMs: 0, retryOn: () => false };
    const leader = await client(server.url, { retry: { read: fastReads } }).waitForNewPrimary({ previous: 'pg-0', candidate: 'pg-1', intervalMs: 20, timeoutMs: 2_000 });
    expect(leader).toBe('pg-1');
    expect(server.requests.length).toBe(4);
  });

  it('gives up with SwitchoverFailedError when the leader stays', async () => {
    const server = await fake();
    const started = Date.now();
    const error = await client(server.url).waitForNewPrimary({ previous: 'pg-0', intervalMs: 50, timeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SwitchoverFailedError);
    expect((error as Error).message).toContain('last seen: pg-0');
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });
});
