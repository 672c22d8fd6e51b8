import { writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  PebbleApiError,
  PebbleClient,
  PebbleConnectionError,
  PebbleProtocolError,
  PebbleTimeoutError,
} from '../../../src/pebble/index.ts';
import { sendError, sendSync, startGarbageServer, startRawServer, tempDir } from './support/raw-server.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function rawServer(handler: Parameters<typeof startRawServer>[0]) {
  const server = await startRawServer(handler);
  cleanups.push(() => server.close());
  return server;
}

describe('connection failures', () => {
  it('reports a missing socket as PebbleConnectionError and canConnect() false', async () => {
    const dir = await tempDir();
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const client = new PebbleClient({ socketPath: join(dir, 'absent.socket') });
    const error = await client.services().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PebbleConnectionError);
    expect((error as PebbleConnectionError).code).toBe('pebble-connection-error');
    expect((error as Error).message).toContain('ENOENT');
    expect(await client.canConnect()).toBe(false);
  });

  it('reports a path nobody listens on as refused', async () => {
    const dir = await tempDir();
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const socketPath = join(dir, 'pebble.socket');
    await writeFile(socketPath, 'not a socket');
    const client = new PebbleClient({ socketPath });
    await expect(client.services()).rejects.toThrow(PebbleConnectionError);
    expect(await client.canConnect()).toBe(false);
  });

  it('treats a server speaking something other than HTTP as a protocol error', async () => {
    const garbage = await startGarbageServer('SSH-2.0-OpenSSH_9.6\r\n\r\n');
    cleanups.push(() => garbage.close());
    const client = new PebbleClient({ socketPath: garbage.socketPath });
    await expect(client.services()).rejects.toThrow(PebbleProtocolError);
    expect(await client.canConnect()).toBe(false);
  });

  it('builds the socket path for a container under an overridable root', () => {
    expect(PebbleClient.forContainer('postgresql').socketPath).toBe('/charm/containers/postgresql/pebble.socket');
    expect(PebbleClient.forContainer('postgresql', { root: '/tmp/unit-0' }).socketPath).toBe(
      '/tmp/unit-0/charm/containers/postgresql/pebble.socket',
    );
  });
});

describe('response envelope', () => {
  it('accepts system info for canConnect() and sends the JSON headers ops sends', async () => {
    const server = await rawServer((_request, response) =>
      sendSync(response, { 'boot-id': 'b00t', 'http-address': ':38813', version: '1.32.1' }),
    );
    const client = new PebbleClient({ socketPath: server.socketPath });
    expect(await client.canConnect()).toBe(true);
    expect(server.requests[0]).toMatchObject({ method: 'GET', path: '/v1/system-info' });
    expect(server.requests[0]!.headers['accept']).toBe('application/json');
  });

  it('turns an error envelope into PebbleApiError with status, kind, message and body', async () => {
    const server = await rawServer((_request, response) => sendError(response, 400, 'no default services', 'no-default-services'));
    const client = new PebbleClient({ socketPath: server.socketPath });
    const error = (await client.replan().catch((e: unknown) => e)) as PebbleApiError;
    expect(error).toBeInstanceOf(PebbleApiError);
    expect(error.status).toBe(400);
    expect(error.statusText).toBe('Bad Request');
    expect(error.kind).toBe('no-default-services');
    expect(error.message).toBe('no default services');
    expect(error.body).toMatchObject({ type: 'error', 'status-code': 400 });
    expect(JSON.parse(server.requests[0]!.body.toString())).toEqual({ action: 'replan', services: [] });
    expect(server.requests[0]!.headers['content-type']).toBe('application/json');
  });

  it('keeps the status of a non-2xx answer that is not JSON', async () => {
    const server = await rawServer((_request, response) => {
      response.writeHead(502, 'Bad Gateway', { 'Content-Type': 'text/html' });
      response.end('<html>proxy error</html>');
    });
    const error = (await new PebbleClient({ socketPath: server.socketPath }).services().catch((e: unknown) => e)) as PebbleApiError;
    expect(error).toBeInstanceOf(PebbleApiError);
    expect(error.status).toBe(502);
    expect(error.message).toBe('server error: "502 Bad Gateway"'); // the Go client's wording (client/client.go parseError)
    expect(error.body).toBe('<html>proxy error</html>');
  });

  it('rejects a 200 with the wrong Content-Type', async () => {
    const server = await rawServer((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/plain' });
      response.end('{"type":"sync","result":[]}');
    });
    const client = new PebbleClient({ socketPath: server.socketPath });
    await expect(client.services()).rejects.toThrow(PebbleProtocolError);
    expect(await client.canConnect()).toBe(false);
  });

  it('rejects a 200 whose JSON is garbage or not an envelope', async () => {
    const bodies = ['{"type": "sync", "result": [', '[1,2,3]'];
    const server = await rawServer((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(bodies.shift());
    });
    const client = new PebbleClient({ socketPath: server.socketPath });
    await expect(client.services()).rejects.toThrow(PebbleProtocolError);
    await expect(client.services()).rejects.toThrow(PebbleProtocolError);
  });

  it('rejects results of the wrong shape instead of returning undefined fields', async () => {
    const server = await rawServer((_request, response) => sendSync(response, [{ name: 'web' }]));
    await expect(new PebbleClient({ socketPath: server.socketPath }).services()).rejects.toThrow(/"startup" is not a string/);
  });
});

describe('per-request timeout', () => {
  it('gives up on a silent server after the socket timeout', async () => {
    const server = await rawServer(() => undefined); // never answers
    const client = new PebbleClient({ socketPath: server.socketPath, timeoutMs: 150 });
    const started = Date.now();
    const error = await client.services().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PebbleTimeoutError);
    expect((error as PebbleTimeoutError).code).toBe('pebble-timeout');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await client.canConnect()).toBe(false);
  });
});
