/**
 * What a legacy `pgsql` client (ops-lib-pgsql, or an older reactive charm) asks for on `db` or
 * `db-admin`, read from its bags, and whether the charm may serve it (reference charm:
 * `src/relations/db.py`, `DbProvides._get_extensions` and `set_up_relation`).
 *
 * ops-lib-pgsql writes `database`, `extensions` and `roles` into the client's application bag and
 * mirrors them into every client unit's bag; older clients write unit bags only. So `database` is
 * the app bag's, else the first unit bag's that has one; `extensions` are the app bag's then each
 * unit's, in that order, duplicates dropped. Items are kept byte for byte (the client checks that
 * our echo equals what it wrote), empty items dropped.
 *
 * Extensions are never installed from the request: the new database gets the extensions the
 * `plugin_*_enable` options enable. A request for an extension those options do not enable (or
 * that no option knows) blocks, so the operator learns to enable it. `roles` cannot be honoured
 * (the reference blocks on it, pointing at `postgresql_client`); it blocks whether it arrived in
 * the app bag or, from an older client, only in unit bags.
 */
import { extensionsFromConfig } from '../../../lib/postgresql/index.ts';
import { databaseNameProblem, invalidDatabaseNameMessage } from '../database-name.ts';

/** The reference's Blocked messages, word for word (clients' tests look for them). */
export const LEGACY_MESSAGES = {
  extensionsRequested: 'extensions requested through relation',
  rolesRequested: 'roles requested through relation, use postgresql_client interface instead',
} as const;

export type LegacyEndpoint = 'db' | 'db-admin';
export const LEGACY_ENDPOINTS: readonly LegacyEndpoint[] = ['db', 'db-admin'];

/** The client's side of one relation: its app bag and the bags of its units in scope. */
export interface LegacyClientBags {
  readonly app: Readonly<Record<string, string>>;
  /** Remote unit name → its bag, for the units in scope. */
  readonly units: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export interface LegacyRequest {
  /** Undefined when no bag names one yet. */
  readonly database: string | undefined;
  /** `name` or `name:schema` items, in request order, deduplicated. */
  readonly extensions: readonly string[];
  readonly rolesRequested: boolean;
}

/** Unit names in unit-number order, so "the first unit bag" does not depend on map order. */
function unitOrder(units: Readonly<Record<string, unknown>>): string[] {
  const number = (unit: string) => Number(unit.slice(unit.lastIndexOf('/') + 1));
  return Object.keys(units).sort((a, b) => number(a) - number(b) || (a < b ? -1 : a > b ? 1 : 0));
}

export function legacyRequest(bags: LegacyClientBags): LegacyRequest {
  const unitBags = unitOrder(bags.units).map((unit) => bags.units[unit]!);
  const ordered = [bags.app, ...unitBags];
  const database = ordered.map((bag) => bag.database).find((value) => value !== undefined && value !== '');
  const extensions: string[] = [];
  for (const bag of ordered) {
    for (const item of (bag.extensions ?? '').split(',')) {
      if (item !== '' && !extensions.includes(item)) extensions.push(item);
    }
  }
  const rolesRequested = ordered.some((bag) => (bag.roles ?? '') !== '');
  return { database, extensions, rolesRequested };
}

/** The extension an item names: the part before `:schema`, without surrounding spaces. */
export function extensionName(item: string): string {
  const colon = item.indexOf(':');
  return (colon === -1 ? item : item.slice(0, colon)).trim();
}

/**
 * Whether the config enables this extension: by its extension name (`pg_trgm`, `uuid-ossp`,
 * `pgaudit`), or, as the reference looks it up, by the middle of a `plugin_<name>_enable` option.
 */
export function extensionEnabled(name: string, config: Readonly<Record<string, unknown>>): boolean {
  return extensionsFromConfig(config).get(name) === true || config[`plugin_${name}_enable`] === true;
}

/** The requested extensions the config does not enable, by name, deduplicated in order. */
export function disabledExtensions(extensions: readonly string[], config: Readonly<Record<string, unknown>>): string[] {
  const names = [...new Set(extensions.map(extensionName))];
  return names.filter((name) => !extensionEnabled(name, config));
}

/** What to do with one relation this hook. */
export type LegacyDecision =
  | { readonly kind: 'serve'; readonly database: string; readonly extensions: readonly string[] }
  /** Nothing to write yet: the client has not named a database. */
  | { readonly kind: 'no-database' }
  | { readonly kind: 'blocked'; readonly message: string; readonly detail: string };

export function decideLegacyRelation(
  relation: { endpoint: string; id: number },
  request: LegacyRequest,
  config: Readonly<Record<string, unknown>>,
): LegacyDecision {
  const disabled = disabledExtensions(request.extensions, config);
  if (disabled.length > 0) {
    return {
      kind: 'blocked',
      message: LEGACY_MESSAGES.extensionsRequested,
      detail: `extensions ${disabled.join(', ')} cannot be requested through ${relation.endpoint}:${relation.id}: enable them with juju config (plugin_<name>_enable) first`,
    };
  }
  if (request.rolesRequested) {
    return { kind: 'blocked', message: LEGACY_MESSAGES.rolesRequested, detail: `roles requested through ${relation.endpoint}:${relation.id}` };
  }
  if (request.database === undefined) return { kind: 'no-database' };
  const problem = databaseNameProblem(request.database);
  if (problem !== undefined) {
    const message = invalidDatabaseNameMessage(relation, request.database, problem);
    return { kind: 'blocked', message, detail: message };
  }
  return { kind: 'serve', database: request.database, extensions: request.extensions };
}
