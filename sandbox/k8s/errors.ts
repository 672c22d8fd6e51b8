import { CharmError } from '../../src/errors.ts';

/*
 * Errors of the Kubernetes API stand-in. `ApiStatusError` is what a request handler throws: the
 * server turns it into the `Status` body the Kubernetes API returns for that failure (kind Status,
 * apiVersion v1, metadata {}, status Failure, message, reason, details, code), as described in
 * https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/status/ and "API
 * concepts" (https://kubernetes.io/docs/reference/using-api/api-concepts/). The messages are the
 * API server's own wording (k8s.io/apimachinery/pkg/api/errors).
 */

/** `Status.reason` values this server returns. */
export type StatusReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Forbidden'
  | 'Unauthorized'
  | 'Invalid'
  | 'BadRequest'
  | 'MethodNotAllowed'
  | 'UnsupportedMediaType'
  | 'Expired'
  | 'InternalError';

export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
}

/** A `Status` object (https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/status/). */
export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

/** A request failed the way the Kubernetes API fails it: carries the HTTP code and the Status. */
export class ApiStatusError extends CharmError {
  readonly status: number;
  readonly reason: StatusReason;
  readonly details: StatusDetails | undefined;

  constructor(status: number, reason: StatusReason, message: string, details?: StatusDetails) {
    super('k8s-standin-status', message);
    this.status = status;
    this.reason = reason;
    this.details = details;
  }

  toStatus(): KubeStatus {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details === undefined ? {} : { details: this.details }),
      code: this.status,
    };
  }
}

/** The stand-in itself cannot start or persist (certificates, state file, bad arguments). */
export class KubeStandInError extends CharmError {
  constructor(code: 'k8s-standin-tls' | 'k8s-standin-state' | 'k8s-standin-config', message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** `pods "x"`, or `pods` when no name. */
function qualified(resource: string, name: string | undefined): string {
  return name === undefined || name === '' ? resource : `${resource} "${name}"`;
}

/** 404: `pods "x" not found`. */
export function notFound(resource: string, name: string): ApiStatusError {
  return new ApiStatusError(404, 'NotFound', `${resource} "${name}" not found`, { name, kind: resource });
}

/** 409 on create: `pods "x" already exists`. */
export function alreadyExists(resource: string, name: string): ApiStatusError {
  return new ApiStatusError(409, 'AlreadyExists', `${resource} "${name}" already exists`, { name, kind: resource });
}

/** 409 on a stale resourceVersion (optimistic concurrency). */
export function conflict(resource: string, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again'): ApiStatusError {
  return new ApiStatusError(409, 'Conflict', `Operation cannot be fulfilled on ${resource} "${name}": ${why}`, { name, kind: resource });
}

/** 409 for a server-side apply that would take fields another manager owns, without force. */
export function applyConflict(resource: string, name: string, conflicts: { manager: string; field: string }[]): ApiStatusError {
  const lines = conflicts.map((c) => `conflict with "${c.manager}": ${c.field}`);
  const message =
    conflicts.length === 1
      ? `Apply failed with 1 conflict: ${lines[0]}`
      : `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  return new ApiStatusError(409, 'Conflict', message, {
    name,
    kind: resource,
    causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with "${c.manager}"`, field: c.field })),
  });
}

/** 401: no or unknown bearer token. The API server's body says only "Unauthorized". */
export function unauthorized(): ApiStatusError {
  return new ApiStatusError(401, 'Unauthorized', 'Unauthorized');
}

/**
 * 403 with RBAC's wording: `pods "x" is forbidden: User "system:serviceaccount:ns:app" cannot
 * get resource "pods" in API group "" in the namespace "ns"` (or `at the cluster scope`).
 */
export function forbidden(user: string, verb: string, resource: string, name: string | undefined, namespace: string | undefined): ApiStatusError {
  const scope = namespace === undefined ? 'at the cluster scope' : `in the namespace "${namespace}"`;
  const message = `${qualified(resource, name)} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "" ${scope}`;
  return new ApiStatusError(403, 'Forbidden', message, { ...(name === undefined ? {} : { name }), kind: resource });
}

/** 422: `Pod "x" is invalid: metadata.name: Required value`. `details.kind` is the Kind here. */
export function invalid(kind: string, name: string, causes: StatusCause[]): ApiStatusError {
  const what = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  return new ApiStatusError(422, 'Invalid', `${kind} "${name}" is invalid: ${what}`, { name, kind, causes });
}

export function badRequest(message: string): ApiStatusError {
  return new ApiStatusError(400, 'BadRequest', message);
}

export function methodNotAllowed(): ApiStatusError {
  return new ApiStatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
}

export function unsupportedMediaType(contentType: string, accepted: readonly string[]): ApiStatusError {
  return new ApiStatusError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format (${contentType || 'none'}) - accepted media types include: ${accepted.join(', ')}`,
  );
}

/** 410 for a watch from a resourceVersion the history no longer holds. */
export function expired(requested: number, oldest: number): ApiStatusError {
  return new ApiStatusError(410, 'Expired', `too old resource version: ${requested} (${oldest})`);
}

/** The Status of a successful delete of an object that is not returned itself. */
export function successStatus(resource: string, name: string, uid: string | undefined): Omit<KubeStatus, 'message' | 'reason'> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, kind: resource, ...(uid ? { uid } : {}) }, code: 200 };
}
