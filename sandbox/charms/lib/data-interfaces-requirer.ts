import { isCharmError } from '../../../src/errors.ts';
import type { HookTools, RelationRef } from '../../../src/juju/hook-tools.ts';
import { decodeDict, decodeList, pythonJsonDumps } from './python-json.ts';
import { GROUP_OF_FIELD } from '../../../src/relations/database/provider-data.ts';

/**
 * The requirer side of `postgresql_client`, as the `data_interfaces` library (LIBPATCH 58,
 * `DatabaseRequires`) of canonical/data-platform-libs speaks it, for the sandbox's partner charms
 * (test-client, pgbouncer's `backend-database`).
 *
 * API (one instance per endpoint and dispatch; stateless beyond the relation data):
 *
 *   const db = new DatabaseRequirer(tools, { endpoint: 'database', database: 'app_database' });
 *   // <endpoint>-relation-created (any unit; only the leader writes):
 *   await db.relationCreated(event.relation);
 *   // <endpoint>-relation-changed (every unit):
 *   for (const e of await db.relationChanged(event.relation, event.remoteApp)) {
 *     if (e.kind === 'database-created') ...   // also 'endpoints-changed', 'read-only-endpoints-changed',
 *   }                                           // 'status-raised', 'status-resolved' (e.status)
 *   // any time (outside relation-broken): the provider's app bag with secrets resolved
 *   const { username, password, endpoints, uris } = await db.fetch(relation);
 *   await db.fetchField(relation, 'read-only-uris');
 *   await db.isResourceCreated(relation);       // username+password present
 *
 * What goes on the wire, exactly as the library does it:
 * - relation-created (leader only): `requested-secrets` (JSON list, default the 8 fields below) and
 *   `provided-secrets` (`["mtls-cert"]`) into our app bag AND our unit bag; then `database`,
 *   `extra-user-roles` (only if non-empty), `external-node-connectivity: "true"` (only if asked)
 *   into our app bag.
 * - relation-changed (every unit): the provider's app bag minus `data` is diffed against the
 *   snapshot in our UNIT bag's `data` (then the snapshot is rewritten). New `secret-<group>`
 *   fields are registered under our consumer label `<endpoint>.<id>.<group>.secret`.
 *   `database-created` fires when `secret-user` (or `username` and `password` together) is added,
 *   and nothing else fires in that hook; otherwise `endpoints-changed` when `endpoints` is added or
 *   changed, else `read-only-endpoints-changed` for `read-only-endpoints` (one event at most).
 * - secret fields are read from the secret named by `secret-<group>`: first by our consumer label,
 *   else by URI (which puts the label on it), then with `--refresh` (the latest revision); a group
 *   whose secret yields nothing falls back to plain databag fields (a provider without secrets).
 */

/** `DatabaseRequirerData.SECRET_FIELDS`: what a 0.58 requirer asks to receive in secrets. */
export const DEFAULT_REQUESTED_SECRETS: readonly string[] = [
  'username',
  'password',
  'tls',
  'tls-ca',
  'uris',
  'read-only-uris',
  'entity-name',
  'entity-password',
];

/** `Data.SECRET_LABEL_MAP`: the secret group of each known secret field; any other field is `extra`. Both sides of the interface read one map: our provider's. */
export const SECRET_GROUP_OF: Readonly<Record<string, string>> = GROUP_OF_FIELD;

export const REQUESTED_SECRETS_FIELD = 'requested-secrets';
export const PROVIDED_SECRETS_FIELD = 'provided-secrets';
const SECRET_FIELD_PREFIX = 'secret-';

export interface DatabaseRequirerOptions {
  /** The relation (endpoint) name, e.g. `database` or `backend-database`. */
  endpoint: string;
  /** Written as `database`; `""` writes nothing (relation-set deletes the key), as the library does. */
  database: string;
  /** Comma list, sent as given, only when non-empty. */
  extraUserRoles?: string;
  externalNodeConnectivity?: boolean;
  /** Default DEFAULT_REQUESTED_SECRETS. */
  requestedSecrets?: readonly string[];
}

export interface RelationStatusEntry {
  code: number;
  message: string;
  resolution: string;
}

export type DatabaseEventKind = 'database-created' | 'endpoints-changed' | 'read-only-endpoints-changed';

export type DatabaseRequirerEvent =
  | { kind: DatabaseEventKind; relation: RelationRef }
  | { kind: 'status-raised' | 'status-resolved'; relation: RelationRef; status: RelationStatusEntry };

/** Added, changed and deleted keys of the provider's app bag since our last snapshot. */
export interface BagDiff {
  added: Set<string>;
  changed: Set<string>;
  deleted: Set<string>;
}

/** What the requirer needs of HookTools (a real HookTools fits). */
export type RequirerTools = Pick<HookTools, 'unitName' | 'appName' | 'isLeader' | 'relationGet' | 'relationSet' | 'relationRemoteApp' | 'relationList' | 'secretGet'>;

