import { CharmError } from '../../src/errors.ts';

/**
 * Error kinds Pebble puts in `result.kind` (canonical/pebble internals/daemon/response.go
 * `errorKind`).
 */
export type ErrorKind =
  | 'login-required'
  | 'no-default-services'
  | 'not-found'
  | 'permission-denied'
  | 'generic-file-error'
  | 'system-restart'
  | 'daemon-restart';

/**
 * An error that becomes an HTTP error envelope: handlers throw it and the router turns it into
 * `{"type":"error","status-code":…,"result":{"message":…,"kind"?:…}}`.
 */
export class ApiError extends CharmError {
  readonly status: number;
  readonly kind: ErrorKind | undefined;

  constructor(status: number, message: string, options?: { kind?: ErrorKind; cause?: unknown }) {
    super('pebble-api-error', message, options);
    this.status = status;
    this.kind = options?.kind;
  }
}

export const badRequest = (message: string): ApiError => new ApiError(400, message);
export const notFound = (message: string): ApiError => new ApiError(404, message);
export const serverError = (message: string): ApiError => new ApiError(500, message);

/**
 * A Pebble-internal failure whose message is exactly what real Pebble would report (task logs,
 * per-path file errors, plan validation). Callers wrap it into the right response.
 */
export class PebbleError extends CharmError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Layer/plan problems that the API reports as 400 (Go's plan.FormatError). */
export class PlanFormatError extends PebbleError {
  constructor(message: string) {
    super('pebble-plan-format', message);
  }
}

/** A label clash when appending a layer without `combine`. */
export class LabelExistsError extends PebbleError {
  constructor(label: string) {
    super('pebble-label-exists', `layer "${label}" already exists`);
  }
}

/** A filesystem error with the kind the files API reports for it. */
export class FileError extends PebbleError {
  readonly kind: ErrorKind;

  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super('pebble-file-error', message, options);
    this.kind = kind;
  }
}

/** The server could not start (socket, state directory, initial layers). */
export class PebbleStartError extends CharmError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('pebble-start-failed', message, options);
  }
}
