import type { HookTools, RelationRef } from '../../../../src/juju/hook-tools.ts';
import { DatabaseRequirer } from '../../lib/data-interfaces-requirer.ts';
import { PgsqlRequirer } from '../../lib/pgsql-requirer.ts';

/** Where the client connects: libpq-style parameters (a `pg` ClientConfig subset). */
export interface Target {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/** What the client holds from its one database relation. */
export interface Holding {
  mode: 'database' | 'db';
  relation: RelationRef;
  /** Credentials and endpoints have arrived (database_created / a ready master). */
  ready: boolean;
  database?: string;
  username?: string;
  password?: string;
  endpoints?: string;
  readOnlyEndpoints?: string;
  uris?: string;
  readOnlyUris?: string;
  version?: string;
  /** `tls` ("True"/"False") and `tls-ca` (PEM) as the provider publishes them. */
  tls?: string;
  tlsCa?: string;
  primary?: Target;
  replica?: Target;
  /** Why it is not ready, when the provider said something we can name. */
  problem?: string;
}

/** The writer's table. */
export const TABLE = 'continuous_writes';
export const DATABASE_ENDPOINT = 'database';
export const DB_ENDPOINT = 'db';

/** `<app with - → _>_database` unless config names one (postgresql-test-app's default). */
export function databaseName(app: string, configured: unknown): string {
  return typeof configured === 'string' && configured !== '' ? configured : `${app.replace(/-/g, '_')}_database`;
}

export function configString(config: Readonly<Record<string, unknown>>, key: string): string {
  const value = config[key];
  return typeof value === 'string' ? value : '';
}

export async function databaseRequirer(tools: HookTools): Promise<DatabaseRequirer> {
  const config = await tools.configGet();
  return new DatabaseRequirer(tools, {
    endpoint: DATABASE_ENDPOINT,
    database: databaseName(tools.appName, config['database-name']),
    extraUserRoles: configString(config, 'extra-user-roles'),
  });
}

/** Parse a libpq keyword/value string (`dbname=x host=y password=z port=5432 user=u`). */
export function parseKeyValueConnection(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  const pattern = /([a-z_]+)\s*=\s*('((?:[^'\\]|\\.)*)'|\S+)/g;
  for (const match of text.matchAll(pattern)) {
    const [, key, raw, quoted] = match;
    result[key as string] = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (raw as string);
  }
  return result;
}

function targetFromKeyValues(text: string): Target | undefined {
  const kv = parseKeyValueConnection(text);
  if (!kv['host']) return undefined;
  return { host: kv['host'], port: Number(kv['port'] ?? 5432), user: kv['user'] ?? '', password: kv['password'] ?? '', database: kv['dbname'] ?? '' };
}

function targetFromUri(uri: string): Target | undefined {
  try {
    const url = new URL(uri);
    return {
      host: url.hostname,
      port: Number(url.port || 5432),
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      database: decodeURIComponent(url.pathname.replace(/^\//, '')),
    };
  } catch {
    return undefined;
  }
}

/** `host:port` (first of a comma list) with the relation's credentials. */
function targetFromEndpoint(endpoints: string | undefined, user: string, password: string, database: string): Target | undefined {
  const first = endpoints?.split(',')[0]?.trim();
  if (!first) return undefined;
  const colon = first.lastIndexOf(':');
  if (colon <= 0) return undefined;
  return { host: first.slice(0, colon), port: Number(first.slice(colon + 1)), user, password, database };
}

/** The relations the client has, per endpoint. */
export async function relationsOf(tools: HookTools): Promise<{ database: readonly RelationRef[]; db: readonly RelationRef[] }> {
  return { database: await tools.relationIds(DATABASE_ENDPOINT), db: await tools.relationIds(DB_ENDPOINT) };
}

/**
 * What the client holds. With both endpoints related there is no single answer (the caller
 * blocks); `broken` is a relation being torn down in this hook (left out, as Juju still lists it).
 */
export async function holding(tools: HookTools, broken?: RelationRef): Promise<Holding | undefined> {
  const live = (list: readonly RelationRef[]) => list.filter((r) => !(broken && r.endpoint === broken.endpoint && r.id === broken.id));
  const relations = await relationsOf(tools);
  const database = live(relations.database)[0];
  if (database !== undefined) {
    const requirer = await databaseRequirer(tools);
    const data = await requirer.fetch(database);
    const username = data['username'];
    const password = data['password'];
    const db = data['database'] ?? '';
    const ready = Boolean(username) && Boolean(password);
    return {
      mode: 'database',
      relation: database,
      ready,
      ...defined({
        database: data['database'],
        username,
        password,
        endpoints: data['endpoints'],
        readOnlyEndpoints: data['read-only-endpoints'],
        uris: data['uris'],
        readOnlyUris: data['read-only-uris'],
        version: data['version'],
        tls: data['tls'],
        tlsCa: data['tls-ca'],
      }),
      ...defined({
        primary: ready ? ((data['uris'] ? targetFromUri(data['uris']) : undefined) ?? targetFromEndpoint(data['endpoints'], username!, password!, db)) : undefined,
        replica: ready
          ? ((data['read-only-uris'] ? targetFromUri(data['read-only-uris']) : undefined) ?? targetFromEndpoint(data['read-only-endpoints'], username!, password!, db))
          : undefined,
      }),
    };
  }
  const legacy = live(relations.db)[0];
  if (legacy !== undefined) {
    const requirer = new PgsqlRequirer(tools, DB_ENDPOINT);
    const master = await requirer.master(legacy);
    const standbys = await requirer.standbys(legacy);
    const primary = master === undefined ? undefined : targetFromKeyValues(master);
    const replica = standbys[0] === undefined ? undefined : targetFromKeyValues(standbys[0]);
    const problem = master === undefined ? await requirer.notReadyReason(legacy) : undefined;
    return {
      mode: 'db',
      relation: legacy,
      ready: primary !== undefined,
      ...defined({
        database: primary?.database,
        username: primary?.user,
        password: primary?.password,
        endpoints: primary ? `${primary.host}:${primary.port}` : undefined,
        readOnlyEndpoints: replica ? `${replica.host}:${replica.port}` : undefined,
        primary,
        replica,
        problem,
      }),
    };
  }
  return undefined;
}

function defined<T extends Record<string, unknown>>(fields: T): Partial<{ [K in keyof T]: Exclude<T[K], undefined> }> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<{ [K in keyof T]: Exclude<T[K], undefined> }>;
}
