import http from 'node:http';
import https from 'node:https';
import { errorCode } from '../errors.ts';
import { PatroniUnreachableError, type UnreachableReason } from './errors.ts';

/** Where and how to reach one Patroni REST endpoint. */
export interface Endpoint {
  /** `http(s)://host:port`, no trailing path. */
  baseUrl: string;
  username: string;
  password: string | undefined;
  /** PEM of the CA that signed the REST certificate; only used for https. */
  caPem: string | undefined;
}

export interface RawRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Path with query, e.g. `/replica?lag=100MB`. */
  path: string;
  body?: unknown;
  timeoutMs: number;
  /** Lets a fan-out cancel the requests it no longer needs. */
  signal?: AbortSignal;
}

export interface RawResponse {
  status: number;
  contentType: string;
  body: string;
}

/**
 * One HTTP exchange with Patroni. Any HTTP status resolves (the caller decides what it means);
 * only a missing answer rejects, always with a PatroniUnreachableError saying why.
 */
export function sendRequest(endpoint: Endpoint, request: RawRequest): Promise<RawResponse> {
  const url = new URL(request.path, endpoint.baseUrl);
  const payload = request.body === undefined ? undefined : JSON.stringify(request.body);
  const isHttps = url.protocol === 'https:';
  const options: https.RequestOptions = {
    method: request.method,
    // One-shot connections: Patroni's BaseHTTPRequestHandler speaks HTTP/1.0 and a hook process
    // is short-lived, so pooled sockets would only go stale.
    agent: false,
    headers: {
      accept: 'application/json, text/plain;q=0.9, */*;q=0.5',
      ...(payload === undefined
        ? {}
        : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
    },
    ...(endpoint.password === undefined ? {} : { auth: `${endpoint.username}:${endpoint.password}` }),
    ...(isHttps && endpoint.caPem !== undefined ? { ca: endpoint.caPem } : {}),
  };
  const target = `${url.origin}${url.pathname}`;

  return new Promise<RawResponse>((resolve, reject) => {
    let settled = false;
    const fail = (reason: UnreachableReason, cause: unknown) => {
      if (settled) return;
      settled = true;
      cleanup();
      reject(new PatroniUnreachableError(target, reason, { cause }));
    };

    const req = (isHttps ? https : http).request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (error) => fail(classifyNetworkError(error), error));
      res.on('end', () => {
        if (settled) return;
        settled = true;
        cleanup();
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });

    // A whole-exchange deadline (connect + TLS + answer), not just socket idleness.
    const timer = setTimeout(() => {
      const error = new Error(`no answer within ${request.timeoutMs} ms`);
      fail('timeout', error);
      req.destroy(error);
    }, request.timeoutMs);
    const onAbort = () => {
      fail('aborted', request.signal?.reason);
      req.destroy();
    };
    const cleanup = () => {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
    };

    if (request.signal?.aborted) {
      onAbort();
      return;
    }
    request.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (error) => fail(classifyNetworkError(error), error));
    req.end(payload);
  });
}

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|EPROTO$|HOSTNAME_MISMATCH$)/;

/** Map Node's socket/TLS error codes onto the few reasons callers act on. */
export function classifyNetworkError(error: unknown): UnreachableReason {
  const code = errorCode(error);
  if (code === undefined) return 'network';
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT') return 'timeout';
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED') return 'reset';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'dns';
  if (TLS_CODE.test(code)) return 'tls';
  return 'network';
}
