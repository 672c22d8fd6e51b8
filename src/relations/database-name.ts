/**
 * Which database names a client relation may ask for, shared by the `database`, `db` and
 * `db-admin` endpoints. The reference charm (`src/relations/postgresql_provider.py`,
 * `src/relations/db.py`) passes any name on to `CREATE DATABASE`; PostgreSQL then silently
 * truncates a name longer than 63 bytes (so the client is told a name that does not exist), and a
 * request for `postgres` or a template would hand the client the maintenance database. Here such
 * names are refused with a Blocked message that names the relation and the problem, and the
 * relation gets nothing until the client asks for a valid name.
 *
 * Accepted: 1–63 bytes of lowercase ASCII letters, digits, `_` and `-`, starting with a letter or
 * `_`. Lowercase only because PostgreSQL folds unquoted names to lowercase: `Foo` in a client's
 * SQL would not be the database called `Foo`.
 */

/** NAMEDATALEN - 1: the longest identifier PostgreSQL keeps without truncating. */
export const MAX_DATABASE_NAME_BYTES = 63;

/** The maintenance database and the templates: never handed to a client. */
export const RESERVED_DATABASE_NAMES: ReadonlySet<string> = new Set(['postgres', 'template0', 'template1']);

const VALID_NAME = /^[a-z_][a-z0-9_-]*$/;

/** Why `name` cannot be a client's database, or undefined when it can. */
export function databaseNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (Buffer.byteLength(name, 'utf8') > MAX_DATABASE_NAME_BYTES) return `it is longer than ${MAX_DATABASE_NAME_BYTES} bytes`;
  if (RESERVED_DATABASE_NAMES.has(name)) return 'it is reserved';
  if (VALID_NAME.test(name)) return undefined;
  if (/\s/.test(name)) return 'it contains whitespace';
  if (/['"`\\]/.test(name)) return 'it contains quotes or backslashes';
  if (/[A-Z]/.test(name)) return 'it contains uppercase letters';
  if (!/^[A-Za-z_]/.test(name)) return 'it must start with a letter or _';
  return 'it may contain only a-z, 0-9, _ and -';
}

/** At most this many characters of a bad name are shown in a status message. */
const SHOWN_NAME_CHARS = 24;

/** The name as a status message shows it: JSON-quoted, control characters escaped, shortened. */
function shownName(name: string): string {
  const chars = [...name];
  const short = chars.length > SHOWN_NAME_CHARS ? `${chars.slice(0, SHOWN_NAME_CHARS).join('')}…` : name;
  return JSON.stringify(short);
}

/** What the operator can do about it: the name comes from the client's side of the relation. */
export const DATABASE_NAME_FIX = 'ask the client for another name';

/** `invalid database name "Foo" on db:5: it contains uppercase letters; ask the client for another name` */
export function invalidDatabaseNameMessage(relation: { endpoint: string; id: number }, name: string, problem: string): string {
  return `invalid database name ${shownName(name)} on ${relation.endpoint}:${relation.id}: ${problem}; ${DATABASE_NAME_FIX}`;
}
