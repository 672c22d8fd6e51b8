import { afterEach, describe, expect, it } from 'vitest';
import { waitChange } from '../../../src/pebble/changes.ts';
import { ChangeError, PebbleApiError, PebbleClient, PebbleTimeoutError } from '../../../src/pebble/index.ts';
import { PebbleTransport } from '../../../src/pebble/transport.ts';
import { createLogger } from '../../../src/logging.ts';
import { changeJson, sendAsync, sendError, sendSync, startRawServer, type Handler } from './support/raw-server.ts';

/**
 * The change-wait algorithm (ops/pebble.py `Client.wait_change`), which service actions and exec use, against answers a real Pebble only gives with
 * bad timing: /wait timing out (504) several times, an old server without /wait (404), and a
 * change that never becomes ready.
 */

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const silent = createLogger({ level: 'silent' });
function transport(socketPath: string, timeoutMs = 5_000): PebbleTransport {
  return new PebbleTransport(socketPath, timeoutMs, () => silent);
}

async function serve(handler: Handler) {
  const server = await startRawServer(handler);
  cleanups.push(() => server.close());
  return server;
}

/** Parses the Go duration strings the client sends ("4.000s"). */
function seconds(duration: string | null): number {
  expect(duration).toMatch(/^\d+\.\d{3}s$/);
  return Number.parseFloat(duration!);
}

describe('waitChange', () => {
  it('keeps calling /wait through 504s and returns the ready change', async () => {
    let waits = 0;
    const server = await serve((request, response) => {
      if (request.path !== '/v1/changes/7/wait') return sendError(response, 404, 'invalid API endpoint requested');
      waits += 1;
      if (waits < 3) return sendError(response, 504, 'timed out waiting for change after 4s');
      sendSync(response, changeJson('7'));
    });
    const change = await waitChange(transport(server.socketPath), '7');
    expect(change).toMatchObject({ id: '7', status: 'Done', ready: true, kind: 'start' });
    expect(change.tasks[0]).toMatchObject({ id: '1', status: 'Done', progress: { done: 1, total: 1 }, log: [] });
    expect(waits).toBe(3);
    // 4 s per request with the default 5 s socket timeout (server timeout = socket timeout − 1 s).
    expect(server.requests.map((r) => seconds(r.query.get('timeout')))).toEqual([4, 4, 4]);
  });

  it('sizes each /wait to the client timeout and to what is left of the deadline', async () => {
    const server = await serve((request, response) => {
      const timeoutMs = seconds(request.query.get('timeout')) * 1000;
      setTimeout(() => sendError(response, 504, 'timed out waiting for change after 1s'), timeoutMs);
    });
    const started = Date.now();
    const error = await waitChange(transport(server.socketPath, 1_000), '3', { timeoutMs: 1_300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PebbleTimeoutError);
    expect((error as Error).message).toContain('change 3');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_300);
    expect(Date.now() - started).toBeLessThan(2_500);
    const timeouts = server.requests.map((r) => seconds(r.query.get('timeout')));
    expect(timeouts[0]).toBe(1); // max(1 s − 1 s, 1 s)
    expect(timeouts[1]).toBeLessThanOrEqual(0.3);
    expect(timeouts).toHaveLength(2);
  });

  it('falls back to polling GET /v1/changes/{id} when /wait is missing', async () => {
    let polls = 0;
    const server = await serve((request, response) => {
      if (request.path.endsWith('/wait')) return sendError(response, 404, 'invalid API endpoint requested');
      polls += 1;
      sendSync(response, changeJson('9', { ready: polls >= 3, status: polls >= 3 ? 'Error' : 'Doing', err: polls >= 3 ? 'boom' : undefined }));
    });
    const change = await waitChange(transport(server.socketPath), '9', { pollDelayMs: 10 });
    expect(change).toMatchObject({ id: '9', ready: true, status: 'Error', err: 'boom' });
    expect(polls).toBe(3);
    expect(server.requests.map((r) => r.path)).toEqual(['/v1/changes/9/wait', '/v1/changes/9', '/v1/changes/9', '/v1/changes/9']);
  });

  it('times out while polling a change that never becomes ready', async () => {
    const server = await serve((request, response) => {
      if (request.path.endsWith('/wait')) return sendError(response, 404, 'invalid API endpoint requested');
      sendSync(response, changeJson('4', { ready: false }));
    });
    await expect(waitChange(transport(server.socketPath), '4', { timeoutMs: 200, pollDelayMs: 20 })).rejects.toThrow(PebbleTimeoutError);
  });

  it('surfaces an unknown change as a 404 API error after the fallback', async () => {
    const server = await serve((_request, response) => sendError(response, 404, 'cannot find change with id "99"'));
    const error = (await waitChange(transport(server.socketPath), '99').catch((e: unknown) => e)) as PebbleApiError;
    expect(error).toBeInstanceOf(PebbleApiError);
    expect(error.status).toBe(404);
    expect(error.message).toBe('cannot find change with id "99"');
  });
});

describe('service actions and their changes', () => {
  it('waits for the change and throws ChangeError carrying err', async () => {
    const err = 'cannot perform the following tasks:\n- Start service "web" (service start attempt: exited quickly with code 1, will restart)';
    const server = await serve((request, response) => {
      if (request.method === 'POST') return sendAsync(response, '12');
      sendSync(response, changeJson('12', { status: 'Error', err }));
    });
    const error = (await new PebbleClient({ socketPath: server.socketPath }).restart(['web']).catch((e: unknown) => e)) as ChangeError;
    expect(error).toBeInstanceOf(ChangeError);
    expect(error.code).toBe('pebble-change-error');
    expect(error.err).toBe(err);
    expect(error.change.id).toBe('12');
    expect(JSON.parse(server.requests[0]!.body.toString())).toEqual({ action: 'restart', services: ['web'] });
  });

  it('returns the change id without waiting when timeoutMs is 0', async () => {
    const server = await serve((_request, response) => sendAsync(response, '13'));
    expect(await new PebbleClient({ socketPath: server.socketPath }).stop(['a', 'b'], { timeoutMs: 0 })).toBe('13');
    expect(server.requests).toHaveLength(1);
  });
});
