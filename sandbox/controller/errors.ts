import { CharmError } from '../../src/errors.ts';

/** An operation the controller cannot carry out (unknown unit, bad charm dir, stopped...). */
export class ControllerError extends CharmError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('sandbox-controller', message, options);
  }
}

/** `settled()` or an action wait ran out of time. */
export class ControllerTimeoutError extends CharmError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('sandbox-controller-timeout', message, options);
  }
}

/** The controller's own state file could not be read or written. */
export class ControllerStateError extends CharmError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('sandbox-controller-state', message, options);
  }
}

/** A dispatch could not be started or supervised (as opposed to a hook that exited non-zero). */
export class DispatchError extends CharmError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('sandbox-dispatch', message, options);
  }
}

/** The client could not reach the controller daemon, or the daemon's answer was malformed. */
export class ControllerConnectionError extends CharmError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('sandbox-controller-connection', message, options);
  }
}

/**
 * The daemon refused a request. `code` is the daemon-side error's code (for example
 * `sandbox-model-invalid`), so a CLI can branch on it as if the call had been local.
 */
export class ControllerRemoteError extends CharmError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}
