import { setTimeout as sleep } from 'node:timers/promises';
import type * as z from 'zod/mini';
import { errorCode, errorMessage } from '../errors.ts';
import { createLogger, type Logger } from '../logging.ts';
import { PATRONI_API_PORT } from '../workload/users.ts';
import { primaryOf } from './cluster.ts';
import {
  PatroniApiError,
  PatroniAuthError,
  PatroniResponseError,
  PatroniUnreachableError,
  SwitchoverFailedError,
  SwitchoverNotSyncError,
} from './errors.ts';
import { sendRequest, type Endpoint, type RawRequest, type RawResponse } from './http.ts';
import { DEFAULT_RETRY_POLICIES, NO_RETRY, withRetry, type PatroniRetryPolicies, type RetryPolicy } from './retry.ts';
import {
  clusterStatusSchema,
  dynamicConfigSchema,
  memberStatusSchema,
  type ClusterStatus,
  type ConfigPatch,
  type DynamicConfig,
  type MemberStatus,
} from './schemas.ts';

export const DEFAULT_TIMEOUT_MS = 10_000;
/** Patroni answers POST /switchover only once the new leader holds the key (up to ~20 s). */
export const DEFAULT_SWITCHOVER_TIMEOUT_MS = 30_000;
const NOT_SYNC_BODY = 'candidate name does not match with sync_standby';

export interface PatroniClientOptions {
  /** This member's REST base URL, e.g. `https://postgresql-k8s-0.postgresql-k8s-endpoints:8008`. */
  url: string;
  /** The other members' base URLs, asked alongside `url` by `clusterFromAny()`. */
  peerUrls?: readonly string[];
  /** The `patroni` REST user's password; unsafe verbs answer 401 without it. */
  password?: string;
  username?: string;
  /** PEM of the CA that signed the REST certificates (https URLs only). */
  caPem?: string;
  timeoutMs?: number;
  switchoverTimeoutMs?: number;
  retry?: Partial<PatroniRetryPolicies>;
  logger?: Logger;
}

/** `http(s)://<host>:<PATRONI_API_PORT>`, the URL scheme following whether the cluster uses TLS. */
export function patroniUrl(host: string, tls: boolean, port = PATRONI_API_PORT): string {
  return `${tls ? 'https' : 'http'}://${host}:${port}`;
}

export interface RestartResult {
  /** false when Patroni declined (503), e.g. `restart conditions are not satisfied` with nothing pending. */
  restarted: boolean;
  message: string;
}

export interface SwitchoverResult {
  /** The member that holds the leader key afterwards, when Patroni's answer names it. */
  newLeader: string | undefined;
  message: string;
}

/** Patroni's REST API for one member (and, for cluster reads, its peers). */
export class PatroniClient {
  readonly url: string;
  readonly peerUrls: readonly string[];
  private readonly options: PatroniClientOptions;
  private readonly policies: PatroniRetryPolicies;
  private readonly log: Logger;

  constructor(options: PatroniClientOptions) {
    this.options = options;
    this.url = trimSlash(options.url);
    this.peerUrls = (options.peerUrls ?? []).map(trimSlash);
    this.policies = { ...DEFAULT_RETRY_POLICIES, ...options.retry };
    this.log = options.logger ?? createLogger({ base: { component: 'patroni' } });
  }

  /** The same credentials, TLS and policies, pointed at another member. */
  forMember(url: string): PatroniClient {
    return new PatroniClient({ ...this.options, url, peerUrls: [], logger: this.log });
  }

  /** The same client with another request timeout, e.g. a short one for a best-effort look at a peer. */
  withTimeout(timeoutMs: number): PatroniClient {
    return new PatroniClient({ ...this.options, timeoutMs, retry: this.policies, logger: this.log });
  }

  /** The same client with some retry policies replaced, e.g. a patient `read` to wait for a member to start. */
  withRetryPolicies(overrides: Partial<PatroniRetryPolicies>): PatroniClient {
    return new PatroniClient({ ...this.options, retry: { ...this.policies, ...overrides }, logger: this.log });
  }

