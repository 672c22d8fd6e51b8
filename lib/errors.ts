/**
 * The root of every error the shared libraries raise on purpose. It has the same shape as the
 * charm's `CharmError` (a stable kebab-case `code`, a human `message`, the original `cause`) but
 * lives here so `lib/` never imports `src/` and a VM flavour can reuse it unchanged.
 */
export class LibError<Code extends string = string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/** Narrow an unknown thrown value to a LibError, with `code` narrowed too when one is given. */
export function isLibError<Code extends string = string>(value: unknown, code?: Code): value is LibError<Code> {
  return value instanceof LibError && (code === undefined || value.code === code);
}

/** The `code` of any thrown value that has a string one (our errors, Node's system errors), else undefined. */
export function errorCode(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || !('code' in value)) return undefined;
  const code = (value as { code: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
