import { CharmError } from '../errors.ts';
import type { Change } from './types.ts';

export type PebbleErrorCode =
  | 'pebble-api-error'
  | 'pebble-connection-error'
  | 'pebble-protocol-error'
  | 'pebble-change-error'
  | 'pebble-timeout'
  | 'pebble-path-error'
  | 'pebble-exec-error';

/**
 * Every way a Pebble call can fail, as typed errors. Callers branch on the class (or on `code`),
 * never on message text, except where Pebble itself only distinguishes cases by message.
 */

/** Pebble answered with a non-2xx status. `message` is Pebble's own `result.message`. */
export class PebbleApiError extends CharmError<PebbleErrorCode> {
  /** HTTP status code, e.g. 400. */
  readonly status: number;
  /** HTTP reason, e.g. "Bad Request". */
  readonly statusText: string;
  /** `result.kind` when Pebble gave one (`not-found`, `no-default-services`, …). */
  readonly kind: string | undefined;
  /** `result.value` when Pebble gave one. */
  readonly value: unknown;
  /** The decoded response body (or its raw text when it was not JSON). */
  readonly body: unknown;

  constructor(
    details: { status: number; statusText: string; message: string; kind?: string; value?: unknown; body: unknown },
    options?: { cause?: unknown },
  ) {
    super('pebble-api-error', details.message, options);
    this.status = details.status;
    this.statusText = details.statusText;
    this.kind = details.kind;
    this.value = details.value;
    this.body = details.body;
  }
}

/** The socket is missing, refuses connections, or dropped the connection. */
export class PebbleConnectionError extends CharmError<PebbleErrorCode> {
  readonly socketPath: string;

  constructor(socketPath: string, message: string, options?: { cause?: unknown }) {
    super('pebble-connection-error', message, options);
    this.socketPath = socketPath;
  }
}

/** Something answered, but not in Pebble's protocol (wrong Content-Type, garbage, bad shape). */
export class PebbleProtocolError extends CharmError<PebbleErrorCode> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('pebble-protocol-error', message, options);
  }
}

/** A change became ready with an error (`err`), e.g. a service that exited quickly. */
export class ChangeError extends CharmError<PebbleErrorCode> {
  readonly err: string;
  readonly change: Change;

  constructor(change: Change, options?: { cause?: unknown }) {
    super('pebble-change-error', change.err ?? `change ${change.id} failed`, options);
    this.err = change.err ?? '';
    this.change = change;
  }
}

/** A request, a change wait, or an exec ran out of time. */
export class PebbleTimeoutError extends CharmError<PebbleErrorCode> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('pebble-timeout', message, options);
  }
}

/** A per-path error from the files API (`kind` is Pebble's: `not-found`, `permission-denied`, …). */
export class PathError extends CharmError<PebbleErrorCode> {
  readonly kind: string;
  readonly path: string;

  constructor(kind: string, message: string, path: string, options?: { cause?: unknown }) {
    super('pebble-path-error', message, options);
    this.kind = kind;
    this.path = path;
  }
}

/**
 * A command run with exec exited non-zero. The message names only the executable: the argv,
 * stdout and stderr may carry credentials (psql commands, passwords), so they are kept in
 * non-enumerable properties that a logger's error serializer does not copy.
 */
export class ExecError extends CharmError<PebbleErrorCode> {
  declare readonly command: readonly string[];
  declare readonly stdout: string;
  declare readonly stderr: string;
  readonly exitCode: number;

  constructor(command: readonly string[], exitCode: number, stdout: string, stderr: string) {
    super('pebble-exec-error', `command "${command[0] ?? ''}" exited with code ${exitCode}`);
    this.exitCode = exitCode;
    for (const [key, value] of Object.entries({ command, stdout, stderr })) {
      Object.defineProperty(this, key, { value, enumerable: false, writable: false });
    }
  }
}
