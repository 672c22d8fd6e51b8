/**
 * The users the charm created for client relations, in the peer application bag
 * (`relation-users`): user → the database and roles it was last given. The leader records a user
 * before creating it and drops only recorded users once their relation is gone, so a
 * `relation_id_<n>` user made by someone else (PgBouncer names the users it creates on our server
 * for its own clients that way, pgbouncer-k8s src/relations/pgbouncer_provider.py) is never
 * dropped, and a changed request (roles, database) is seen against what was applied.
 */
import * as z from 'zod/mini';
import { transformIssue } from '../zod-setup.ts';
import type { FieldCodec } from './codecs.ts';

export interface RelationUserRecord {
  /** The database the user was given; '' while none has been (set up not finished). */
  readonly database: string;
  /** The roles it was created or last updated with (sanitized, see src/relations/database/request.ts). */
  readonly roles: readonly string[];
}

export type RelationUsers = Readonly<Record<string, RelationUserRecord>>;

const recordSchema = z.record(z.string(), z.object({ database: z.string(), roles: z.array(z.string()) }));

export const relationUsersCodec: FieldCodec<RelationUsers> = {
  decode: z.pipe(
    z.string(),
    z.transform((raw: string, payload) => {
      const bad = () => transformIssue(payload, `expected a JSON map of users to {database, roles}, got ${JSON.stringify(raw)}`);
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        return bad();
      }
      const result = recordSchema.safeParse(parsed);
      return result.success ? result.data : bad();
    }),
  ),
  // Sorted, so the same set of users is always the same string (no needless relation-changed).
  encode: (value) => JSON.stringify(Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))),
};
