import { CharmError } from '../errors.ts';

/*
 * Typed failures of the Kubernetes API client. Callers branch on `code`: a 403 means the charm
 * was deployed without `juju trust`, a 404 is often "nothing to do", a 409 "someone got there
 * first"; everything else is a real failure.
 */

/** The fields of a Kubernetes `Status` error body the charm uses. */
export interface KubernetesStatusBody {
  reason?: string;
  message?: string;
  code?: number;
}

export type KubernetesErrorCode =
  | 'k8s-unauthorized'
  | 'k8s-forbidden'
  | 'k8s-not-found'
  | 'k8s-conflict'
  | 'k8s-api-error'
  | 'k8s-bad-response'
  | 'k8s-unreachable'
  | 'k8s-not-configured';

/** Why a request got no HTTP answer at all. */
export type KubernetesUnreachableReason = 'refused' | 'timeout' | 'tls' | 'reset' | 'dns' | 'network';

export class KubernetesError extends CharmError<KubernetesErrorCode> {
  /** `VERB /path` of the request, never its body or headers. */
  readonly request: string;
  readonly status: number | undefined;
  /** The Status body's `reason` (`Forbidden`, `NotFound`, `AlreadyExists`, `Conflict`, …). */
  readonly reason: string | undefined;

  constructor(code: KubernetesErrorCode, request: string, message: string, details: { status?: number; reason?: string; cause?: unknown } = {}) {
    super(code, message, { cause: details.cause });
    this.request = request;
    this.status = details.status;
    this.reason = details.reason;
  }
}

/** 403: the service account lacks the RBAC rule (deployed without `juju trust <app> --scope=cluster`). */
export class KubernetesForbiddenError extends KubernetesError {}
/** 404: the object (or its namespace) does not exist. */
export class KubernetesNotFoundError extends KubernetesError {}
/** 409: AlreadyExists on create, or a resourceVersion/field-manager conflict. */
export class KubernetesConflictError extends KubernetesError {}
/** 401: the service-account token was refused (expired or revoked). */
export class KubernetesUnauthorizedError extends KubernetesError {}
/** Any other non-2xx answer (422 Invalid, 500, …). */
export class KubernetesApiError extends KubernetesError {}
/** A 2xx answer whose body is not the JSON object we asked for. */
export class KubernetesResponseError extends KubernetesError {}

/** No answer: connection refused, DNS, TLS verification, reset, or the request timed out. */
export class KubernetesUnreachableError extends KubernetesError {
  readonly why: KubernetesUnreachableReason;

  constructor(request: string, why: KubernetesUnreachableReason, cause: unknown) {
    const detail = cause instanceof Error ? `: ${cause.message}` : '';
    super('k8s-unreachable', request, `cannot reach the Kubernetes API for ${request} (${why}${detail})`, { cause });
    this.why = why;
  }
}

/** The pod has no service-account credentials or API address (not in Kubernetes, or bad overrides). */
export class KubernetesConfigError extends CharmError<KubernetesErrorCode> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('k8s-not-configured', message, options);
  }
}

/** The typed error for a non-2xx answer, keeping the API server's own message. */
export function errorForStatus(request: string, status: number, body: KubernetesStatusBody | undefined): KubernetesError {
  const reason = body?.reason;
  const message = `${request} answered ${status}${reason ? ` ${reason}` : ''}: ${body?.message ?? '(no message)'}`;
  const details = { status, ...(reason === undefined ? {} : { reason }) };
  switch (status) {
    case 401:
      return new KubernetesUnauthorizedError('k8s-unauthorized', request, message, details);
    case 403:
      return new KubernetesForbiddenError('k8s-forbidden', request, message, details);
    case 404:
      return new KubernetesNotFoundError('k8s-not-found', request, message, details);
    case 409:
      return new KubernetesConflictError('k8s-conflict', request, message, details);
    default:
      return new KubernetesApiError('k8s-api-error', request, message, details);
  }
}

export function isKubernetesNotFound(error: unknown): error is KubernetesNotFoundError {
  return error instanceof KubernetesNotFoundError;
}
