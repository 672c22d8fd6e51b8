import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logging.ts';
import {
  allMembersReady,
  isPrimaryRole,
  PatroniAuthError,
  PatroniClient,
  PatroniUnreachableError,
  primaryOf,
  type PatroniClientOptions,
} from '../../../src/patroni/index.ts';
import { freePort } from '../../support/patroni-ports.ts';
import { startPatroniStack, type PatroniStack } from '../../support/patroni-stack.ts';
import { makeTestTls } from '../../support/patroni-tls.ts';

// One real Patroni 3.0.2 member (etcd DCS) with REST basic auth and REST TLS, shared by the file.
let stack: PatroniStack;
let patroni: PatroniClient;
const silent = createLogger({ level: 'silent' });

function clientFor(overrides: Partial<PatroniClientOptions> = {}): PatroniClient {
  return new PatroniClient({ url: stack.urls[0]!, password: stack.restPassword, caPem: stack.tls!.caPem, logger: silent, ...overrides });
}

async function show(setting: string): Promise<string> {
  const client = new pg.Client(stack.pgConfig(stack.members[0]!));
  await client.connect();
  try {
    const result = await client.query<Record<string, string>>(`SHOW ${setting}`);
    return result.rows[0]![setting]!;
  } finally {
    await client.end();
  }
}

async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() >= deadline) return value;
    await sleep(200);
  }
}

beforeAll(async () => {
  stack = await startPatroniStack({ members: 1, tls: true });
  patroni = clientFor();
});

afterAll(async () => {
  await stack?.stop();
});

describe('a one-member Patroni cluster over TLS', () => {
  it('reports the cluster, health and primary answers', async () => {
    const name = stack.members[0]!.name;
    const cluster = await patroni.cluster();
    expect(cluster.members).toHaveLength(1);
    expect(cluster.members[0]).toMatchObject({ name, role: 'leader', state: 'running', port: stack.members[0]!.pgPort });
    expect(cluster.members[0]!.api_url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/patroni$/);
    expect(primaryOf(cluster)).toBe(name);
    expect(allMembersReady(cluster)).toBe(true);

    const health = await patroni.health();
    expect(health.state).toBe('running');
    expect(isPrimaryRole(health.role)).toBe(true);
    expect((await patroni.patroni()).patroni?.version).toBe('3.0.2');
    expect((await patroni.config()).loop_wait).toBe(2);
  });

  it('applies a PATCHed PostgreSQL parameter on its next loop', async () => {
    const merged = await patroni.patchConfig({ postgresql: { parameters: { work_mem: '8MB' } } });
    expect(merged.postgresql?.parameters?.['work_mem']).toBe('8MB');
    expect(merged.ttl).toBe(10); // a merge, not a replacement
    expect(await eventually(() => show('work_mem'), (v) => v === '8MB', 15_000)).toBe('8MB');
  });

  it('restarts only when a restart is pending', async () => {
    await patroni.patchConfig({ postgresql: { parameters: { max_connections: 120 } } });
    const status = await eventually(() => patroni.patroni(), (s) => s.pending_restart === true, 15_000);
    expect(status.pending_restart).toBe(true);

    const restart = await patroni.restart({ pendingOnly: true });
    expect(restart).toEqual({ restarted: true, message: 'restarted successfully' });
    expect(await show('max_connections')).toBe('120');
    expect((await patroni.patroni()).pending_restart).toBeFalsy();

    expect(await patroni.restart({ pendingOnly: true })).toEqual({ restarted: false, message: 'restart conditions are not satisfied' });
  });

  it('answers a wrong or missing password with PatroniAuthError', async () => {
    const started = Date.now();
    await expect(clientFor({ password: 'not-the-password' }).restart()).rejects.toBeInstanceOf(PatroniAuthError);
    await expect(clientFor({ password: 'not-the-password' }).patchConfig({ loop_wait: 2 })).rejects.toMatchObject({ code: 'patroni-auth-failed', status: 401 });
    await expect(clientFor({ password: undefined }).patchConfig({ loop_wait: 2 })).rejects.toMatchObject({ body: expect.stringContaining('no auth header received') });
    expect(Date.now() - started).toBeLessThan(2_000); // no retries
  });
});

describe('TLS verification', () => {
  it('fails fast with a typed TLS error when the CA is unknown', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'patroni-other-ca-'));
    try {
      const other = await makeTestTls(dir, 'other');
      const started = Date.now();
      const error = await clientFor({ caPem: other.caPem }).cluster().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PatroniUnreachableError);
      expect((error as PatroniUnreachableError).reason).toBe('tls');
      expect(Date.now() - started).toBeLessThan(1_000); // certificate problems are not retried
      await expect(clientFor({ caPem: undefined }).health()).rejects.toMatchObject({ reason: 'tls' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('unreachable members', () => {
  it('retries a dead endpoint with the default read policy, then reports it unreachable', async () => {
    const dead = `https://127.0.0.1:${await freePort()}`;
    const started = Date.now();
    const error = await clientFor({ url: dead }).cluster().catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(error).toMatchObject({ code: 'patroni-unreachable', reason: 'refused' });
    // Three tries with 0.5 s and 1 s between them.
    expect(elapsed).toBeGreaterThanOrEqual(1_450);
    expect(elapsed).toBeLessThan(4_000);
  });

  it('reads the cluster from a live peer when its own endpoint is dead', async () => {
    const dead = `https://127.0.0.1:${await freePort()}`;
    const cluster = await clientFor({ url: dead, peerUrls: [stack.urls[0]!] }).clusterFromAny();
    expect(primaryOf(cluster)).toBe(stack.members[0]!.name);
  });
});
