import http from 'node:http';
import type { Logger } from '../logging.ts';
import { mediaType } from './media-type.ts';
import { PebbleApiError, PebbleConnectionError, PebbleProtocolError, PebbleTimeoutError } from './errors.ts';

/**
 * HTTP/1.1 over Pebble's unix socket (canonical/pebble internals/daemon/response.go for the envelope): one connection per request (a unix
 * connect costs microseconds, and no pooled socket can go stale between a hook's calls), a
 * socket idle timeout per request, and the response envelope decoded into typed errors.
 */

export type QueryValue = string | number | boolean | readonly string[] | undefined;
export type Query = Record<string, QueryValue>;

export interface RawRequest {
  method: 'GET' | 'POST';
  path: string;
  query?: Query;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  /** Socket idle timeout in ms; 0 disables it. Defaults to the transport's timeout. */
  timeoutMs?: number;
}

export interface RawResponse {
  status: number;
  statusText: string;
  contentType: string;
  body: Buffer;
}

/** A decoded response envelope (sync, async or error). */
export interface Envelope {
  type: string;
  statusCode: number;
  status: string;
  result: unknown;
  change?: string;
}

export interface JsonRequest {
  query?: Query;
  /** The envelope type a success must have: `sync` (default) or `async` (a change was started). */
  expect?: 'sync' | 'async';
  /** Serialised as JSON with `Content-Type: application/json`. */
  body?: unknown;
  timeoutMs?: number;
}

const CONNECTION_ERROR_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'ENOTSOCK', 'EACCES', 'ECONNRESET', 'EPIPE']);

export class PebbleTransport {
  constructor(
    readonly socketPath: string,
    readonly timeoutMs: number,
    private readonly logger: () => Logger,
  ) {}

  /** One HTTP exchange; the whole response body is read into memory. */
  raw(request: RawRequest): Promise<RawResponse> {
    const path = withQuery(request.path, request.query);
    const timeoutMs = request.timeoutMs ?? this.timeoutMs;
    const started = Date.now();
    return new Promise<RawResponse>((resolve, reject) => {
      const headers: Record<string, string | number> = { Host: 'localhost', ...request.headers };
      if (request.body !== undefined) headers['Content-Length'] = Buffer.byteLength(request.body);
      const req = http.request({ socketPath: this.socketPath, method: request.method, path, headers, agent: false });
      if (timeoutMs > 0) {
        req.setTimeout(timeoutMs, () => {
          req.destroy(new PebbleTimeoutError(`Pebble did not answer ${request.method} ${request.path} within ${timeoutMs} ms`));
        });
      }
      req.on('error', (error) => reject(this.translate(error, request)));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error) => reject(this.translate(error, request)));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          this.logger().debug({ method: request.method, path: request.path, status, ms: Date.now() - started }, 'pebble request');
          resolve({
            status,
            statusText: res.statusMessage ?? '',
            contentType: res.headers['content-type'] ?? '',
            body: Buffer.concat(chunks),
          });
        });
      });
      req.end(request.body);
    });
  }

  /** A JSON request whose answer is a response envelope; non-2xx answers become PebbleApiError. */
  async json(method: 'GET' | 'POST', path: string, options: JsonRequest = {}): Promise<Envelope> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const response = await this.raw({
      method,
      path,
      headers,
      ...(options.query === undefined ? {} : { query: options.query }),
      ...(body === undefined ? {} : { body }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
    return decodeEnvelope(response, { expect: options.expect ?? 'sync', method, path });
  }

  private translate(error: Error, request: RawRequest): Error {
    if (error instanceof PebbleTimeoutError) return error;
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code.startsWith('HPE_')) {
      return new PebbleProtocolError(`Pebble sent an invalid HTTP response to ${request.method} ${request.path}: ${error.message}`, {
        cause: error,
      });
    }
    const reason = CONNECTION_ERROR_CODES.has(code) ? code : error.message;
    return new PebbleConnectionError(this.socketPath, `cannot talk to Pebble at ${this.socketPath}: ${reason}`, { cause: error });
  }
}

