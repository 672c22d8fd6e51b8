/**
 * pgbouncer's own `database` endpoint (postgresql_client provider) for its clients
 * (canonical/pgbouncer-k8s-operator: src/relations/pgbouncer_provider.py), speaking the wire
 * format of data_interfaces' DatabaseProvides (LIBPATCH 58): every field the client listed in
 * `requested-secrets` in an application secret per group (`user`: username, password, uris,
 * read-only-uris; `tls`: tls, tls-ca), labelled `database.<id>.<group>.secret`, granted to the
 * relation, its URI in the bag as `secret-<group>`; plain fields for a client that requested
 * none; `endpoints`, `read-only-endpoints`, `version`, `database` and `data` always plain. All of
 * it is written in one hook, so the client's database_created fires once.
 *
 * Unlike the PostgreSQL charm, pgbouncer publishes its own Service for both endpoints and serves
 * reads through `<db>_readonly` on that same address.
 */
import { isCharmError } from '../../../../src/errors.ts';
import { secretXid } from '../../../../src/juju/hook-tool-args.ts';
import type { HookTools, RelationRef } from '../../../../src/juju/hook-tools.ts';
import { SECRET_GROUP_OF } from '../../lib/data-interfaces-requirer.ts';
import { pythonJsonDumps } from '../../lib/python-json.ts';
import { readOnlyDatabaseName } from './names.ts';

export interface ClientRequest {
  database: string;
  /** `extra-user-roles` lowercased, plus `relation_access` (`sanitize_extra_roles`). */
  roles: string[];
  /** undefined: a client without secrets (everything plain). */
  requestedSecrets: string[] | undefined;
}

/** The client's request from its app bag; undefined until it wrote `database`. */
export function parseClientRequest(bag: Readonly<Record<string, string>>): ClientRequest | undefined {
  const database = bag['database'];
  if (!database) return undefined;
  const roles = (bag['extra-user-roles'] ?? '')
    .split(',')
    .map((role) => role.trim().toLowerCase())
    .filter((role) => role !== '');
  let requestedSecrets: string[] | undefined;
  try {
    const parsed: unknown = JSON.parse(bag['requested-secrets'] ?? 'null');
    if (Array.isArray(parsed)) requestedSecrets = parsed.filter((field): field is string => typeof field === 'string');
  } catch {
    requestedSecrets = undefined;
  }
  return { database, roles: [...roles, 'relation_access'], requestedSecrets };
}

/** Roles that make pgbouncer add the `*` wildcard database (`_on_database_requested`). */
const WILDCARD_ROLES = new Set([
  'admin',
  'superuser',
  'createdb',
  'charmed_admin',
  'charmed_backup',
  'charmed_databases_owner',
  'charmed_dba',
  'charmed_dml',
  'charmed_read',
  'charmed_stats',
]);

export function wantsWildcard(roles: readonly string[]): boolean {
  return roles.some((role) => WILDCARD_ROLES.has(role));
}

/** data_interfaces' `data`: the client's app bag without `data`, keys sorted, as Python's json.dumps. */
export function requestSnapshot(bag: Readonly<Record<string, string>>): string {
  const entries = Object.entries(bag)
    .filter(([key]) => key !== 'data')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return pythonJsonDumps(Object.fromEntries(entries));
}

export interface ClientFieldsInput {
  request: ClientRequest;
  clientBag: Readonly<Record<string, string>>;
  username: string;
  password: string;
  /** pgbouncer's own `<app>-service…:<port>`, for both endpoints. */
  endpoint: string;
  version: string;
}

/** Plain bag fields, and each secret group's content. */
export function clientFields(input: ClientFieldsInput): { fields: Record<string, string>; secrets: Record<string, Record<string, string>> } {
  const { request, username, password, endpoint } = input;
  const requested = request.requestedSecrets;
  const values: Record<string, string> = {
    username,
    password,
    tls: 'False',
    uris: `postgresql://${username}:${password}@${endpoint}/${request.database}`,
  };
  if (requested?.includes('read-only-uris')) {
    values['read-only-uris'] = `postgresql://${username}:${password}@${endpoint}/${readOnlyDatabaseName(request.database) ?? request.database}`;
  }
  const fields: Record<string, string> = {};
  const secrets: Record<string, Record<string, string>> = {};
  for (const [field, value] of Object.entries(values)) {
    if (requested?.includes(field)) (secrets[SECRET_GROUP_OF[field] ?? 'extra'] ??= {})[field] = value;
    else fields[field] = value;
  }
  Object.assign(fields, {
    endpoints: endpoint,
    'read-only-endpoints': endpoint,
    version: input.version,
    database: request.database,
    data: requestSnapshot(input.clientBag),
  });
  return { fields, secrets };
}

export function providerSecretLabel(relation: RelationRef, group: string): string {
  return `${relation.endpoint}.${relation.id}.${group}.secret`;
}

/** The content of the secret we own for this relation's group, if any. */
export async function ownedSecret(tools: HookTools, relation: RelationRef, group: string): Promise<Readonly<Record<string, string>> | undefined> {
  try {
    return await tools.secretGet({ label: providerSecretLabel(relation, group) }, { refresh: true });
  } catch (error) {
    if (isCharmError(error, 'secret-not-found')) return undefined;
    throw error;
  }
}

/** Create (and grant) or update one group's secret; returns the URI the bag holds. */
async function ensureSecret(tools: HookTools, relation: RelationRef, group: string, content: Record<string, string>): Promise<string> {
  const label = providerSecretLabel(relation, group);
  try {
    const info = await tools.secretInfoGet({ label });
    const current = await tools.secretGet({ label }, { refresh: true });
    const same = Object.keys(content).length === Object.keys(current).length && Object.entries(content).every(([k, v]) => current[k] === v);
    if (!same) await tools.secretSet(info.id, { content });
    return `secret:${secretXid(info.id)}`;
  } catch (error) {
    if (!isCharmError(error, 'secret-not-found')) throw error;
    const uri = await tools.secretAdd(content, { label, owner: 'application' });
    await tools.secretGrant(uri, relation.id);
    return uri;
  }
}

/** Leader: write everything a client is owed, in this one hook. Only changed keys are set. */
export async function publishClientData(tools: HookTools, relation: RelationRef, data: ReturnType<typeof clientFields>): Promise<void> {
  const changes: Record<string, string> = { ...data.fields };
  for (const [group, content] of Object.entries(data.secrets)) changes[`secret-${group}`] = await ensureSecret(tools, relation, group, content);
  const current = await tools.relationGet(relation, { app: tools.appName });
  const delta = Object.fromEntries(Object.entries(changes).filter(([key, value]) => current[key] !== value));
  await tools.relationSet(relation, delta, { app: true });
}
