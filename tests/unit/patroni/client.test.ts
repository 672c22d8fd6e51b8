import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logging.ts';
import {
  isServerError,
  isTransientUnreachable,
  NO_RETRY,
  PatroniApiError,
  PatroniAuthError,
  PatroniClient,
  PatroniResponseError,
  PatroniUnreachableError,
  patroniUrl,
  primaryOf,
  type PatroniClientOptions,
  type PatroniRetryPolicies,
  type RetryPolicy,
} from '../../../src/patroni/index.ts';
import { freePort } from '../../support/patroni-ports.ts';
import { fakeCluster, startFakePatroni, type FakeAnswer, type FakeMember, type FakePatroni } from '../../support/fake-patroni.ts';

const PASSWORD = 'rest-secret-42';
const quick = (retryOn: RetryPolicy['retryOn'], attempts = 3): RetryPolicy => ({ attempts, initialDelayMs: 30, multiplier: 2, maxDelayMs: 100, retryOn });
const QUICK: Partial<PatroniRetryPolicies> = {
  read: quick((e) => isTransientUnreachable(e) || isServerError(e)),
  configWrite: quick((e) => isTransientUnreachable(e) || isServerError(e)),
  action: quick(isTransientUnreachable),
};

const fakes: FakePatroni[] = [];
/** A one-member fake answering every path with `answer` (none: from its view of a healthy `pg-0`). */
async function fake(answer?: FakeAnswer, members: FakeMember[] = [leader('pg-0')]): Promise<FakePatroni> {
  const server = await startFakePatroni({ self: members[0]?.name, cluster: fakeCluster(members) });
  if (answer !== undefined) server.on('*', answer);
  fakes.push(server);
  return server;
}
const leader = (name: string): FakeMember => ({ name, role: 'leader', state: 'running', host: '127.0.0.1' });
const replica = (name: string, role: FakeMember['role'] = 'replica'): FakeMember => ({ name, role, state: 'running', host: '127.0.0.1' });
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

function client(url: string, extra: Partial<PatroniClientOptions> = {}): PatroniClient {
  return new PatroniClient({ url, password: PASSWORD, retry: QUICK, logger: createLogger({ level: 'silent' }), ...extra });
}

describe('patroniUrl', () => {
  it('picks the scheme from TLS and defaults to the REST API port', () => {
    expect(patroniUrl('pg-0.pg-endpoints', true)).toBe('https://pg-0.pg-endpoints:8008');
    expect(patroniUrl('127.0.0.1', false, 18008)).toBe('http://127.0.0.1:18008');
  });
});

describe('PatroniClient reads', () => {
  it('parses /cluster, tolerates extra keys and sends basic auth as patroni', async () => {
    const server = await fake(undefined, [leader('pg-0'), replica('pg-1', 'sync_standby')]);
    server.once('/cluster', { status: 200, json: { members: [{ ...leader('pg-0'), port: 5432 }, { ...replica('pg-1', 'sync_standby'), port: 5432, receive_lag: 0 }], scope: 'x', extra: true } });
    const cluster = await client(server.url).cluster();
    expect(cluster.members.map((m) => [m.name, m.role])).toEqual([['pg-0', 'leader'], ['pg-1', 'sync_standby']]);
    expect(cluster.members[1]!['receive_lag']).toBe(0);
    expect(server.requests[0]!.method).toBe('GET');
    expect(server.requests[0]!.path).toBe('/cluster');
    expect(Buffer.from(server.requests[0]!.authorization!.replace('Basic ', ''), 'base64').toString()).toBe(`patroni:${PASSWORD}`);
  });

  it('retries 5xx answers and succeeds once Patroni recovers', async () => {
    const server = await fake();
    server.once('/cluster', { status: 502, text: 'bad gateway' }, { status: 503, text: 'busy' });
    const cluster = await client(server.url).cluster();
    expect(cluster.members).toHaveLength(1);
    expect(server.requests).toHaveLength(3);
  });

  it('gives up after the policy attempts with the last status', async () => {
    const server = await fake({ status: 500, text: 'boom' });
    const error = await client(server.url).cluster().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PatroniApiError);
    expect((error as PatroniApiError).status).toBe(500);
    expect(server.requests).toHaveLength(3);
  });

  it('does not retry a final 4xx', async () => {
    const server = await fake({ status: 404, text: 'not found' });
    await expect(client(server.url).config()).rejects.toMatchObject({ code: 'patroni-api-error', status: 404 });
    expect(server.requests).toHaveLength(1);
  });

  it('reads /health bodies that come with 503', async () => {
    const server = await fake(undefined, [{ ...replica('pg-1'), state: 'stopped' }]);
    const health = await client(server.url).health();
    expect(health.state).toBe('stopped');
    expect(health.patroni?.version).toBe('3.0.2');
  });

  it('rejects answers that are not the expected JSON', async () => {
    const server = await fake({ status: 200, text: '<html>oops</html>' });
    await expect(client(server.url).cluster()).rejects.toBeInstanceOf(PatroniResponseError);
    server.on('*', { status: 200, json: { members: [{ name: 'pg-0' }] } });
    await expect(client(server.url).cluster()).rejects.toMatchObject({ code: 'patroni-bad-response' });
  });
});

