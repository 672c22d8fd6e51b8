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
 * Run statements that carry a secret in one transaction whose statements the server does not
 * log: neither as executed (`log_statement`) nor as the STATEMENT line of an error report
 * (`log_min_error_statement`). Both are switched back when the transaction ends.
 */
export async function runUnlogged(client: Queryable, statements: readonly string[]): Promise<void> {
  await inTransaction(client, async () => {
    await client.query("SET LOCAL log_statement = 'none'");
    await client.query("SET LOCAL log_min_error_statement = 'panic'");
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
