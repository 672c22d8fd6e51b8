/**
 * What a `database` (postgresql_client) requirer asks for, read from its application bag, as
 * data_interfaces' `DatabaseRequires` writes it (keys: `database`, `extra-user-roles`,
 * `requested-secrets`). Nothing is asked until `database` is there: data_interfaces fires
 * `database_requested` only when that key appears, and data-integrator deletes it while its
 * `database-name` option is empty.
 *
 * Bad input is a problem to report, never a crash: the reference's library `json.loads` a
 * garbage `requested-secrets` and fails every hook; here the relation is Blocked with a message
 * that names it, and everything else keeps working.
 */
import { ACCESS_GROUP_RELATION, ACCESS_GROUPS, parseExtraUserRoles } from '../../../lib/postgresql/index.ts';
import type { Bag } from '../client-relations.ts';
import { databaseNameProblem, invalidDatabaseNameMessage } from '../database-name.ts';

export interface DatabaseRequest {
  readonly database: string;
  /**
   * The roles to give the user: the requested ones lowercased, access-group names dropped, then
   * `relation_access` (the reference's `_sanitize_extra_roles`, src/relations/postgresql_provider.py).
   */
  readonly roles: readonly string[];
  /**
   * The fields the requirer wants in Juju secrets; undefined for a requirer that asked for none
   * (data_interfaces before secrets), which gets every field in plain text.
   */
  readonly requestedSecrets: readonly string[] | undefined;
}

export type ParsedRequest =
  | { readonly kind: 'none' }
  | { readonly kind: 'requested'; readonly request: DatabaseRequest }
  | { readonly kind: 'invalid'; readonly message: string };

/** The requirer's `extra-user-roles`, as the user's roles. */
export function sanitizedRoles(extraUserRoles: string | undefined): string[] {
  const requested = parseExtraUserRoles(extraUserRoles).filter((role) => !ACCESS_GROUPS.includes(role));
  return [...new Set([...requested, ACCESS_GROUP_RELATION])];
}

/** `requested-secrets`: a JSON list of field names, absent for a requirer without secrets. */
export function parseRequestedSecrets(raw: string | undefined): { ok: true; fields: string[] | undefined } | { ok: false } {
  if (raw === undefined || raw === '') return { ok: true, fields: undefined };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { ok: false };
  }
  if (!Array.isArray(parsed) || !parsed.every((field): field is string => typeof field === 'string')) return { ok: false };
  return { ok: true, fields: [...new Set(parsed)] };
}

export function requestedSecretsMessage(relation: { endpoint: string; id: number }): string {
  return `invalid requested-secrets on ${relation.endpoint}:${relation.id}: not a JSON list of field names`;
}

/** Parse the request of relation `relation` from the requirer's application bag. */
export function parseDatabaseRequest(relation: { endpoint: string; id: number }, remoteAppBag: Bag): ParsedRequest {
  const database = remoteAppBag['database'];
  if (database === undefined || database === '') return { kind: 'none' };
  const secrets = parseRequestedSecrets(remoteAppBag['requested-secrets']);
  if (!secrets.ok) return { kind: 'invalid', message: requestedSecretsMessage(relation) };
  const problem = databaseNameProblem(database);
  if (problem !== undefined) return { kind: 'invalid', message: invalidDatabaseNameMessage(relation, database, problem) };
  return {
    kind: 'requested',
    request: { database, roles: sanitizedRoles(remoteAppBag['extra-user-roles']), requestedSecrets: secrets.fields },
  };
}
