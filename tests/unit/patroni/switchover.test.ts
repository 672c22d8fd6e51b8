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
import { clusterAnswer, startFakePatroni, type FakePatroni } from './fake-patroni.ts';

const fakes: FakePatroni[] = [];
async function fake(...args: Parameters<typeof startFakePatroni>): Promise<FakePatroni> {
  const server = await startFakePatroni(...args);
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
    const server = await fake({ status: 200, text: 'Successfully switched over to "pg-1"' });
    const result = await client(server.url).switchover({ leader: 'pg-0', candidate: 'pg-1' });
    expect(result).toEqual({ newLeader: 'pg-1', message: 'Successfully switched over to "pg-1"' });
    expect(server.seen[0]).toMatchObject({ method: 'POST', url: '/switchover' });
    expect(JSON.parse(server.seen[0]!.body)).toEqual({ leader: 'pg-0', candidate: 'pg-1' });
  });

  it('sends a null candidate when Patroni should pick the sync standby', async () => {
    const server = await fake({ status: 200, text: 'Successfully switched over to "pg-2"' });
    expect((await client(server.url).switchover({ leader: 'pg-0' })).newLeader).toBe('pg-2');
    expect(JSON.parse(server.seen[0]!.body)).toEqual({ leader: 'pg-0', candidate: null });
  });

  it('turns 412 for a non-sync candidate into SwitchoverNotSyncError', async () => {
    const server = await fake({ status: 412, text: 'candidate name does not match with sync_standby' });
    const error = await client(server.url).switchover({ leader: 'pg-0', candidate: 'pg-2' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SwitchoverNotSyncError);
    expect(error).toMatchObject({ code: 'patroni-switchover-not-sync', status: 412 });
    expect(server.seen).toHaveLength(1);
  });

  it('turns other refusals into SwitchoverFailedError with the status', async () => {
    const server = await fake({ status: 412, text: 'leader name does not match' });
    await expect(client(server.url).switchover({ leader: 'pg-9' })).rejects.toMatchObject({
      code: 'patroni-switchover-failed',
      status: 412,
      body: 'leader name does not match',
    });
    server.fallback = { status: 503, text: 'Switchover failed' };
    const error = await client(server.url).switchover({ leader: 'pg-0' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SwitchoverFailedError);
    expect((error as Error).message).toContain('received 503');
    expect(server.seen).toHaveLength(2); // answered refusals are never resent
  });

  it('fails when Patroni switched to someone else than the candidate', async () => {
    const server = await fake({ status: 200, text: 'Switched over to "pg-2" instead of "pg-1"' });
    await expect(client(server.url).switchover({ leader: 'pg-0', candidate: 'pg-1' })).rejects.toBeInstanceOf(SwitchoverFailedError);
  });

  it('keeps 401 an auth error', async () => {
    const server = await fake({ status: 401, text: 'no auth header received' });
    await expect(client(server.url).switchover({ leader: 'pg-0' })).rejects.toBeInstanceOf(PatroniAuthError);
  });

  it('resends only when the connection was refused', async () => {
    const port = await freePort();
    // Patroni's REST server comes up while the first try is being refused.
    const late = new Promise<FakePatroni>((resolve) => setTimeout(() => resolve(fake({ status: 200, text: 'Successfully switched over to "pg-1"' }, port)), 50));
    const result = await client(`http://127.0.0.1:${port}`).switchover({ leader: 'pg-0', candidate: 'pg-1' });
    expect(result.newLeader).toBe('pg-1');
    expect((await late).seen).toHaveLength(1);
  });

  it('does not resend after a timeout (the switchover may be under way)', async () => {
    const server = await fake({ hang: true });
    const error = await client(server.url, { switchoverTimeoutMs: 100 }).switchover({ leader: 'pg-0' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'patroni-unreachable', reason: 'timeout' });
    expect(server.seen).toHaveLength(1);
  });
});

describe('failover', () => {
  it('maps the HTML 400 Patroni sends for a bad request to SwitchoverFailedError', async () => {
    const server = await fake({ status: 400, text: '<!DOCTYPE HTML>\n<html><body><h1>Error response</h1><p>Error code: 400</p></body></html>' });
    const error = await client(server.url).failover({ candidate: 'pg-1' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'patroni-switchover-failed', status: 400 });
    expect(JSON.parse(server.seen[0]!.body)).toEqual({ candidate: 'pg-1' });
  });

  it('returns the new leader on success', async () => {
    const server = await fake({ status: 200, text: 'Successfully failed over to "pg-1"' });
    expect(await client(server.url).failover({ candidate: 'pg-1' })).toMatchObject({ newLeader: 'pg-1' });
  });
});

describe('waitForNewPrimary', () => {
  it('polls until the leader changes to the candidate', async () => {
    const server = await fake({ status: 200, json: clusterAnswer('pg-1', [{ name: 'pg-0' }]) });
    server.script.push({ status: 200, json: clusterAnswer('pg-0') }, { status: 500, text: 'x' }, { status: 200, json: clusterAnswer('pg-0') });
    const fastReads = { attempts: 1, initialDelayMs: 0, multiplier: 1, maxDelayMs: 0, retryOn: () => false };
    const leader = await client(server.url, { retry: { read: fastReads } }).waitForNewPrimary({ previous: 'pg-0', candidate: 'pg-1', intervalMs: 20, timeoutMs: 2_000 });
    expect(leader).toBe('pg-1');
    expect(server.seen.length).toBe(4);
  });

  it('gives up with SwitchoverFailedError when the leader stays', async () => {
    const server = await fake({ status: 200, json: clusterAnswer('pg-0') });
    const started = Date.now();
    const error = await client(server.url).waitForNewPrimary({ previous: 'pg-0', intervalMs: 50, timeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SwitchoverFailedError);
    expect((error as Error).message).toContain('last seen: pg-0');
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });
});
