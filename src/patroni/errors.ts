import { CharmError } from '../errors.ts';

/** The codes of PatroniApiError and its subclasses: Patroni answered, with a status we do not accept. */
export type PatroniApiErrorCode = 'patroni-api-error' | 'patroni-auth-failed' | 'patroni-switchover-not-sync';
export type PatroniErrorCode = PatroniApiErrorCode | 'patroni-unreachable' | 'patroni-bad-response' | 'patroni-switchover-failed';

/** Why a request never produced an HTTP answer. Only `tls` is never worth retrying. */
export type UnreachableReason = 'refused' | 'timeout' | 'tls' | 'reset' | 'dns' | 'aborted' | 'network';

/** No HTTP answer at all: connection refused, timed out, reset, or the TLS handshake failed. */
export class PatroniUnreachableError extends CharmError<PatroniErrorCode> {
  readonly reason: UnreachableReason;
  readonly url: string;

  constructor(url: string, reason: UnreachableReason, options?: { cause?: unknown; message?: string }) {
    super('patroni-unreachable', options?.message ?? `cannot reach Patroni at ${url} (${reason})`, options);
    this.url = url;
    this.reason = reason;
  }
}

/** Patroni answered with a status the operation does not accept. */
export class PatroniApiError extends CharmError<PatroniErrorCode> {
  readonly status: number;
  readonly body: string;
  readonly url: string;

  constructor(url: string, status: number, body: string, code: PatroniApiErrorCode = 'patroni-api-error') {
    super(code, `Patroni answered ${status} at ${url}: ${summarise(body)}`);
    this.url = url;
    this.status = status;
    this.body = body;
  }
}

/** 401: the REST password (user `patroni`) is wrong or missing. Never retried. */
export class PatroniAuthError extends PatroniApiError {
  constructor(url: string, body: string) {
    super(url, 401, body, 'patroni-auth-failed');
  }
}

/** Patroni answered 2xx but the body is not the JSON shape we rely on. */
export class PatroniResponseError extends CharmError<PatroniErrorCode> {
  readonly url: string;

  constructor(url: string, message: string, options?: { cause?: unknown }) {
    super('patroni-bad-response', `unexpected answer from ${url}: ${message}`, options);
    this.url = url;
  }
}

/** 412 `candidate name does not match with sync_standby`: in synchronous mode only a sync standby can take over. */
export class SwitchoverNotSyncError extends PatroniApiError {
  constructor(url: string, body: string) {
    super(url, 412, body, 'patroni-switchover-not-sync');
  }
}

/** A switchover that Patroni refused or that did not produce the expected primary. */
export class SwitchoverFailedError extends CharmError<PatroniErrorCode> {
  readonly status: number | undefined;
  readonly body: string | undefined;

  constructor(message: string, details?: { status?: number; body?: string; cause?: unknown }) {
    super('patroni-switchover-failed', message, { cause: details?.cause });
    this.status = details?.status;
    this.body = details?.body;
  }
}

/** Patroni's error pages can be whole HTML documents: keep messages to one short line. */
function summarise(body: string): string {
  const oneLine = body.replace(/\s+/g, ' ').trim();
  return oneLine.length > 200 ? `${oneLine.slice(0, 200)}…` : oneLine || '(empty body)';
}
