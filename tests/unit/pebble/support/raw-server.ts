import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A bare HTTP server on a unix socket in a temp dir, for the answers a real Pebble cannot be made
 * to give on demand (garbage, wrong Content-Type, stalls, old servers without /wait). Each test
 * decides every response; helpers below build response envelopes (docs/pebble-api.md#envelope)
 * exactly as Pebble does.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export type Handler = (request: RecordedRequest, response: http.ServerResponse) => void | Promise<void>;

export interface RawServer {
  socketPath: string;
  dir: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'pebble-client-'));
}

/** `onUpgrade` takes websocket upgrades (exec's task websockets); without it they hang up. */
export async function startRawServer(
  handler: Handler,
  options: { onUpgrade?: (request: http.IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => void } = {},
): Promise<RawServer> {
  const dir = await tempDir();
  const socketPath = join(dir, 'pebble.socket');
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const recorded = { method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(recorded);
      Promise.resolve(handler(recorded, res)).catch((error: unknown) => {
        res.destroy(error instanceof Error ? error : new Error(String(error)));
      });
    });
  });
  if (options.onUpgrade !== undefined) server.on('upgrade', options.onUpgrade);
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    dir,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A unix socket that answers every connection with the same raw bytes, then hangs up. */
export async function startGarbageServer(bytes: string): Promise<{ socketPath: string; close(): Promise<void> }> {
  const dir = await tempDir();
  const socketPath = join(dir, 'pebble.socket');
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.resume(); // read (and drop) the request, so the client's hang-up is noticed
    socket.end(bytes);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  202: 'Accepted',
  400: 'Bad Request',
  404: 'Not Found',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  504: 'Gateway Timeout',
};

export function sendJson(response: http.ServerResponse, status: number, envelope: unknown): void {
  const body = JSON.stringify(envelope);
  response.writeHead(status, STATUS_TEXT[status], { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  response.end(body);
}

export function sendSync(response: http.ServerResponse, result: unknown, status = 200): void {
  sendJson(response, status, { type: 'sync', 'status-code': status, status: STATUS_TEXT[status], result });
}

export function sendAsync(response: http.ServerResponse, change: string, result: unknown = null): void {
  sendJson(response, 202, { type: 'async', 'status-code': 202, status: 'Accepted', change, result });
}

export function sendError(response: http.ServerResponse, status: number, message: string, kind?: string): void {
  sendJson(response, status, {
    type: 'error',
    'status-code': status,
    status: STATUS_TEXT[status],
    result: kind === undefined ? { message } : { message, kind },
  });
}

/** A Change as Pebble serialises it (docs/pebble-api.md#changes-and-waiting). */
export function changeJson(id: string, fields: { status?: string; ready?: boolean; err?: string; kind?: string } = {}): Record<string, unknown> {
  const ready = fields.ready ?? true;
  return {
    id,
    kind: fields.kind ?? 'start',
    summary: 'Start service "web"',
    status: fields.status ?? (ready ? 'Done' : 'Doing'),
    ready,
    ...(fields.err === undefined ? {} : { err: fields.err }),
    'spawn-time': '2026-07-22T09:25:22.123456789Z',
    ...(ready ? { 'ready-time': '2026-07-22T09:25:23.123456789Z' } : {}),
    tasks: [
      {
        id: '1',
        kind: fields.kind ?? 'start',
        summary: 'Start service "web"',
        status: fields.status ?? (ready ? 'Done' : 'Doing'),
        progress: { label: '', done: 1, total: 1 },
        'spawn-time': '2026-07-22T09:25:22.123456789Z',
      },
    ],
  };
}
