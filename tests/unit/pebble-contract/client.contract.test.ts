import http from 'node:http';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createLogger } from '../../../src/logging.ts';
import { waitChange } from '../../../src/pebble/changes.ts';
import { ChangeError, PathError, PebbleApiError, PebbleClient, PebbleProtocolError } from '../../../src/pebble/index.ts';
import { PebbleTransport } from '../../../src/pebble/transport.ts';
import { startRawServer, type RecordedRequest } from '../pebble/support/raw-server.ts';
import { loadCorpus, multipartBody, type Fixture, type FixtureResponse } from './support/corpus.ts';

/**
 * Our client against the real Pebble's documented answers: a raw server replays each corpus
 * response (taken from canonical/pebble's docs and Go tests), and the client must decode it the
 * way Pebble's Go client does — same values, same error kinds and messages.
 */

const ERROR_CLASSES = { PebbleApiError, PebbleProtocolError, PathError, ChangeError } as const;
const STATUS_TEXT: Record<number, string> = { 200: 'OK', 202: 'Accepted', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error' };

function send(response: http.ServerResponse, answer: FixtureResponse): void {
  if (answer.multipart !== undefined) {
    const body = multipartBody(answer.multipart);
    response.writeHead(answer.status, { 'Content-Type': `multipart/form-data; boundary=${answer.multipart.boundary}`, 'Content-Length': body.length });
    response.end(body);
    return;
  }
  const body = JSON.stringify(answer.body);
  response.writeHead(answer.status, STATUS_TEXT[answer.status] ?? '', { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  response.end(body);
}

/** The fixture's request path answers its response, a follow-up path its own; anything else is Pebble's 404. */
function replay(fixture: Fixture) {
  return (request: RecordedRequest, response: http.ServerResponse): void => {
    if (request.method === fixture.request.method && request.path === fixture.request.path) return send(response, fixture.response);
    if (fixture.followUp !== undefined && request.method === fixture.followUp.method && request.path === fixture.followUp.path) {
      return send(response, fixture.followUp.response);
    }
    send(response, { status: 404, body: { type: 'error', 'status-code': 404, status: 'Not Found', result: { message: 'invalid API endpoint requested' } } });
  };
}

/** Exec's websockets: accepted, and the output streams end at once (the Go client tests fake them the same way). */
const wss = new WebSocketServer({ noServer: true });
function acceptTaskWebsocket(request: http.IncomingMessage, socket: Duplex, head: Buffer): void {
  wss.handleUpgrade(request, socket, head, (ws) => {
    ws.on('error', () => undefined);
    if (/\/websocket\/(stdio|stderr)$/.test(request.url ?? '')) ws.send(JSON.stringify({ command: 'end' }));
  });
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const silent = createLogger({ level: 'silent' });

async function call(client: PebbleClient, socketPath: string, name: string, args: unknown[]): Promise<unknown> {
  if (name === 'waitChange') return waitChange(new PebbleTransport(socketPath, 5_000, () => silent), args[0] as string);
  if (name === 'exec') return (await client.exec(args[0] as string[])).wait();
  const method = (client as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name];
  if (typeof method !== 'function') throw new Error(`PebbleClient has no method ${name}`);
  return method.apply(client, args);
}

const fixtures = loadCorpus().filter((fixture) => fixture.client !== undefined);

describe('client against the Pebble corpus', () => {
  it('has client cases for every part of the API the charm uses', () => {
    const calls = new Set(fixtures.map((fixture) => fixture.client!.call));
    for (const used of ['canConnect', 'addLayer', 'plan', 'services', 'restart', 'replan', 'sendSignal', 'push', 'pullText', 'listFiles', 'stat', 'makeDir', 'exec']) {
      expect(calls, used).toContain(used);
    }
  });

  it.each(fixtures.map((fixture) => [`${fixture.name} (${fixture.source.path}: ${fixture.source.ref})`, fixture] as const))('%s', async (_title, fixture) => {
    const expectation = fixture.client!;
    const server = await startRawServer(replay(fixture), { onUpgrade: acceptTaskWebsocket });
    cleanups.push(() => server.close());
    const client = new PebbleClient({ socketPath: server.socketPath, logger: silent });

    const outcome = await call(client, server.socketPath, expectation.call, expectation.args ?? []).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );

    if (expectation.throws !== undefined) {
      expect('error' in outcome, `expected ${expectation.throws.class}, got ${JSON.stringify(outcome)}`).toBe(true);
      const error = (outcome as { error: Error & Record<string, unknown> }).error;
      expect(error).toBeInstanceOf(ERROR_CLASSES[expectation.throws.class]);
      if (expectation.throws.message !== undefined) expect(error.message).toBe(expectation.throws.message);
      if (expectation.throws.messageMatches !== undefined) expect(error.message).toMatch(new RegExp(expectation.throws.messageMatches));
      if (expectation.throws.status !== undefined) expect(error['status']).toBe(expectation.throws.status);
      if (expectation.throws.kind !== undefined) expect(error['kind']).toBe(expectation.throws.kind);
      if (expectation.throws.path !== undefined) expect(error['path']).toBe(expectation.throws.path);
    } else {
      if ('error' in outcome) throw outcome.error;
      if (expectation.returnsLength !== undefined) expect(outcome.value).toHaveLength(expectation.returnsLength);
      else expect(outcome.value ?? null).toEqual(expectation.returns ?? null);
    }

    const sent = server.requests.find((request) => request.method === fixture.request.method && request.path === fixture.request.path);
    if (expectation.requestBodyIncludes !== undefined) {
      expect(sent, 'the client sent the documented request').toBeDefined();
      expect(sent!.headers['content-type']).toBe('application/json');
      expect(JSON.parse(sent!.body.toString('utf8'))).toMatchObject(expectation.requestBodyIncludes);
    }
    if (expectation.requestQuery !== undefined) {
      expect(Object.fromEntries(sent!.query)).toEqual(expectation.requestQuery);
    }
  });
});
