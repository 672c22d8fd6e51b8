/**
 * The password and database the leader gave each legacy relation's user, shared with the other
 * units through the application secret (field `legacy-relation-credentials`, a JSON map of
 * relation id → {password, database}).
 *
 * Every unit writes the legacy databag into its own unit bag (old clients read unit bags), but
 * Juju lets only the leader read our application bag of a non-peer relation, so the other units
 * learn the password here. The leader writes an entry only once the user and its database exist,
 * so an entry for the requested database is also the sign that a unit may publish it. Updating
 * the secret gives every unit `secret-changed`, which runs the reconcile that publishes.
 */

export const SHARED_CREDENTIALS_FIELD = 'legacy-relation-credentials';

export interface SharedCredential {
  readonly password: string;
  readonly database: string;
}

export type SharedCredentials = Readonly<Record<string, SharedCredential>>;

function isCredential(value: unknown): value is SharedCredential {
  if (typeof value !== 'object' || value === null) return false;
  const { password, database } = value as Record<string, unknown>;
  return typeof password === 'string' && password !== '' && typeof database === 'string';
}

/** The shared map; anything unreadable counts as no entry (the leader rewrites it). */
export function decodeSharedCredentials(raw: string | undefined): SharedCredentials {
  if (raw === undefined || raw === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
  return Object.fromEntries(Object.entries(parsed).filter(([id, value]) => /^\d+$/.test(id) && isCredential(value)));
}

/** Keys in id order, so the same map is always the same text (no needless secret revision). */
export function encodeSharedCredentials(credentials: SharedCredentials): string {
  const ids = Object.keys(credentials).sort((a, b) => Number(a) - Number(b));
  return JSON.stringify(Object.fromEntries(ids.map((id) => [id, { password: credentials[id]!.password, database: credentials[id]!.database }])));
}
