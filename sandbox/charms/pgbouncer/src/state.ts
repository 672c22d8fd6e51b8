/**
 * What the application keeps between hooks, where pgbouncer-k8s keeps it: the userlist and the
 * stats/admin passwords in an application secret (its `auth_file`, `monitoring_password`,
 * `admin_password`), the client databases (`pgb_dbs_config`) and the server's other databases
 * (`readonly_dbs`) in the peer application bag, the auth file's nonce (`userlist_nonce`) in the
 * unit's peer bag.
 */
import { isCharmError } from '../../../../src/errors.ts';
import type { HookTools, RelationRef } from '../../../../src/juju/hook-tools.ts';
import type { RelationDatabase } from './ini.ts';
import { PEER_ENDPOINT } from './names.ts';
import { generatePassword } from './passwords.ts';

export const INTERNAL_SECRET_LABEL = 'pgbouncer-internal';
export const AUTH_FILE_KEY = 'auth-file';
export const MONITORING_PASSWORD_KEY = 'monitoring-password';
export const ADMIN_PASSWORD_KEY = 'admin-password';

export type InternalSecret = Partial<Record<typeof AUTH_FILE_KEY | typeof MONITORING_PASSWORD_KEY | typeof ADMIN_PASSWORD_KEY, string>>;

/** The application's internal secret (any unit reads it by its label), or {} before the leader made it. */
export async function readInternalSecret(tools: HookTools): Promise<InternalSecret> {
  try {
    return { ...(await tools.secretGet({ label: INTERNAL_SECRET_LABEL }, { refresh: true })) };
  } catch (error) {
    if (isCharmError(error, 'secret-not-found')) return {};
    throw error;
  }
}

/** Leader: set the internal secret's content (created on first use). */
export async function writeInternalSecret(tools: HookTools, content: InternalSecret): Promise<void> {
  const values = Object.fromEntries(Object.entries(content).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== ''));
  try {
    const info = await tools.secretInfoGet({ label: INTERNAL_SECRET_LABEL });
    await tools.secretSet(info.id, { content: values });
  } catch (error) {
    if (!isCharmError(error, 'secret-not-found')) throw error;
    await tools.secretAdd(values, { label: INTERNAL_SECRET_LABEL, owner: 'application' });
  }
}

export async function peerRelation(tools: HookTools): Promise<RelationRef | undefined> {
  return (await tools.relationIds(PEER_ENDPOINT))[0];
}

/** `pgb_dbs_config`: relation id (or `*`) → the database its client asked for. */
export async function readRelationDatabases(tools: HookTools, peers: RelationRef | undefined): Promise<Record<string, RelationDatabase>> {
  if (!peers) return {};
  const text = (await tools.relationGet(peers, { app: tools.appName }))['pgb_dbs_config'];
  if (!text) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, RelationDatabase>) : {};
  } catch {
    return {};
  }
}

export async function writeRelationDatabases(tools: HookTools, peers: RelationRef, databases: Readonly<Record<string, RelationDatabase>>): Promise<void> {
  await tools.relationSet(peers, { pgb_dbs_config: JSON.stringify(databases) }, { app: true });
}

/** `readonly_dbs`: the server's databases no relation asked for, for the wildcard's aliases. */
export async function readOtherDatabases(tools: HookTools, peers: RelationRef | undefined): Promise<string[]> {
  if (!peers) return [];
  try {
    const parsed: unknown = JSON.parse((await tools.relationGet(peers, { app: tools.appName }))['readonly_dbs'] ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((name): name is string => typeof name === 'string') : [];
  } catch {
    return [];
  }
}

export async function writeOtherDatabases(tools: HookTools, peers: RelationRef, names: readonly string[]): Promise<void> {
  await tools.relationSet(peers, { readonly_dbs: JSON.stringify(names) }, { app: true });
}

/** This unit's auth-file nonce, made once. Undefined until the peer relation exists. */
export async function userlistNonce(tools: HookTools, peers: RelationRef | undefined): Promise<string | undefined> {
  if (!peers) return undefined;
  const current = (await tools.relationGet(peers, { unit: tools.unitName }))['userlist_nonce'];
  if (current) return current;
  const nonce = generatePassword();
  await tools.relationSet(peers, { userlist_nonce: nonce });
  return nonce;
}
