import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PebbleApiError, PebbleClient } from '../../../src/pebble/index.ts';
import { startRealPebble, type RealPebble } from './support/real-server.ts';

/** Checks, health and notices against the sandbox's real Pebble server. */

let pebble: RealPebble;
beforeEach(async () => {
  pebble = await startRealPebble();
});
afterEach(async () => {
  await pebble.stop();
});

async function until(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function addChecks(client: PebbleClient): Promise<void> {
  await client.addLayer('checks', {
    checks: {
      fine: { override: 'replace', level: 'alive', period: '100ms', exec: { command: '/bin/true' } },
      broken: { override: 'replace', level: 'ready', period: '100ms', threshold: 1, exec: { command: '/bin/false' } },
    },
  });
}

describe('checks', () => {
  it('runs checks from the plan and reports their state and health', async () => {
    const { client } = pebble;
    await addChecks(client);
    expect((await client.plan()).checks['fine']).toMatchObject({ override: 'replace', threshold: 3 }); // Pebble shows the default
    await until(async () => (await client.checks({ names: ['broken'] }))[0]?.status === 'down');
    const [fine] = await client.checks({ level: 'alive' });
    expect(fine).toMatchObject({ name: 'fine', level: 'alive', startup: 'enabled', status: 'up', threshold: 3 });
    expect(fine!.changeId).toMatch(/^\d+$/);
    expect((await client.checks({ level: 'ready' })).map((c) => c.name)).toEqual(['broken']);
    expect(await client.health({ level: 'alive' })).toBe(true);
    expect(await client.health({ level: 'ready' })).toBe(false);
  });

  it('stops and starts checks, reporting only what changed', async () => {
    const { client } = pebble;
    await addChecks(client);
    expect(await client.stopChecks(['fine'])).toEqual(['fine']);
    expect(await client.stopChecks(['fine'])).toEqual([]);
    expect((await client.checks({ names: ['fine'] }))[0]?.status).toBe('inactive');
    expect(await client.startChecks(['fine', 'broken'])).toEqual(['fine']);

    const unknown = (await client.startChecks(['nope']).catch((e: unknown) => e)) as PebbleApiError;
    expect(unknown).toBeInstanceOf(PebbleApiError);
    expect(unknown.status).toBe(400);
    expect(unknown.message).toBe('cannot start checks: cannot find checks in plan: nope');
  });
});

describe('notices', () => {
  it('records custom notices, repeats them and reads them back', async () => {
    const { client } = pebble;
    const before = new Date(Date.now() - 1_000);
    const id = await client.notify('custom', 'example.com/db/ready', { data: { member: 'pg-0' }, repeatAfterMs: 3_600_000 });
    expect(await client.notify('custom', 'example.com/db/ready', { data: { member: 'pg-1' } })).toBe(id);

    const notice = await client.notice(id);
    expect(notice).toMatchObject({ id, type: 'custom', key: 'example.com/db/ready', occurrences: 2, lastData: { member: 'pg-1' } });
    expect(notice.userId).toBe(0);

    await client.notify('custom', 'example.com/other');
    const custom = await client.notices({ types: ['custom'], keys: ['example.com/db/ready'], after: before });
    expect(custom.map((n) => n.id)).toEqual([id]);
    expect((await client.notices({ types: ['custom'] })).map((n) => n.key).sort()).toEqual(['example.com/db/ready', 'example.com/other']);
  });

  it('long-polls for a notice beyond the per-request socket timeout', async () => {
    const { client, socketPath } = pebble;
    const impatient = new PebbleClient({ socketPath, timeoutMs: 300 });
    const started = Date.now();
    expect(await impatient.notices({ keys: ['example.com/late'], timeoutMs: 700 })).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(650);

    const waiting = impatient.notices({ keys: ['example.com/late'], timeoutMs: 5_000 });
    setTimeout(() => void client.notify('custom', 'example.com/late'), 400);
    expect((await waiting).map((n) => n.key)).toEqual(['example.com/late']);
  });

  it('reports unknown notices and invalid keys', async () => {
    const { client } = pebble;
    const unknown = (await client.notice('999').catch((e: unknown) => e)) as PebbleApiError;
    expect(unknown.status).toBe(404);
    expect(unknown.message).toBe('cannot find notice with ID "999"');

    const badKey = (await client.notify('custom', 'bad').catch((e: unknown) => e)) as PebbleApiError;
    expect(badKey.status).toBe(400);
    expect(badKey.message).toBe('invalid key "bad" (must be in "example.com/path" format)');
  });
});
