import { CharmError } from '../../../src/errors.ts';

/**
 * How a hook tool fails, mirroring Juju's cmd.Main: flag and argument errors exit 2, errors
 * while running exit 1; both print `ERROR <message>` on stderr.
 */

/** A flag or argument error (Juju: gnuflag parse or Init failure) → exit 2. */
export class HookToolUsageError extends CharmError {
  readonly exitCode = 2;
  constructor(message: string, options?: { cause?: unknown }) {
    super('hook-tool-usage', message, options);
  }
}

/** An error while running the command → exit 1. */
export class HookToolRunError extends CharmError {
  readonly exitCode = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super('hook-tool-failed', message, options);
  }
}

/** Juju's ErrNoStdin text: the client reads its stdin to EOF and asks again. */
export const NO_STDIN_MESSAGE = 'hook tool requires stdin, none supplied';

/** The command needs stdin and the request carried none. Not a failure: the client retries. */
export class StdinRequiredError extends CharmError {
  constructor() {
    super('hook-tool-needs-stdin', NO_STDIN_MESSAGE);
  }
}

/** Juju's leadership error text (worker/uniter/runner/context: ErrIsNotLeader). */
export const NOT_LEADER = 'this unit is not the leader';
