import https from 'node:https';
import type { Logger } from '../logging.ts';
import type { KubernetesConnection } from './config.ts';
import {
  errorForStatus,
  KubernetesResponseError,
  KubernetesUnreachableError,
  type KubernetesStatusBody,
  type KubernetesUnreachableReason,
} from './errors.ts';
import { errorCode } from '../errors.ts';

export const DEFAULT_KUBERNETES_TIMEOUT_MS = 15_000;

export type KubernetesVerb = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface KubernetesRequest {
  method: KubernetesVerb;
  path: string;
  query?: Readonly<Record<string, string>>;
  body?: unknown;
  /** Defaults to `application/json` when there is a body. */
  contentType?: string;
}

/** Media types of the three PATCH flavours the API server accepts. */
export const MERGE_PATCH = 'application/merge-patch+json';
/** Server-side apply; JSON is valid YAML, so the body is sent as JSON. */
export const APPLY_PATCH = 'application/apply-patch+yaml';

/**
 * One JSON exchange with the API server over node:https, authenticated with the bearer token and
 * verifying the server against the service-account CA. 2xx resolves to the parsed body; any other
 * status rejects with the typed error for it; no answer rejects with KubernetesUnreachableError.
 */
export class KubernetesTransport {
  constructor(
    private readonly connection: KubernetesConnection,
    private readonly options: { timeoutMs?: number; logger?: Logger } = {},
  ) {}

  async request(request: KubernetesRequest): Promise<unknown> {
    const url = new URL(`${this.connection.apiUrl}${request.path}`);
    for (const [key, value] of Object.entries(request.query ?? {})) url.searchParams.set(key, value);
    const described = `${request.method} ${request.path}`;
    const payload = request.body === undefined ? undefined : JSON.stringify(request.body);
    const started = Date.now();
    const response = await this.exchange(url, request, payload, described);
    this.options.logger?.debug({ request: described, status: response.status, ms: Date.now() - started }, 'kubernetes request');

    const parsed = parseJson(response.body);
    if (response.status < 200 || response.status >= 300) {
      throw errorForStatus(described, response.status, asStatus(parsed));
    }
    if (parsed === undefined || typeof parsed !== 'object' || parsed === null) {
      throw new KubernetesResponseError('k8s-bad-response', described, `${described} answered ${response.status} without a JSON object`, {
        status: response.status,
      });
    }
    return parsed;
  }

  private exchange(url: URL, request: KubernetesRequest, payload: string | undefined, described: string): Promise<{ status: number; body: string }> {
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_KUBERNETES_TIMEOUT_MS;
    const options: https.RequestOptions = {
      method: request.method,
      // A hook lives for seconds: no keep-alive pool to leave sockets behind.
      agent: false,
      ca: this.connection.caPem,
      headers: {
        accept: 'application/json',
        authorization: `Bearer ${this.connection.token}`,
        ...(payload === undefined
          ? {}
          : { 'content-type': request.contentType ?? 'application/json', 'content-length': Buffer.byteLength(payload) }),
      },
    };
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outcome();
      };
      const fail = (why: KubernetesUnreachableReason, cause: unknown) =>
        finish(() => reject(new KubernetesUnreachableError(described, why, cause)));

      const req = https.request(url, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error) => fail(classify(error), error));
        res.on('end', () => finish(() => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') })));
      });
      // One deadline for the whole exchange (connect, TLS, answer), not only socket idleness.
      const timer = setTimeout(() => {
        const error = new Error(`no answer within ${timeoutMs} ms`);
        fail('timeout', error);
        req.destroy(error);
      }, timeoutMs);
      req.on('error', (error) => fail(classify(error), error));
      req.end(payload);
    });
  }
}

function parseJson(body: string): unknown {
  if (body.trim() === '') return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function asStatus(value: unknown): KubernetesStatusBody | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  return {
    ...(typeof record['reason'] === 'string' ? { reason: record['reason'] } : {}),
    ...(typeof record['message'] === 'string' ? { message: record['message'] } : {}),
    ...(typeof record['code'] === 'number' ? { code: record['code'] } : {}),
  };
}

const TLS_ERROR = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|EPROTO$|HOSTNAME_MISMATCH$)/;

function classify(error: unknown): KubernetesUnreachableReason {
  const code = errorCode(error);
  if (code === undefined) return 'network';
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ETIMEDOUT') return 'timeout';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'reset';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'dns';
  return TLS_ERROR.test(code) ? 'tls' : 'network';
}
