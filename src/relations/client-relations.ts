/**
 * The client relations (`database`, and the legacy `db` / `db-admin`) as one snapshot, read once
 * per hook: every relation with its remote application's bag, its remote units' bags and our own
 * bags. Everything the charm decides about client relations is a pure function of this
 * snapshot (plus the cluster), so it is tested without Juju.
 *
 * In relation-broken Juju still lists the breaking relation; it is left out here, so a relation
 * that is going away is already gone for every decision (its user is dropped, its pg_hba rule
 * removed), as ops leaves it out of `Model.relations`.
 */
import type { HookTools, RelationRef } from '../juju/hook-tools.ts';

/** The `database` endpoint (interface `postgresql_client`). */
export const DATABASE_ENDPOINT = 'database';
/** The legacy endpoints (interface `pgsql`). */
export const LEGACY_DB_ENDPOINT = 'db';
export const LEGACY_DB_ADMIN_ENDPOINT = 'db-admin';
export const CLIENT_ENDPOINTS: readonly string[] = [DATABASE_ENDPOINT, LEGACY_DB_ENDPOINT, LEGACY_DB_ADMIN_ENDPOINT];

export type Bag = Readonly<Record<string, string>>;

export interface ClientRelation {
  readonly id: number;
  readonly endpoint: string;
  /** The remote application, when Juju names it (it always does once a remote unit joined or the relation exists). */
  readonly remoteApp: string | undefined;
  readonly remoteAppBag: Bag;
  /** Remote unit name → its bag, for the units in scope. */
  readonly remoteUnitBags: Readonly<Record<string, Bag>>;
  /** Our application's bag; only the leader may read it (undefined on other units). */
  readonly localAppBag: Bag | undefined;
  /** This unit's bag. */
  readonly localUnitBag: Bag;
}

export interface ClientRelationsSnapshot {
  readonly relations: readonly ClientRelation[];
}

export const EMPTY_SNAPSHOT: ClientRelationsSnapshot = Object.freeze({ relations: Object.freeze([]) });

/** The user the charm creates for relation `id` (the reference's name, on every client endpoint). */
export function relationUser(id: number): string {
  return `relation_id_${id}`;
}

const RELATION_USER = /^relation_id_(0|[1-9][0-9]*)$/;

/** The relation id a `relation_id_<id>` user belongs to, or undefined for any other name. */
export function relationIdOfUser(user: string): number | undefined {
  const match = RELATION_USER.exec(user);
  return match === null ? undefined : Number(match[1]);
}

export type ClientRelationTools = Pick<HookTools, 'relationIds' | 'relationList' | 'relationRemoteApp' | 'relationGet'>;

export interface ReadOptions {
  readonly appName: string;
  readonly unitName: string;
  readonly isLeader: boolean;
  /** A relation that is breaking in this hook: left out. */
  readonly breaking?: RelationRef | undefined;
}

async function readRelation(tools: ClientRelationTools, ref: RelationRef, options: ReadOptions): Promise<ClientRelation> {
  const [remoteApp, units, localUnitBag] = await Promise.all([
    tools.relationRemoteApp(ref),
    tools.relationList(ref),
    tools.relationGet(ref, { unit: options.unitName }),
  ]);
  const [remoteAppBag, localAppBag, unitBags] = await Promise.all([
    remoteApp === undefined ? Promise.resolve({}) : tools.relationGet(ref, { app: remoteApp }),
    options.isLeader ? tools.relationGet(ref, { app: options.appName }) : Promise.resolve(undefined),
    Promise.all(units.map(async (unit) => [unit, await tools.relationGet(ref, { unit })] as const)),
  ]);
  return {
    id: ref.id,
    endpoint: ref.endpoint,
    remoteApp,
    remoteAppBag: { ...remoteAppBag },
    remoteUnitBags: Object.fromEntries(unitBags.map(([unit, bag]) => [unit, { ...bag }])),
    localAppBag: localAppBag === undefined ? undefined : { ...localAppBag },
    localUnitBag: { ...localUnitBag },
  };
}

/** Read every client relation once (one relation-ids per endpoint, then the bags in parallel). */
export async function readClientRelations(tools: ClientRelationTools, options: ReadOptions): Promise<ClientRelationsSnapshot> {
  const refs = (await Promise.all(CLIENT_ENDPOINTS.map((endpoint) => tools.relationIds(endpoint)))).flat();
  const kept = refs.filter((ref) => !(options.breaking !== undefined && ref.endpoint === options.breaking.endpoint && ref.id === options.breaking.id));
  const relations = await Promise.all(kept.map((ref) => readRelation(tools, ref, options)));
  return { relations: relations.sort((a, b) => a.id - b.id) };
}

export function relationsOf(snapshot: ClientRelationsSnapshot, endpoint: string): readonly ClientRelation[] {
  return snapshot.relations.filter((relation) => relation.endpoint === endpoint);
}

export function relationById(snapshot: ClientRelationsSnapshot, id: number): ClientRelation | undefined {
  return snapshot.relations.find((relation) => relation.id === id);
}

/** Every bag of a relation that Juju lets this unit see. */
function bagsOf(relation: ClientRelation): Bag[] {
  return [relation.remoteAppBag, ...Object.values(relation.remoteUnitBags), ...(relation.localAppBag === undefined ? [] : [relation.localAppBag]), relation.localUnitBag];
}

/**
 * How many client-relation bags name `database` (the reference's `client_relations` count in
 * `create_database`, lib/charms/postgresql_k8s/v0/postgresql.py): our own bags echo it once it
 * was answered, so exactly one means the asking relation is its first and only client, whose
 * user then owns what is in it.
 */
export function requestingDatabagCount(snapshot: ClientRelationsSnapshot, database: string): number {
  return snapshot.relations.reduce((count, relation) => count + bagsOf(relation).filter((bag) => bag['database'] === database).length, 0);
}

/**
 * Whether `database` is related together with a legacy endpoint, which the reference refuses
 * (`_check_multiple_endpoints` in src/relations/db.py): one application, one way in.
 */
export function hasMultipleClientEndpoints(snapshot: ClientRelationsSnapshot): boolean {
  const endpoints = new Set(snapshot.relations.map((relation) => relation.endpoint));
  return endpoints.has(DATABASE_ENDPOINT) && (endpoints.has(LEGACY_DB_ENDPOINT) || endpoints.has(LEGACY_DB_ADMIN_ENDPOINT));
}

/** `database:7 (client-app)`: how status messages and logs name a relation. */
export function describeRelation(relation: Pick<ClientRelation, 'endpoint' | 'id' | 'remoteApp'>): string {
  return `${relation.endpoint}:${relation.id}${relation.remoteApp === undefined ? '' : ` (${relation.remoteApp})`}`;
}
