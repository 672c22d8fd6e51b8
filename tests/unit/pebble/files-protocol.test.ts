import type http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { PathError, PebbleApiError, PebbleClient, PebbleProtocolError } from '../../../src/pebble/index.ts';
import { encodeFilesWrite, MIN_BOUNDARY_LENGTH, reencodeWithBoundary } from '../../../src/pebble/multipart.ts';
import { sendError, sendSync, startRawServer, type Handler } from './support/raw-server.ts';

/**
 * The files API's multipart framing (docs/pebble-api.md#files; canonical/pebble
 * internals/daemon/api_files.go), byte-level: what the client puts on the wire for a push, and
 * how it reads Pebble-shaped (Go mime/multipart) read responses, including malformed ones no
 * real Pebble sends.
 */

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function serve(handler: Handler) {
  const server = await startRawServer(handler);
  cleanups.push(() => server.close());
  return server;
}

const BOUNDARY = '7d1c1c1e5b0f4d5d8c4f2a9b3e6a0c1d2f3e4a5b';

interface Part {
  headers: string[];
  body: Buffer | string;
}

/** A multipart body framed as Go's mime/multipart writes it. */
function multipart(parts: Part[]): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(Buffer.from(`--${BOUNDARY}\r\n${part.headers.join('\r\n')}\r\n\r\n`), Buffer.from(part.body), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(chunks);
}

function filePart(path: string, body: Buffer | string): Part {
  return {
    headers: [`Content-Disposition: form-data; name="files"; filename="${path}"`, 'Content-Type: application/octet-stream'],
    body,
  };
}

function responsePart(result: unknown): Part {
  return {
    headers: ['Content-Disposition: form-data; name="response"', 'Content-Type: application/json'],
    body: `${JSON.stringify({ type: 'sync', 'status-code': 200, status: 'OK', result })}\n`,
  };
}

