import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { HookTools, RelationRef } from '../../../src/juju/hook-tools.ts';

/**
 * The client side of the legacy `pgsql` interface, as ops-lib-pgsql's `pgsql.client`
 * (PostgreSQLClient, canonical/ops-lib-pgsql) speaks it, for the sandbox's test client.
 *
 * API (one instance per endpoint and dispatch):
 *
 *   const db = new PgsqlRequirer(tools, 'db');
 *   // <endpoint>-relation-joined: mirror, then (first time only) 'database-relation-joined'
 *   if ((await db.relationJoined(rel)).includes('database-relation-joined') && await tools.isLeader())
 *     await db.request(rel, { database: 'x', extensions: ['pg_trgm:public'] });
 *   // <endpoint>-relation-changed: master-/standby-/database- available/changed/gone
 *   const events = await db.relationChanged(rel);
 *   const master = await db.master(rel);        // libpq "k=v ..." of a READY bag, else undefined
 *   // leader-elected / leader-settings-changed: await db.mirror();
 *   // <endpoint>-relation-broken: await db.relationBroken(rel);
 *
 * The wire, as the library does it:
 * - the leader writes `database`, `extensions` (sorted, comma-joined) and `roles` (sorted) into
 *   its app bag AND its own unit bag, and a copy into leadership settings (`interface.pgsql`,
 *   YAML {relation id: {database, extensions, roles}}), since non-leaders cannot read the app
 *   bag; non-leaders mirror that copy into their unit bags (leader-settings-changed, joined,
 *   changed). `""` deletes a key.
 * - a bag is READY when its `database` (unless we asked for ""), `roles` and `extensions` equal
 *   what we asked (string compare, missing = "") and its `allowed-subnets` cover our own unit's
 *   `egress-subnets`. `master` is the first non-empty `master` of a ready bag, bags sorted by
 *   name (the provider's app bag `pg` before its units `pg/0` …); `standbys` likewise, split on
 *   newlines.
 * - events compare the master/standbys found with those this unit saw last (kept in its
 *   controller-side state, as ops keeps them in StoredState).
 */

export const LEADER_KEY = 'interface.pgsql';
const REQUEST_KEYS = ['database', 'roles', 'extensions'] as const;

export interface PgsqlRequest {
  database: string;
  extensions?: readonly string[];
  roles?: readonly string[];
}

export type PgsqlEvent =
  | 'database-relation-joined'
  | 'master-available'
  | 'master-changed'
  | 'master-gone'
  | 'standby-available'
  | 'standby-changed'
  | 'standby-gone'
  | 'database-available'
  | 'database-changed'
  | 'database-gone'
  | 'database-relation-broken';

export type PgsqlTools = Pick<
  HookTools,
  'unitName' | 'appName' | 'isLeader' | 'relationGet' | 'relationSet' | 'relationIds' | 'relationList' | 'relationRemoteApp' | 'run' | 'stateGetKey' | 'stateSet' | 'stateDelete'
>;

type RequestFields = Partial<Record<(typeof REQUEST_KEYS)[number], string>>;
interface Seen {
  master: string | null;
  standbys: string[] | null;
}

/** `_is_ready`: whether a provider bag has acted on our request and admits our egress. */
export function isReady(requested: RequestFields, ownUnitBag: Readonly<Record<string, string>>, bag: Readonly<Record<string, string>>): boolean {
  for (const key of REQUEST_KEYS) {
    const got = bag[key] ?? '';
    const want = requested[key] ?? '';
    if (key === 'database' && want === '') continue;
    if (got !== want) return false;
  }
  const allowed = new Set(commaSplit(bag['allowed-subnets']));
  return commaSplit(ownUnitBag['egress-subnets']).every((subnet) => allowed.has(subnet));
}

