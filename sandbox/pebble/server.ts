/**
 * A Pebble-compatible server on a unix socket: the HTTP API of canonical/pebble
 * (docs/reference/api.md), backed by real processes. Used by the sandbox (one per unit) and by the
 * Pebble client's unit tests.
 */
import { mkdirSync, rmSync } from 'node:fs';
import http, { type IncomingMessage } from 'node:http';
import { dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../src/logging.ts';
import { routes, TASK_WEBSOCKET_PATH } from './api/routes.ts';
import { Daemon } from './daemon.ts';
import { PebbleStartError, type ApiError } from './errors.ts';
import { statusText } from './http/envelope.ts';
import { Router } from './http/router.ts';

export interface PebbleServerOptions {
  /** Listen here (parent directories are created). */
  socketPath: string;
  /** Where the server keeps its own state (layers, notices, id counters). */
  stateDir: string;
  /** Filesystem root for /v1/files and working directories; default '/'. */
  rootDir?: string;
  /** The "Pebble process" environment services and execs inherit; default process.env. */
  env?: Record<string, string>;
  /** Optional directory of initial layers (001-x.yaml), like $PEBBLE/layers. */
  layersDir?: string;
  /** Defaults to a pino logger at PEBBLE_LOG_LEVEL (default "warn"). */
  logger?: Logger;
  /** Called when a service's shutdown action fires (real Pebble would exit). */
  onShutdown?: (service: string, outcome: 'success' | 'failure') => void;
}

export interface PebbleServer {
  socketPath: string;
  /** Stop serving, stop every service/exec/check process, persist state. */
  close(): Promise<void>;
}

/** Answer a refused websocket upgrade with a normal HTTP error envelope on the raw socket. */
function rejectUpgrade(socket: Duplex, err: Pick<ApiError, 'status' | 'message' | 'kind'>): void {
  const result: Record<string, unknown> = { message: err.message };
  if (err.kind) result['kind'] = err.kind;
  const body = JSON.stringify({ type: 'error', 'status-code': err.status, status: statusText(err.status), result });
  socket.end(
    `HTTP/1.1 ${err.status} ${statusText(err.status)}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export async function startPebbleServer(options: PebbleServerOptions): Promise<PebbleServer> {
  const daemon = new Daemon(options);
  daemon.start();
  const router = new Router(routes(daemon), daemon.logger);

  const server = http.createServer((req, res) => {
    void router.handle(req, res);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const found = router.match(url.pathname);
    if (!found || found.route.path !== TASK_WEBSOCKET_PATH) {
      rejectUpgrade(socket, { status: 404, message: 'invalid API endpoint requested', kind: undefined });
      return;
    }
    if (req.method !== 'GET') {
      rejectUpgrade(socket, { status: 405, message: `method ${JSON.stringify(req.method)} not allowed`, kind: undefined });
      return;
    }
    try {
      const refusal = daemon.execs.upgrade(req, socket, head, found.params['task-id'] ?? '', found.params['websocket-id'] ?? '');
      if (refusal) rejectUpgrade(socket, refusal);
    } catch (err) {
      daemon.logger.error({ err }, 'websocket upgrade failed');
      rejectUpgrade(socket, { status: 500, message: (err as Error).message, kind: undefined });
    }
  });

  mkdirSync(dirname(options.socketPath), { recursive: true });
  rmSync(options.socketPath, { force: true });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await daemon.stop();
    throw new PebbleStartError(`cannot listen on ${options.socketPath}: ${(err as Error).message}`, { cause: err });
  }

  let closing: Promise<void> | undefined;
  return {
    socketPath: options.socketPath,
    close: () =>
      (closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await daemon.stop();
        server.closeAllConnections();
        await stopped;
        rmSync(options.socketPath, { force: true });
      })()),
  };
}