function withQuery(path: string, query: Query | undefined): string {
  if (query === undefined) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value as readonly string[]) params.append(key, item);
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

function isJsonContentType(contentType: string): boolean {
  return mediaType(contentType)?.essence === 'application/json';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface EnvelopeExpectation {
  expect: 'sync' | 'async';
  /** The request, for the message when an async answer was expected. */
  method: string;
  path: string;
}

/**
 * Turns a raw answer into an Envelope, or the error it stands for, checking what Pebble's Go
 * client checks (client/client.go `rawRequest`/`response.err`): a `type: "error"` body is an
 * error whatever the HTTP status; a success must be of the expected type, and an async one
 * must be a 202 naming its change.
 */
export function decodeEnvelope(response: RawResponse, expectation: EnvelopeExpectation = { expect: 'sync', method: '', path: '' }): Envelope {
  const ok = response.status >= 200 && response.status < 300;
  const text = response.body.toString('utf8');
  const json = isJsonContentType(response.contentType);
  const parsed = json ? tryParse(text) : undefined;
  if (!ok || (isObject(parsed) && parsed['type'] === 'error')) throw apiErrorFrom(response, parsed, text);
  if (!json) {
    throw new PebbleProtocolError(`expected Content-Type application/json from Pebble, got "${response.contentType}"`);
  }
  if (!isObject(parsed) || typeof parsed['type'] !== 'string') {
    throw new PebbleProtocolError(`Pebble sent a malformed JSON envelope (HTTP ${response.status})`);
  }
  const envelope: Envelope = {
    type: parsed['type'],
    statusCode: typeof parsed['status-code'] === 'number' ? parsed['status-code'] : response.status,
    status: typeof parsed['status'] === 'string' ? parsed['status'] : response.statusText,
    result: parsed['result'],
  };
  if (typeof parsed['change'] === 'string' && parsed['change'] !== '') envelope.change = parsed['change'];
  if (expectation.expect === 'sync' && envelope.type !== 'sync') {
    throw new PebbleProtocolError(`expected sync response, got ${JSON.stringify(envelope.type)}`);
  }
  if (expectation.expect === 'async') {
    if (envelope.type !== 'async') {
      throw new PebbleProtocolError(
        `expected async response for ${JSON.stringify(expectation.method)} on ${JSON.stringify(expectation.path)}, got ${JSON.stringify(envelope.type)}`,
      );
    }
    if (envelope.statusCode !== 202) throw new PebbleProtocolError('operation not accepted');
    if (envelope.change === undefined) throw new PebbleProtocolError('async response without change reference');
  }
  return envelope;
}

/**
 * An error envelope as PebbleApiError. Without a message, the text is the Go client's
 * `server error: "<status>"`, using the envelope's `status`, or for a body that is not an
 * envelope the HTTP status line.
 */
export function apiErrorFrom(response: RawResponse, parsed: unknown, text: string): PebbleApiError {
  const result = isObject(parsed) && isObject(parsed['result']) ? parsed['result'] : undefined;
  const statusText =
    isObject(parsed) && typeof parsed['status'] === 'string' ? parsed['status'] : `${response.status} ${response.statusText}`.trim();
  const message = typeof result?.['message'] === 'string' && result['message'] !== '' ? result['message'] : `server error: ${JSON.stringify(statusText)}`;
  const bodyStatus = isObject(parsed) && typeof parsed['status-code'] === 'number' ? parsed['status-code'] : undefined;
  return new PebbleApiError({
    status: bodyStatus ?? response.status,
    statusText: response.statusText,
    message,
    ...(typeof result?.['kind'] === 'string' ? { kind: result['kind'] } : {}),
    ...(result !== undefined && 'value' in result ? { value: result['value'] } : {}),
    body: parsed ?? text,
  });
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