/** The library's `diff()`: pure, so tests can state it. `data` is never part of the new data. */
export function diffBags(oldData: Readonly<Record<string, string>>, newBag: Readonly<Record<string, string>>): { diff: BagDiff; snapshot: Record<string, string> } {
  const snapshot: Record<string, string> = {};
  for (const key of Object.keys(newBag).sort()) if (key !== 'data') snapshot[key] = newBag[key] as string;
  const added = new Set(Object.keys(snapshot).filter((key) => !(key in oldData)));
  const deleted = new Set(Object.keys(oldData).filter((key) => !(key in snapshot)));
  const changed = new Set(Object.keys(snapshot).filter((key) => key in oldData && oldData[key] !== snapshot[key]));
  return { diff: { added, changed, deleted }, snapshot };
}

/** The consumer label the library gives a provider's secret: `<endpoint>.<id>.<group>.secret`. */
export function secretLabel(relation: RelationRef, group: string): string {
  return `${relation.endpoint}.${relation.id}.${group}.secret`;
}

export function secretGroupOf(field: string): string {
  return SECRET_GROUP_OF[field] ?? 'extra';
}

/** `_main_credentials_shared`: the moment `database_created` fires. */
export function credentialsShared(diff: BagDiff): boolean {
  return diff.added.has(`${SECRET_FIELD_PREFIX}user`) || (diff.added.has('username') && diff.added.has('password'));
}

/** The events one relation-changed emits after the status events, in the library's order. */
export function eventsForDiff(diff: BagDiff, providerData: Readonly<Record<string, string>>): DatabaseEventKind[] {
  // An entity request (`entity-type` echoed back in the provider's `data`) gets
  // database_entity_created instead, which this requirer never asks for.
  if (credentialsShared(diff) && !('entity-type' in providerData)) return ['database-created'];
  for (const [key, kind] of [
    ['endpoints', 'endpoints-changed'],
    ['read-only-endpoints', 'read-only-endpoints-changed'],
  ] as const) {
    if (diff.added.has(key) || diff.changed.has(key)) return [kind];
  }
  return [];
}

export class DatabaseRequirer {
  readonly endpoint: string;
  readonly #tools: RequirerTools;
  readonly #options: DatabaseRequirerOptions;

  constructor(tools: RequirerTools, options: DatabaseRequirerOptions) {
    this.#tools = tools;
    this.#options = options;
    this.endpoint = options.endpoint;
  }

  /** What we ask to receive in secrets (the library's `_remote_secret_fields`). */
  get requestedSecrets(): readonly string[] {
    return this.#options.requestedSecrets ?? DEFAULT_REQUESTED_SECRETS;
  }

  /** The secret fields we would provide (`_local_secret_fields`): the known ones we do not request. */
  get providedSecrets(): string[] {
    return Object.keys(SECRET_GROUP_OF).filter((field) => !this.requestedSecrets.includes(field));
  }