describe('PatroniClient failures without an answer', () => {
  it('withTimeout gives one member a shorter wait and keeps the rest (NO_RETRY: one request)', async () => {
    const server = await fake('hang');
    const started = Date.now();
    const patient = client(server.url, { timeoutMs: 5_000 });
    const error = await patient.forMember(server.url).withRetryPolicies({ read: NO_RETRY }).withTimeout(150).patroni().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PatroniUnreachableError);
    expect((error as PatroniUnreachableError).reason).toBe('timeout');
    expect(server.requests).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('times out a silent member, retries, then reports it unreachable', async () => {
    const server = await fake('hang');
    const started = Date.now();
    const error = await client(server.url, { timeoutMs: 150, retry: { read: quick(isTransientUnreachable, 2) } })
      .cluster()
      .catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(PatroniUnreachableError);
    expect((error as PatroniUnreachableError).reason).toBe('timeout');
    expect(server.requests).toHaveLength(2);
    expect(elapsed).toBeGreaterThanOrEqual(2 * 150 + 30 - 5);
    expect(elapsed).toBeLessThan(2_000);
  });

  it('reports a closed port as refused after the bounded retries', async () => {
    const port = await freePort();
    const started = Date.now();
    const error = await client(`http://127.0.0.1:${port}`).patroni().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'patroni-unreachable', reason: 'refused' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(30 + 60 - 5);
  });
});

describe('PatroniClient writes', () => {
  it('sends 401 straight back as PatroniAuthError without retrying', async () => {
    const server = await startFakePatroni({ password: 'another-password' });
    fakes.push(server);
    const error = await client(server.url).patchConfig({ loop_wait: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PatroniAuthError);
    expect((error as PatroniAuthError).code).toBe('patroni-auth-failed');
    expect(server.requests).toEqual([expect.objectContaining({ method: 'PATCH', path: '/config', auth: true })]);
  });

  it('PATCHes /config as JSON and returns the merged config', async () => {
    const server = await fake();
    server.config = { ttl: 10, loop_wait: 2, standby_cluster: { host: 'x' }, postgresql: { parameters: { work_mem: '4MB' } } };
    const config = await client(server.url).patchConfig({ postgresql: { parameters: { work_mem: '8MB' } }, standby_cluster: null });
    expect(config).toEqual({ ttl: 10, loop_wait: 2, postgresql: { parameters: { work_mem: '8MB' } } });
    expect(server.requests[0]).toMatchObject({ method: 'PATCH', path: '/config', contentType: 'application/json' });
    expect(server.requests[0]!.body).toEqual({ postgresql: { parameters: { work_mem: '8MB' } }, standby_cluster: null });
  });

  it('restarts only pending changes when asked and reports a declined restart', async () => {
    const server = await fake(undefined, [{ ...leader('pg-0'), pending_restart: true }]);
    const patroni = client(server.url);
    expect(await patroni.restart({ pendingOnly: true })).toEqual({ restarted: true, message: 'restarted successfully' });
    expect(await patroni.restart({ pendingOnly: true })).toEqual({ restarted: false, message: 'restart conditions are not satisfied' });
    server.on('POST /restart', { status: 503, text: 'restart already in progress' });
    expect(await patroni.restart()).toMatchObject({ restarted: false });
    expect(server.requests.map((r) => r.body)).toEqual([{ restart_pending: true }, { restart_pending: true }, {}]);
  });
});

describe('clusterFromAny', () => {
  it('takes the first good answer and does not wait for a silent member', async () => {
    const silent = await fake('hang');
    const good = await fake(undefined, [leader('pg-1')]);
    const dead = `http://127.0.0.1:${await freePort()}`;
    const started = Date.now();
    const cluster = await client(dead, { peerUrls: [silent.url, good.url], timeoutMs: 5_000 }).clusterFromAny();
    expect(cluster.members[0]!.name).toBe('pg-1');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('reports unreachable when no member answers', async () => {
    const urls = await Promise.all([freePort(), freePort()]).then((ports) => ports.map((p) => `http://127.0.0.1:${p}`));
    const error = await client(urls[0]!, { peerUrls: [urls[1]!] }).clusterFromAny().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PatroniUnreachableError);
    expect((error as PatroniUnreachableError).reason).toBe('refused');
    expect((error as Error).message).toContain(urls[1]);
  });

  it('surfaces a real answer rather than unreachable when one member answered badly', async () => {
    const broken = await fake({ status: 401, text: 'nope' });
    const dead = `http://127.0.0.1:${await freePort()}`;
    await expect(client(dead, { peerUrls: [broken.url] }).clusterFromAny()).rejects.toBeInstanceOf(PatroniAuthError);
  });
});

describe('logging', () => {
  it('logs requests and retries without the password', async () => {
    const lines: string[] = [];
    const destination = new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) });
    const server = await fake();
    server.once('/cluster', { status: 500, text: 'x' });
    await client(server.url, { logger: createLogger({ level: 'debug', destination }) }).cluster();
    const output = lines.join('');
    expect(output).toContain('retrying Patroni request');
    expect(output).toContain('"status":200');
    expect(output).not.toContain(PASSWORD);
    expect(output).not.toContain(Buffer.from(`patroni:${PASSWORD}`).toString('base64'));
  });
});

describe('per-use policies', () => {
  it('withRetryPolicies changes only the given policy and keeps the endpoint', async () => {
    const server = await fake();
    server.once('/cluster', { status: 500, text: 'x' }, { status: 500, text: 'x' }, { status: 500, text: 'x' });
    const patient = client(server.url).withRetryPolicies({ read: quick(isServerError, 4) });
    expect(primaryOf(await patient.cluster())).toBe('pg-0');
    expect(server.requests).toHaveLength(4);
    server.once('/cluster', { status: 500, text: 'x' });
    await expect(patient.withRetryPolicies({ read: quick(isServerError, 1) }).cluster()).rejects.toMatchObject({ status: 500 });
  });
});