function sendMultipart(response: http.ServerResponse, parts: Part[]): void {
  const body = multipart(parts);
  response.writeHead(200, { 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`, 'Content-Length': body.length });
  response.end(body);
}

describe('pull', () => {
  it('asks for multipart and returns the file part of the requested path', async () => {
    const bytes = Buffer.from('a\r\n--b\u0000ü', 'utf8'); // CRLF and dashes, like a boundary
    const server = await serve((request, response) =>
      sendMultipart(response, [filePart(request.query.get('path')!, bytes), responsePart([{ path: request.query.get('path') }])]),
    );
    const client = new PebbleClient({ socketPath: server.socketPath });
    expect(await client.pullText('/etc/data.bin')).toBe(bytes.toString('utf8'));
    const request = server.requests[0]!;
    expect(request.headers['accept']).toBe('multipart/form-data');
    expect(request.query.get('action')).toBe('read');
    expect(request.query.get('path')).toBe('/etc/data.bin');
  });

  it('raises the per-path error of the response part as PathError', async () => {
    const server = await serve((_request, response) =>
      sendMultipart(response, [responsePart([{ path: '/x', error: { kind: 'not-found', message: 'stat /x: no such file or directory' } }])]),
    );
    const error = (await new PebbleClient({ socketPath: server.socketPath }).pullText('/x').catch((e: unknown) => e)) as PathError;
    expect(error).toBeInstanceOf(PathError);
    expect(error.kind).toBe('not-found');
    expect(error.message).toBe('stat /x: no such file or directory');
    expect(error.path).toBe('/x');
  });

  it('rejects a response without a file part for the path, or with a JSON body', async () => {
    const answers: Array<(response: http.ServerResponse) => void> = [
      (response) => sendMultipart(response, [filePart('/other', 'x'), responsePart([{ path: '/a' }])]),
      (response) => sendMultipart(response, [filePart('/a', 'x')]),
      (response) => sendSync(response, [{ path: '/a' }]),
    ];
    const server = await serve((_request, response) => answers.shift()!(response));
    const client = new PebbleClient({ socketPath: server.socketPath });
    await expect(client.pullText('/a')).rejects.toThrow(/exactly one file part/);
    await expect(client.pullText('/a')).rejects.toThrow(/no "response" part/);
    await expect(client.pullText('/a')).rejects.toThrow(PebbleProtocolError);
  });

  it('raises request-level errors (JSON envelopes) as PebbleApiError', async () => {
    const server = await serve((_request, response) => sendError(response, 401, 'access denied', 'login-required'));
    const error = (await new PebbleClient({ socketPath: server.socketPath }).pullText('/a').catch((e: unknown) => e)) as PebbleApiError;
    expect(error).toBeInstanceOf(PebbleApiError);
    expect(error.status).toBe(401);
    expect(error.kind).toBe('login-required');
  });
});

describe('push', () => {
  it('sends a request part, then the file part named by its full path, with a long boundary', async () => {
    const server = await serve((_request, response) => sendSync(response, [{ path: '/srv/conf/app.yaml' }]));
    const client = new PebbleClient({ socketPath: server.socketPath });
    await client.push('/srv/conf/app.yaml', 'key: värde\n', { makeDirs: true, permissions: 0o640, user: 'postgres', groupId: 71 });

    const request = server.requests[0]!;
    const contentType = request.headers['content-type']!;
    expect(contentType).toMatch(/^multipart\/form-data; boundary=/);
    const boundary = contentType.split('boundary=')[1]!;
    expect(boundary.length).toBeGreaterThanOrEqual(MIN_BOUNDARY_LENGTH);
    const raw = request.body.toString('utf8');
    expect(raw.indexOf('name="request"')).toBeLessThan(raw.indexOf('name="files"'));

    const form = await new Response(request.body, { headers: { 'content-type': contentType } }).formData();
    expect(JSON.parse(form.get('request') as string)).toEqual({
      action: 'write',
      files: [{ path: '/srv/conf/app.yaml', 'make-dirs': true, permissions: '640', user: 'postgres', 'group-id': 71 }],
    });
    const file = form.get('files') as File;
    expect(file.name).toBe('/srv/conf/app.yaml');
    expect(await file.text()).toBe('key: värde\n');
  });

  it('raises the per-path result error and refuses permissions outside 0..0o777', async () => {
    const server = await serve((_request, response) =>
      sendSync(response, [{ path: '/d/f', error: { kind: 'not-found', message: 'open /d/f.x1~: no such file or directory' } }]),
    );
    const client = new PebbleClient({ socketPath: server.socketPath });
    await expect(client.push('/d/f', 'x')).rejects.toMatchObject({ kind: 'not-found', message: 'open /d/f.x1~: no such file or directory' });
    await expect(client.push('/d/f', 'x', { permissions: 0o1777 })).rejects.toMatchObject({ kind: 'generic-file-error' });
    expect(server.requests).toHaveLength(1);
  });
});

describe('multipart encoding', () => {
  it('Node picks a boundary Pebble accepts', async () => {
    const { contentType, body } = await encodeFilesWrite({ action: 'write' }, [{ filename: '/a', data: Buffer.from('x') }]);
    const boundary = contentType.split('boundary=')[1]!;
    expect(boundary.length).toBeGreaterThanOrEqual(MIN_BOUNDARY_LENGTH);
    expect(body.includes(Buffer.from(`--${boundary}--`))).toBe(true);
  });

  it('the fallback encoding with our own boundary parses back to the same parts', async () => {
    const data = Buffer.from([0xde, 0xad, 0x0d, 0x0a, 0xbe, 0xef]);
    const { contentType, body } = reencodeWithBoundary({ action: 'write', files: [{ path: '/b' }] }, [{ filename: '/b', data }], 'x'.repeat(40));
    const form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
    expect(JSON.parse(form.get('request') as string)).toEqual({ action: 'write', files: [{ path: '/b' }] });
    const file = form.get('files') as File;
    expect(file.name).toBe('/b');
    expect(Buffer.from(await file.arrayBuffer())).toEqual(data);
  });
});