  /** relation-created: the leader writes the request. Returns whether it wrote (false on non-leaders). */
  async relationCreated(relation: RelationRef): Promise<boolean> {
    if (!(await this.#tools.isLeader())) return false;
    const secretFields: Record<string, string> = {};
    if (this.requestedSecrets.length > 0) secretFields[REQUESTED_SECRETS_FIELD] = pythonJsonDumps(this.requestedSecrets);
    if (this.providedSecrets.length > 0) secretFields[PROVIDED_SECRETS_FIELD] = pythonJsonDumps(this.providedSecrets);
    await this.#tools.relationSet(relation, secretFields, { app: true });
    await this.#tools.relationSet(relation, secretFields);
    const request: Record<string, string> = { database: this.#options.database };
    if (this.#options.extraUserRoles) request['extra-user-roles'] = this.#options.extraUserRoles;
    if (this.#options.externalNodeConnectivity) request['external-node-connectivity'] = 'true';
    await this.#tools.relationSet(relation, request, { app: true });
    return true;
  }

  /**
   * relation-changed on any unit: status events, then the diff against our unit bag's snapshot
   * (rewritten here), secret registration, and at most one of the database events.
   */
  async relationChanged(relation: RelationRef, remoteApp?: string): Promise<DatabaseRequirerEvent[]> {
    const app = remoteApp ?? (await this.#tools.relationRemoteApp(relation));
    const ownBag = await this.#tools.relationGet(relation, { unit: this.#tools.unitName });
    const events: DatabaseRequirerEvent[] = [];

    const oldData = decodeDict(ownBag['data']) ?? {};
    const oldStatuses = parseStatuses(oldData['status']);
    const currentStatuses = parseStatuses(app === undefined ? undefined : await this.fetchField(relation, 'status', app));
    const oldCodes = new Set(oldStatuses.map((s) => s.code));
    const currentCodes = new Set(currentStatuses.map((s) => s.code));
    for (const status of currentStatuses) if (!oldCodes.has(status.code)) events.push({ kind: 'status-raised', relation, status });
    for (const status of oldStatuses) if (!currentCodes.has(status.code)) events.push({ kind: 'status-resolved', relation, status });

    if (app === undefined) return events;
    const providerBag = await this.#tools.relationGet(relation, { app });
    if (providerBag['subordinated'] === 'true' && !(await this.#remoteUnitReady(relation))) return events;

    const { diff, snapshot } = diffBags(oldData, providerBag);
    await this.#tools.relationSet(relation, { data: pythonJsonDumps(snapshot) });

    for (const field of diff.added) {
      if (!field.startsWith(SECRET_FIELD_PREFIX)) continue;
      const group = field.slice(SECRET_FIELD_PREFIX.length);
      const uri = providerBag[field];
      if (uri) await this.#register(relation, group, uri);
    }
    const providerData = decodeDict(providerBag['data']) ?? {};
    for (const kind of eventsForDiff(diff, providerData)) events.push({ kind, relation });
    return events;
  }

  /**
   * The provider's app bag with secret fields resolved (`fetch_relation_data`): every plain field
   * (no `secret-*`) plus the requested secret fields, or only `fields` when given.
   */
  async fetch(relation: RelationRef, fields?: readonly string[], remoteApp?: string): Promise<Record<string, string>> {
    const app = remoteApp ?? (await this.#tools.relationRemoteApp(relation));
    if (app === undefined) return {};
    const bag = await this.#tools.relationGet(relation, { app });
    const requested = await this.#requestedSecretFields(relation);
    const wanted = fields ?? [...Object.keys(bag).filter((field) => !field.startsWith(SECRET_FIELD_PREFIX)), ...requested];
    const secretFields = wanted.filter((field) => requested.includes(field));
    const plain = new Set(wanted.filter((field) => !requested.includes(field)));
    const result: Record<string, string> = {};
    const groups = new Map<string, string[]>();
    for (const field of secretFields) groups.set(secretGroupOf(field), [...(groups.get(secretGroupOf(field)) ?? []), field]);
    for (const [group, groupFields] of groups) {
      const content = await this.#secretContent(relation, group, bag[`${SECRET_FIELD_PREFIX}${group}`]);
      const picked = Object.entries(content).filter(([key]) => groupFields.includes(key));
      if (picked.length === 0) groupFields.forEach((field) => plain.add(field));
      for (const [key, value] of picked) result[key] = value;
    }
    for (const field of plain) {
      const value = bag[field];
      if (value !== undefined) result[field] = value;
    }
    return result;
  }

  async fetchField(relation: RelationRef, field: string, remoteApp?: string): Promise<string | undefined> {
    return (await this.fetch(relation, [field], remoteApp))[field];
  }

  /** `is_resource_created`: the provider has shared a username and a password. */
  async isResourceCreated(relation: RelationRef, remoteApp?: string): Promise<boolean> {
    const data = await this.fetch(relation, ['username', 'password'], remoteApp);
    return Boolean(data['username']) && Boolean(data['password']);
  }

  /** `_load_secrets_from_databag`: what our unit bag says we requested, else our own list. */
  async #requestedSecretFields(relation: RelationRef): Promise<readonly string[]> {
    const ownBag = await this.#tools.relationGet(relation, { unit: this.#tools.unitName });
    const fromBag = decodeList(ownBag[REQUESTED_SECRETS_FIELD]);
    return fromBag !== undefined && fromBag.length > 0 ? fromBag : this.requestedSecrets;
  }

  /** `_register_secret_to_relation`: look the secret up by our label, else by URI with our label. */
  async #register(relation: RelationRef, group: string, uri: string): Promise<void> {
    const label = secretLabel(relation, group);
    try {
      await this.#tools.secretGet({ label });
    } catch (error) {
      if (!isCharmError(error, 'secret-not-found')) throw error;
      await this.#tools.secretGet({ id: uri, label });
    }
  }

  /**
   * A group's secret content (CachedSecret.get_content): found by label, else by the URI in the
   * bag (labelling it), then read again with --refresh so this unit tracks the latest revision.
   * Empty when there is no such secret.
   */
  async #secretContent(relation: RelationRef, group: string, uri: string | undefined): Promise<Readonly<Record<string, string>>> {
    const label = secretLabel(relation, group);
    let lookup: { id?: string; label: string } = { label };
    try {
      await this.#tools.secretGet(lookup);
    } catch (error) {
      if (!isCharmError(error, 'secret-not-found')) throw error;
      if (uri === undefined || uri === '') return {};
      lookup = { id: uri, label };
      await this.#tools.secretGet(lookup);
    }
    return this.#tools.secretGet(lookup, { refresh: true });
  }

  async #remoteUnitReady(relation: RelationRef): Promise<boolean> {
    for (const unit of await this.#tools.relationList(relation)) {
      if ((await this.#tools.relationGet(relation, { unit }))['state'] === 'ready') return true;
    }
    return false;
  }
}

function parseStatuses(text: string | undefined): RelationStatusEntry[] {
  if (text === undefined || text === '') return [];
  try {
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed)) return [];
    return parsed
      .filter((item): item is Record<string, unknown> => item !== null && typeof item === 'object')
      .map((item) => ({ code: Number(item['code']), message: String(item['message'] ?? ''), resolution: String(item['resolution'] ?? '') }));
  } catch {
    return [];
  }
}
