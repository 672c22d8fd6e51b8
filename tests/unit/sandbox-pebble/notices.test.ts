import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startPebbleServer } from '../../../sandbox/pebble/server.ts';
import { request, startTestPebble, type TestPebble } from './helpers.ts';

let p: TestPebble;
beforeAll(async () => {
  p = await startTestPebble();
});
afterAll(async () => {
  await p?.close();
});

const notify = (key: string, extra: Record<string, unknown> = {}) => p.post('/v1/notices', { action: 'add', type: 'custom', key, ...extra });

describe('notices', () => {
  test('adding, repeating and reading custom notices', async () => {
    const first = await notify('example.com/first', { data: { a: '1' } });
    expect(first.status).toBe(200);
    expect(first.json.result).toEqual({ id: expect.stringMatching(/^\d+$/) });
    const id = first.json.result.id;
    const again = await notify('example.com/first', { data: { b: '2' } });
    expect(again.json.result.id).toBe(id);

    const notice = (await p.get(`/v1/notices/${id}`)).json.result;
    expect(notice).toEqual({
      id,
      'user-id': process.getuid?.(),
      type: 'custom',
      key: 'example.com/first',
      'first-occurred': expect.stringMatching(/Z$/),
      'last-occurred': expect.stringMatching(/Z$/),
      'last-repeated': expect.stringMatching(/Z$/),
      occurrences: 2,
      'last-data': { b: '2' },
      'expire-after': '168h0m0s',
    });
    expect(notice['last-repeated']).not.toBe(notice['first-occurred']);

    // With repeat-after, a quick re-occurrence does not move last-repeated.
    await notify('example.com/throttled', { 'repeat-after': '1h' });
    const before = (await p.get('/v1/notices?keys=example.com/throttled')).json.result[0];
    await notify('example.com/throttled', { 'repeat-after': '1h' });
    const after = (await p.get('/v1/notices?keys=example.com/throttled')).json.result[0];
    expect(after.occurrences).toBe(2);
    expect(after['last-repeated']).toBe(before['last-repeated']);
    expect(after['last-occurred']).not.toBe(before['last-occurred']);
    expect(after['repeat-after']).toBe('1h0m0s');
  });

  test('filters: types, keys, after; sorted by last-repeated', async () => {
    await notify('example.com/one');
    const one = (await p.get('/v1/notices?keys=example.com/one')).json.result[0];
    await notify('example.com/two');
    const later = (await p.get(`/v1/notices?types=custom&after=${encodeURIComponent(one['last-repeated'])}`)).json.result;
    expect(later.map((n: { key: string }) => n.key)).toEqual(['example.com/two']);
    const both = (await p.get('/v1/notices?keys=example.com/two&keys=example.com/one')).json.result;
    expect(both.map((n: { key: string }) => n.key)).toEqual(['example.com/one', 'example.com/two']);
    expect((await p.get('/v1/notices?types=bogus')).json.result).toEqual([]);
    expect((await p.get('/v1/notices?users=all&keys=example.com/one')).json.result).toHaveLength(1);
    expect((await p.get('/v1/notices?users=all&user-id=0')).json.result.message).toBe('cannot use both "users" and "user-id" parameters');
    expect((await p.get('/v1/notices?after=yesterday')).json.result.message).toMatch(/^invalid "after" timestamp: parsing time "yesterday"/);
  });

  test('long-poll returns when a matching notice arrives, or [] at the timeout', async () => {
    const started = Date.now();
    const empty = await p.get('/v1/notices?keys=example.com/never&timeout=200ms');
    expect(empty.json.result).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);

    const waiting = p.get('/v1/notices?keys=example.com/awaited&timeout=10s');
    await new Promise((r) => setTimeout(r, 100));
    await notify('example.com/awaited', { data: { x: 'y' } });
    const res = await waiting;
    expect(res.json.result.map((n: { key: string }) => n.key)).toEqual(['example.com/awaited']);
  });

  test('validation errors', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ action: 'drop', type: 'custom', key: 'example.com/x' }, 'invalid action "drop"'],
      [{ action: 'add', type: 'warning', key: 'example.com/x' }, 'invalid type "warning" (can only add "custom" notices)'],
      [{ action: 'add', type: 'custom', key: 'no-domain' }, 'invalid key "no-domain" (must be in "example.com/path" format)'],
      [{ action: 'add', type: 'custom', key: 'Example.com/x' }, 'invalid key "Example.com/x" (must be in "example.com/path" format)'],
      [{ action: 'add', type: 'custom', key: `example.com/${'a'.repeat(250)}` }, 'key must be 256 bytes or less'],
      [{ action: 'add', type: 'custom', key: 'example.com/x', data: { big: 'x'.repeat(5000) } }, 'total size of data must be 4096 bytes or less'],
      [{ action: 'add', type: 'custom', key: 'example.com/x', 'repeat-after': 'often' }, 'invalid repeat-after: time: invalid duration "often"'],
    ];
    for (const [body, message] of cases) {
      const res = await p.post('/v1/notices', body);
      expect(res.status, message).toBe(400);
      expect(res.json.result.message).toBe(message);
    }
  });

  test('service changes emit change-update notices; notices survive a restart', async () => {
    await p.addLayer('n', 'services:\n  s:\n    override: replace\n    command: /bin/sleep 30\n');
    const change = await p.serviceAction('start', ['s']);
    const updates = (await p.get(`/v1/notices?types=change-update&keys=${change.id}`)).json.result;
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({ 'user-id': null, 'last-data': { kind: 'start' } });
    expect(updates[0].occurrences).toBeGreaterThanOrEqual(3); // spawned, Doing, Done
    await p.serviceAction('stop', ['s']);

    const stateDir = join(p.dir, 'restart-state');
    const socket = join(p.dir, 'restart.socket');
    const first = await startPebbleServer({ socketPath: socket, stateDir });
    const added = await request(socket, 'POST', '/v1/notices', { action: 'add', type: 'custom', key: 'example.com/persisted' });
    await first.close();
    const second = await startPebbleServer({ socketPath: socket, stateDir });
    try {
      const res = await request(socket, 'GET', '/v1/notices?keys=example.com/persisted');
      expect(res.json.result.map((n: { id: string }) => n.id)).toEqual([added.json.result.id]);
      const next = await request(socket, 'POST', '/v1/notices', { action: 'add', type: 'custom', key: 'example.com/next' });
      expect(Number(next.json.result.id)).toBeGreaterThan(Number(added.json.result.id));
    } finally {
      await second.close();
    }
  });
});
