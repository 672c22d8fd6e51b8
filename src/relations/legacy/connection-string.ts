/**
 * libpq keyword/value connection strings, as the legacy `pgsql` interface carries them in
 * `master` and `standbys` (the reference builds them with `pgconnstr.ConnectionString`; clients
 * parse them back with ops-lib-pgsql's copy of that class).
 *
 * Format (PostgreSQL docs, libpq "Connection Strings", keyword/value form): `key=value` pairs
 * separated by spaces; a value that is empty or contains whitespace is written in single quotes;
 * a single quote or backslash inside a value is escaped with a backslash. Keys are sorted, as the
 * reference's strings are, so the same inputs always give the same text.
 */
import { CharmError } from '../../errors.ts';

export class InvalidConnectionValueError extends CharmError<'invalid-connection-value'> {
  constructor(key: string) {
    super('invalid-connection-value', `the connection string value of ${key} contains a line break or control character`);
  }
}

/** `\` and `'` escaped with a backslash; quoted when empty or containing whitespace. */
export function connectionValue(key: string, value: string): string {
  // `standbys` holds one string per line: a line break in a value would split it.
  if (/[\u0000-\u001f\u007f]/.test(value.replace(/\t/g, ' '))) throw new InvalidConnectionValueError(key);
  const escaped = value.replace(/[\\']/g, (character) => `\\${character}`);
  return escaped === '' || /\s/.test(escaped) ? `'${escaped}'` : escaped;
}

/** `k1=v1 k2=v2 …` with the keys in code-point order. */
export function connectionString(parameters: Readonly<Record<string, string | number>>): string {
  return Object.keys(parameters)
    .sort()
    .map((key) => `${key}=${connectionValue(key, String(parameters[key]))}`)
    .join(' ');
}
