export { errorCode } from '../lib/errors.ts';

/**
 * The root of every error the charm raises on purpose. `code` is machine-readable and stable
 * (tests and callers branch on it), `message` is for people, `cause` keeps the original error.
 *
 * Each module declares its codes as a literal union (`PatroniErrorCode`, `JujuErrorCode`, …) and
 * its classes extend `CharmError<ThatUnion>`, so a misspelt code is a compile error. `Code`
 * defaults to `string` only so that classes not yet given a union still compile.
 */
export class CharmError<Code extends string = string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/** Narrow an unknown thrown value to a CharmError, with `code` narrowed too when one is given. */
export function isCharmError<Code extends string = string>(value: unknown, code?: Code): value is CharmError<Code> {
  return value instanceof CharmError && (code === undefined || value.code === code);
}

/** A message for any thrown value, without assuming it is an Error. */
export function errorMessage(value: unknown): string {
  if (value instanceof Error) return value.message;
  return String(value);
}