  /** GET /cluster from this member. */
  async cluster(): Promise<ClusterStatus> {
    const response = await this.call(this.url, { method: 'GET', path: '/cluster' }, this.policies.read, [200]);
    return parseJson(this.url, response, clusterStatusSchema);
  }

  /**
   * GET /cluster from this member and every peer at once; the first valid answer wins and the
   * other requests are cancelled (the reference does the same so one dead pod cannot blind a hook).
   */
  async clusterFromAny(): Promise<ClusterStatus> {
    const urls = [...new Set([this.url, ...this.peerUrls])];
    return withRetry(
      this.policies.read,
      async () => {
        const controller = new AbortController();
        try {
          return await Promise.any(
            urls.map(async (url) => {
              const request: RawRequest = { method: 'GET', path: '/cluster', timeoutMs: this.timeoutMs(), signal: controller.signal };
              return parseJson(url, await this.call(url, request, NO_RETRY, [200]), clusterStatusSchema);
            }),
          );
        } catch (error) {
          throw fanOutFailure(urls, error);
        } finally {
          controller.abort();
        }
      },
      { onRetry: (info) => this.logRetry(urls.join(', '), info) },
    );
  }

  /** GET /health: the member's status document (Patroni answers 503 with the same body when PostgreSQL is down). */
  async health(): Promise<MemberStatus> {
    const response = await this.call(this.url, { method: 'GET', path: '/health' }, this.policies.read, [200, 503]);
    return parseJson(this.url, response, memberStatusSchema);
  }

  /** GET /patroni: role (`master`/`primary`/`replica`), pending_restart, replication, … */
  async patroni(): Promise<MemberStatus> {
    const response = await this.call(this.url, { method: 'GET', path: '/patroni' }, this.policies.read, [200, 503]);
    return parseJson(this.url, response, memberStatusSchema);
  }

  /** GET /config: the dynamic configuration stored in the DCS. */
  async config(): Promise<DynamicConfig> {
    const response = await this.call(this.url, { method: 'GET', path: '/config' }, this.policies.read, [200]);
    return parseJson(this.url, response, dynamicConfigSchema);
  }

  /** PATCH /config with a JSON merge patch; returns the merged configuration. */
  async patchConfig(patch: ConfigPatch): Promise<DynamicConfig> {
    const request: Omit<RawRequest, 'timeoutMs'> = { method: 'PATCH', path: '/config', body: patch };
    const response = await this.call(this.url, request, this.policies.configWrite, [200]);
    return parseJson(this.url, response, dynamicConfigSchema);
  }

  /** POST /restart; with `pendingOnly` Patroni restarts only if a parameter change is pending. */
  async restart(options: { pendingOnly?: boolean } = {}): Promise<RestartResult> {
    const body = options.pendingOnly ? { restart_pending: true } : {};
    const response = await this.call(this.url, { method: 'POST', path: '/restart', body }, this.policies.action, [200, 503]);
    return { restarted: response.status === 200, message: response.body.trim() };
  }