/** `_master` / `_standbys` over bags already sorted by owner name. */
export function pickConnection(
  kind: 'master' | 'standbys',
  requested: RequestFields,
  ownUnitBag: Readonly<Record<string, string>>,
  bags: ReadonlyArray<readonly [string, Readonly<Record<string, string>>]>,
): string | undefined {
  for (const [, bag] of bags) {
    const value = bag[kind];
    if (value && isReady(requested, ownUnitBag, bag)) return value;
  }
  return undefined;
}

/** What the events of one relation-changed are, given what was seen before (the library's order). */
export function changeEvents(before: Seen, master: string | null, standbys: string[]): PgsqlEvent[] {
  const events: PgsqlEvent[] = [];
  const prevStandbys = before.standbys ?? [];
  let available = false;
  let changed = false;
  let gone = false;
  if (before.master === null && master !== null) (events.push('master-available'), (available = true));
  if (String(before.master) !== String(master)) (events.push('master-changed'), (changed = true));
  if (before.master !== null && master === null) (events.push('master-gone'), (gone = true));
  const same = prevStandbys.length === standbys.length && prevStandbys.every((s, i) => s === standbys[i]);
  if (prevStandbys.length === 0 && standbys.length > 0) (events.push('standby-available'), (available = true));
  if (!same) (events.push('standby-changed'), (changed = true));
  if (prevStandbys.length > 0 && standbys.length === 0) (events.push('standby-gone'), (gone = true));
  if (available) events.push('database-available');
  if (changed) events.push('database-changed');
  if (master === null && standbys.length === 0 && gone) events.push('database-gone');
  return events;
}

export class PgsqlRequirer {
  readonly endpoint: string;
  readonly #tools: PgsqlTools;

  constructor(tools: PgsqlTools, endpoint: string) {
    this.#tools = tools;
    this.endpoint = endpoint;
  }

