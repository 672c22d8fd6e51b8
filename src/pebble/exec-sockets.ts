import net from 'node:net';
import type { WebSocket } from 'ws';
import { PebbleConnectionError } from './errors.ts';
import { apiErrorFrom } from './transport.ts';

/**
 * The websocket side of exec (canonical/pebble internals/daemon/api_tasks.go, client/exec.go): opening a task's websockets over Pebble's unix
 * socket and reading an output stream until its `{"command":"end"}` frame.
 */

/** ops gives each websocket 5 s to connect; Pebble gives the client 5 s to connect them all. */
const CONNECT_TIMEOUT_MS = 5_000;

export const END_FRAME = JSON.stringify({ command: 'end' });

/**
 * Opens `GET /v1/tasks/{task}/websocket/{id}`. The socket is dialled with `createConnection`
 * rather than a `ws+unix:` URL because that URL form splits on the first ':' and
 * percent-encodes the socket path, so some legal paths could not be expressed.
 * `onCreated` runs before the handshake so listeners are in place before the first frame.
 */
export async function openTaskSocket(
  socketPath: string,
  taskId: string,
  id: string,
  onCreated: (socket: WebSocket) => void,
): Promise<WebSocket> {
  const { WebSocket } = await import('ws'); // lazily: only hooks that exec pay for loading ws
  const path = `/v1/tasks/${encodeURIComponent(taskId)}/websocket/${encodeURIComponent(id)}`;
  const socket = new WebSocket(`ws://localhost${path}`, {
    createConnection: () => net.connect({ path: socketPath }),
    handshakeTimeout: CONNECT_TIMEOUT_MS,
    perMessageDeflate: false,
  });
  onCreated(socket);
  return new Promise<WebSocket>((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (request, response) => {
      // Pebble refused the upgrade (unknown task, exec already finished, …): surface its error.
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        reject(
          apiErrorFrom(
            { status: response.statusCode ?? 0, statusText: response.statusMessage ?? '', contentType: '', body: Buffer.from(text) },
            parsed,
            text,
          ),
        );
        request.destroy();
      });
    });
    socket.once('error', (error) => {
      reject(new PebbleConnectionError(socketPath, `cannot open exec websocket "${id}": ${error.message}`, { cause: error }));
    });
  });
}

/** Collects one output stream (stdio or stderr) until the server's end frame or a close. */
export class OutputCollector {
  private readonly chunks: Buffer[] = [];
  private markEnded!: () => void;
  readonly ended = new Promise<void>((resolve) => {
    this.markEnded = resolve;
  });

  attach(socket: WebSocket): void {
    socket.on('message', (data, isBinary) => {
      const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
      if (isBinary) {
        this.chunks.push(buffer);
        return;
      }
      // Text frames are commands; only "end" means anything to a reader (client/exec.go).
      if (parseCommand(buffer.toString('utf8')) === 'end') this.markEnded();
    });
    socket.on('close', () => this.markEnded());
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  text(): string {
    return this.bytes().toString('utf8');
  }
}

function parseCommand(text: string): string | undefined {
  try {
    const frame = JSON.parse(text) as { command?: unknown } | null;
    return typeof frame?.command === 'string' ? frame.command : undefined;
  } catch {
    return undefined;
  }
}

/** Sends a frame and resolves once ws has handed it to the socket. */
export function sendFrame(socketPath: string, socket: WebSocket, data: string | Uint8Array, binary: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.send(data, { binary }, (error) => {
      if (error) reject(new PebbleConnectionError(socketPath, `cannot write to exec websocket: ${error.message}`, { cause: error }));
      else resolve();
    });
  });
}