  /**
   * POST /switchover. Without a candidate Patroni picks the sync standby. Throws
   * SwitchoverNotSyncError when the candidate is not a sync standby (synchronous mode), and
   * SwitchoverFailedError for any other refusal or when someone else than the candidate took over.
   */
  async switchover(request: { leader: string; candidate?: string }): Promise<SwitchoverResult> {
    const { candidate } = request;
    const body = { leader: request.leader, candidate: candidate ?? null };
    const timeoutMs = this.options.switchoverTimeoutMs ?? DEFAULT_SWITCHOVER_TIMEOUT_MS;
    let response: RawResponse;
    try {
      response = await this.call(this.url, { method: 'POST', path: '/switchover', body, timeoutMs }, this.policies.switchover, [200]);
    } catch (error) {
      if (error instanceof PatroniAuthError || !(error instanceof PatroniApiError)) throw error;
      if (error.status === 412 && error.body.includes(NOT_SYNC_BODY)) throw new SwitchoverNotSyncError(error.url, error.body);
      throw new SwitchoverFailedError(`switchover refused: received ${error.status}`, { status: error.status, body: error.body, cause: error });
    }
    const message = response.body.trim();
    const newLeader = /over to "([^"]+)"/.exec(message)?.[1];
    if (candidate !== undefined && newLeader !== undefined && newLeader !== candidate) {
      throw new SwitchoverFailedError(`switchover went to ${newLeader} instead of ${candidate}`, { status: response.status, body: message });
    }
    return { newLeader, message };
  }

  /**
   * Poll the cluster until the leader is no longer `previous` (and is `candidate`, if given);
   * returns the new leader. Reference defaults: 60 s, every 3 s.
   */
  async waitForNewPrimary(options: { previous: string | undefined; candidate?: string; timeoutMs?: number; intervalMs?: number }): Promise<string> {
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    let seen: string | undefined;
    for (;;) {
      try {
        const current = primaryOf(await this.clusterFromAny());
        seen = current;
        if (current !== undefined && current !== options.previous && (options.candidate ?? current) === current) return current;
      } catch (error) {
        this.log.debug({ code: errorCode(error) }, 'cluster not readable while waiting for a new primary');
      }
      if (Date.now() >= deadline) break;
      await sleep(options.intervalMs ?? 3_000);
    }
    throw new SwitchoverFailedError(
      `primary did not change from ${options.previous ?? '(none)'}${options.candidate ? ` to ${options.candidate}` : ''} (last seen: ${seen ?? 'none'})`,
    );
  }

  /** One request under a retry policy; statuses outside `accept` become typed errors. */
  private async call(
    baseUrl: string,
    request: Omit<RawRequest, 'timeoutMs'> & { timeoutMs?: number },
    policy: RetryPolicy,
    accept: readonly number[],
  ): Promise<RawResponse> {
    const endpoint: Endpoint = {
      baseUrl,
      username: this.options.username ?? 'patroni',
      password: this.options.password,
      caPem: this.options.caPem,
    };
    const target = `${baseUrl}${request.path}`;
    return withRetry(
      policy,
      async () => {
        const started = Date.now();
        const response = await sendRequest(endpoint, { ...request, timeoutMs: request.timeoutMs ?? this.timeoutMs() });
        this.log.debug({ method: request.method, url: target, status: response.status, ms: Date.now() - started }, 'patroni request');
        if (accept.includes(response.status)) return response;
        if (response.status === 401) throw new PatroniAuthError(target, response.body);
        throw new PatroniApiError(target, response.status, response.body);
      },
      { onRetry: (info) => this.logRetry(target, info) },
    );
  }

  private timeoutMs(): number {
    return this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  private logRetry(url: string, info: { attempt: number; delayMs: number; error: unknown }): void {
    const { error } = info;
    this.log.warn({ url, attempt: info.attempt, delayMs: info.delayMs, code: errorCode(error), error: errorMessage(error) }, 'retrying Patroni request');
  }
}

function parseJson<S extends z.ZodMiniType>(url: string, response: RawResponse, schema: S): z.infer<S> {
  let value: unknown;
  try {
    value = JSON.parse(response.body);
  } catch (cause) {
    throw new PatroniResponseError(url, `not JSON (status ${response.status})`, { cause });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const where = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    throw new PatroniResponseError(url, where, { cause: parsed.error });
  }
  return parsed.data;
}

/** When no member answered: one unreachable error if all were unreachable, else the first real answer's error. */
function fanOutFailure(urls: readonly string[], error: unknown): unknown {
  const errors = error instanceof AggregateError ? (error.errors as unknown[]) : [error];
  const answered = errors.find((e) => !(e instanceof PatroniUnreachableError));
  if (answered !== undefined) return answered;
  const reasons = new Set(errors.map((e) => (e as PatroniUnreachableError).reason));
  const [reason] = reasons;
  return new PatroniUnreachableError(urls.join(', '), reasons.size === 1 && reason ? reason : 'network', {
    cause: error,
    message: `no Patroni member answered (${urls.join(', ')})`,
  });
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
