/**
 * Pebble's response envelope (canonical/pebble internals/daemon/response.go): `type`,
 * `status-code`, `status` (Go's http.StatusText), then `change` for async responses and `result`.
 */
import type { ServerResponse } from 'node:http';
import type { ErrorKind } from '../errors.ts';

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  202: 'Accepted',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  504: 'Gateway Timeout',
};

export const statusText = (status: number): string => STATUS_TEXT[status] ?? '';

/** What a handler returns: a JSON envelope, or a custom writer (multipart, NDJSON stream). */
export type Reply =
  | { kind: 'json'; status: number; body: Record<string, unknown> }
  | { kind: 'custom'; write: (res: ServerResponse) => Promise<void> | void };

function envelope(type: string, status: number, result: unknown, change?: string): Record<string, unknown> {
  const body: Record<string, unknown> = { type, 'status-code': status, status: statusText(status) };
  if (change !== undefined) body['change'] = change;
  // Go's omitempty drops a nil result; `false`/`[]`/`""` are kept. An async answer is the
  // exception: AsyncResponse stores a nil map, which omitempty keeps as `"result": null`
  // (docs/specs/openapi.yaml's POST /v1/services example, docs/reference/api.md's curl one).
  if (result !== undefined && result !== null) body['result'] = result;
  else if (type === 'async') body['result'] = null;
  return body;
}

/** A sync response; `status` is 200 except for /v1/health's 502. */
export function syncReply(result: unknown, status = 200): Reply {
  return { kind: 'json', status, body: envelope('sync', status, result) };
}

/** 202 with the change id; service actions carry no result, exec carries metadata. */
export function asyncReply(change: string, result?: Record<string, unknown>): Reply {
  return { kind: 'json', status: 202, body: envelope('async', 202, result, change) };
}

export function errorReply(status: number, message: string, kind?: ErrorKind): Reply {
  const result: Record<string, unknown> = { message };
  if (kind) result['kind'] = kind;
  return { kind: 'json', status, body: envelope('error', status, result) };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
