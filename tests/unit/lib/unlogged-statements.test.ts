import { describe, expect, it } from 'vitest';
import type { Queryable } from '../../../lib/postgresql/connection.ts';
import { runUnlogged } from '../../../lib/postgresql/sql.ts';

/** A client that records every statement and answers the track_utility look-up with `trackUtility`. */
function recordingClient(trackUtility: string | null, failOn?: string) {
  const sent: string[] = [];
  const client = {
    query: async (text: string) => {
      sent.push(text);
      if (failOn !== undefined && text === failOn) throw new Error('boom');
      return { rows: text.includes('current_setting') ? [{ value: trackUtility }] : [], rowCount: 0 };
    },
  } as unknown as Queryable;
  return { client, sent };
}

describe('runUnlogged', () => {
  it('switches off statement logging and pg_stat_statements utility tracking for its transaction only', async () => {
    const { client, sent } = recordingClient('on');
    await runUnlogged(client, ['ALTER USER "x" WITH PASSWORD \'SCRAM-SHA-256$…\'']);
    expect(sent).toEqual([
      'BEGIN',
      "SET LOCAL log_statement = 'none'",
      "SET LOCAL log_min_error_statement = 'panic'",
      'SET LOCAL log_min_duration_statement = -1',
      'SET LOCAL log_min_duration_sample = -1',
      "SELECT current_setting('pg_stat_statements.track_utility', true) AS value",
      'SET LOCAL pg_stat_statements.track_utility = off',
      'ALTER USER "x" WITH PASSWORD \'SCRAM-SHA-256$…\'',
      'COMMIT',
    ]);
  });

  it('leaves pg_stat_statements alone where the extension is not loaded (its setting does not exist)', async () => {
    const { client, sent } = recordingClient(null);
    await runUnlogged(client, ['CREATE ROLE "y"']);
    expect(sent).not.toContain('SET LOCAL pg_stat_statements.track_utility = off');
    expect(sent.at(-2)).toBe('CREATE ROLE "y"');
  });

  it('rolls back when a statement fails, so no setting outlives it', async () => {
    const { client, sent } = recordingClient(null, 'CREATE ROLE "z"');
    await expect(runUnlogged(client, ['CREATE ROLE "z"'])).rejects.toThrow('boom');
    expect(sent.at(-1)).toBe('ROLLBACK');
  });
});