  /** relation-joined: mirror the request; 'database-relation-joined' the first time for this relation. */
  async relationJoined(relation: RelationRef): Promise<PgsqlEvent[]> {
    await this.mirror();
    if ((await this.#seen(relation)) !== undefined) return [];
    await this.#remember(relation, { master: null, standbys: null });
    return ['database-relation-joined'];
  }

  /** The leader's request (the event's database/extensions/roles setters): app bag, unit bag, leadership copy. */
  async request(relation: RelationRef, request: PgsqlRequest): Promise<void> {
    const fields: Required<RequestFields> = {
      database: request.database,
      extensions: [...(request.extensions ?? [])].sort().join(','),
      roles: [...(request.roles ?? [])].sort().join(','),
    };
    const write: Record<string, string> = { database: fields.database, extensions: fields.extensions };
    if (request.roles !== undefined) write['roles'] = fields.roles;
    await this.#tools.relationSet(relation, write, { app: true });
    await this.#tools.relationSet(relation, write);
    const leaderData = await this.#leaderData();
    leaderData[relation.id] = { ...leaderData[relation.id], ...write };
    await this.#setLeaderData(leaderData);
  }

  /** `_mirror_appdata`: the leader copies its app bag request to its unit bag and leadership; others copy leadership to their unit bag. */
  async mirror(): Promise<void> {
    const current = await this.#leaderData();
    if (await this.#tools.isLeader()) {
      const next: Record<number, RequestFields> = {};
      let rewrite = false;
      for (const relation of await this.#tools.relationIds(this.endpoint)) {
        const app = await this.#tools.relationGet(relation, { app: this.#tools.appName });
        const entry: Record<string, string> = {};
        for (const key of REQUEST_KEYS) {
          entry[key] = app[key] ?? '';
          if ((current[relation.id]?.[key] ?? undefined) !== entry[key]) rewrite = true;
        }
        await this.#tools.relationSet(relation, entry);
        next[relation.id] = entry;
      }
      if (rewrite) await this.#setLeaderData(next);
      return;
    }
    for (const relation of await this.#tools.relationIds(this.endpoint)) {
      const entry = current[relation.id];
      if (entry !== undefined && Object.keys(entry).length > 0) await this.#tools.relationSet(relation, { ...entry });
    }
  }

  /** relation-changed: compare the ready master and standbys with what this unit saw last. */
  async relationChanged(relation: RelationRef): Promise<PgsqlEvent[]> {
    const before = await this.#seen(relation);
    // The library defers a changed that comes before joined; Juju never sends one.
    if (before === undefined) return [];
    await this.mirror();
    const master = (await this.master(relation)) ?? null;
    const standbys = await this.standbys(relation);
    await this.#remember(relation, { master, standbys });
    return changeEvents(before, master, standbys);
  }

  async relationBroken(relation: RelationRef): Promise<PgsqlEvent[]> {
    const seen = await this.#seen(relation);
    const events: PgsqlEvent[] = [];
    if (seen?.master) events.push('master-changed', 'master-gone');
    if (seen?.standbys && seen.standbys.length > 0) events.push('standby-changed', 'standby-gone');
    if (events.length > 0) events.push('database-changed', 'database-gone');
    events.push('database-relation-broken');
    await this.#tools.stateDelete(this.#stateKey(relation));
    return events;
  }

  /** The ready master's libpq connection string, if any. */
  async master(relation: RelationRef): Promise<string | undefined> {
    const { requested, own, bags } = await this.#view(relation);
    return pickConnection('master', requested, own, bags);
  }

  async standbys(relation: RelationRef): Promise<string[]> {
    const { requested, own, bags } = await this.#view(relation);
    return (pickConnection('standbys', requested, own, bags) ?? '').split('\n').filter((line) => line !== '');
  }

  /** A bag that holds a master but is not ready yet, with why (for a unit status). */
  async notReadyReason(relation: RelationRef): Promise<string | undefined> {
    const { requested, own, bags } = await this.#view(relation);
    const candidate = bags.find(([, bag]) => bag['master']);
    if (candidate === undefined || isReady(requested, own, candidate[1])) return undefined;
    const [, bag] = candidate;
    for (const key of REQUEST_KEYS) {
      if (key === 'database' && (requested[key] ?? '') === '') continue;
      if ((bag[key] ?? '') !== (requested[key] ?? '')) return `${key} not echoed (asked ${JSON.stringify(requested[key] ?? '')}, got ${JSON.stringify(bag[key] ?? '')})`;
    }
    return `egress ${own['egress-subnets'] ?? '?'} not in allowed-subnets`;
  }

  async #view(relation: RelationRef) {
    const requested = (await this.#leaderData())[relation.id] ?? {};
    const own = await this.#tools.relationGet(relation, { unit: this.#tools.unitName });
    const bags: Array<readonly [string, Readonly<Record<string, string>>]> = [];
    const app = await this.#tools.relationRemoteApp(relation);
    if (app !== undefined) bags.push([app, await this.#tools.relationGet(relation, { app })]);
    for (const unit of await this.#tools.relationList(relation)) bags.push([unit, await this.#tools.relationGet(relation, { unit })]);
    bags.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return { requested, own, bags };
  }

  async #leaderData(): Promise<Record<number, RequestFields>> {
    const text = await this.#tools.run('leader-get', ['--format=json', LEADER_KEY]);
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'string' || value === '') return {};
    const parsed = parseYaml(value) as unknown;
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<number, RequestFields>) : {};
  }

  async #setLeaderData(data: Record<number, RequestFields>): Promise<void> {
    await this.#tools.run('leader-set', [`${LEADER_KEY}=${stringifyYaml(data)}`]);
  }

  #stateKey(relation: RelationRef): string {
    return `pgsql.${relation.endpoint}.${relation.id}`;
  }

  async #seen(relation: RelationRef): Promise<Seen | undefined> {
    const text = await this.#tools.stateGetKey(this.#stateKey(relation));
    return text === undefined ? undefined : (JSON.parse(text) as Seen);
  }

  async #remember(relation: RelationRef, seen: Seen): Promise<void> {
    await this.#tools.stateSet({ [this.#stateKey(relation)]: JSON.stringify(seen) });
  }
}

function commaSplit(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}
