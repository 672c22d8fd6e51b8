/**
 * Quoting and statement helpers. DDL cannot take bind parameters, so every identifier and
 * literal spliced into DDL goes through pg's own escapers, never string concatenation alone.
 */
// pg's escapers live in its utils module; importing that alone keeps the driver (and the fetch
// implementation its runtime detection wakes up) out of processes that only build SQL text.
import pgUtils from 'pg/lib/utils.js';
import type { Queryable } from './connection.ts';

/** `"name"` with embedded quotes doubled. */
export function ident(name: string): string {
  return pgUtils.escapeIdentifier(name);
}

/** `'value'` (or ` E'…'` when it holds backslashes) with embedded quotes doubled. */
export function literal(value: string): string {
  return pgUtils.escapeLiteral(value);
}

/** A comma-separated list of quoted identifiers. */
export function identList(names: readonly string[]): string {
  return names.map(ident).join(', ');
}

/** Run `fn` inside BEGIN/COMMIT, rolling back when it throws. */
export async function inTransaction<T>(client: Queryable, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await fn();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * What a transaction that carries a secret switches off, for itself only (SET LOCAL ends with it):
 * the statement as executed (`log_statement`), as the STATEMENT line of an error report
 * (`log_min_error_statement`), and in the duration logs (`log_min_duration_statement`,
 * `log_min_duration_sample`). PostgreSQL docs, "Error Reporting and Logging".
 */
export const UNLOGGED_TRANSACTION_SETTINGS: readonly string[] = [
  "SET LOCAL log_statement = 'none'",
  "SET LOCAL log_min_error_statement = 'panic'",
  'SET LOCAL log_min_duration_statement = -1',
  'SET LOCAL log_min_duration_sample = -1',
];

/**
 * pg_stat_statements keeps the text of utility statements (CREATE/ALTER ROLE) while
 * `pg_stat_statements.track_utility` is on, its default. The setting exists only where the
 * extension is loaded, so it is looked up first (missing_ok) and switched off when it exists.
 */
export const TRACK_UTILITY_SETTING_QUERY = "SELECT current_setting('pg_stat_statements.track_utility', true) AS value";
export const TRACK_UTILITY_OFF = 'SET LOCAL pg_stat_statements.track_utility = off';

/**
 * Run statements that carry a secret (even a SCRAM verifier) in one transaction that neither the
 * server log nor pg_stat_statements records. Everything is switched back when the transaction ends.
 */
export async function runUnlogged(client: Queryable, statements: readonly string[]): Promise<void> {
  await inTransaction(client, async () => {
    for (const setting of UNLOGGED_TRANSACTION_SETTINGS) await client.query(setting);
    const trackUtility = await client.query<{ value: string | null }>(TRACK_UTILITY_SETTING_QUERY);
    if ((trackUtility.rows[0]?.value ?? null) !== null) await client.query(TRACK_UTILITY_OFF);
    for (const statement of statements) await client.query(statement);
  });
}

/** The first column of every row, as strings (for the many one-column catalog queries). */
export async function firstColumn(
  client: Queryable,
  text: string,
  values?: unknown[],
): Promise<string[]> {
  const result = await client.query({ text, values, rowMode: 'array' });
  return (result.rows as unknown[][]).map((row) => String(row[0]));
}
