/**
 * The client relations (`database`; the legacy `db` / `db-admin`, see src/relations/endpoint-kinds.ts)
 * in the reconcile, in three steps:
 *
 *   client-relations   (every unit, before patroni.yml) read the relations once; the users
 *                      pg_hba must admit: each relation's planned user, and once the cluster is
 *                      initialised every non-system user PostgreSQL has with the databases it
 *                      may reach (the reference's `relations_user_databases_map`, so users
 *                      PgBouncer creates on our server for its own clients get rules too)
 *   user-hash          (every unit, once its member runs with that patroni.yml) `user_hash` in
 *                      its peer bag = a digest of the planned users: this unit admits them
 *   client-serve       (leader, primary running) the one-endpoint rule; drop the users of
 *                      relations that are gone; then every endpoint kind serves its relations,
 *                      handing out new credentials only once every unit's `user_hash` matches
 */
import { createHash } from 'node:crypto';
import { LibError } from '../../../lib/errors.ts';
import {
  CLIENT_ENDPOINTS,
  DATABASE_ENDPOINT,
  EMPTY_SNAPSHOT,
  hasMultipleClientEndpoints,
  readClientRelations,
  relationIdOfUser,
  type ClientRelationsSnapshot,
} from '../../relations/client-relations.ts';
import { secretLabel } from '../../relations/database/provider-data.ts';
import type { ClientLeaderContext, RelationUserBook } from '../../relations/endpoint-kind.ts';
import { CLIENT_ENDPOINT_KINDS } from '../../relations/endpoint-kinds.ts';
import { removeRelationSecret } from '../../relations/relation-secrets.ts';
import type { RelationUserRecord, RelationUsers } from '../../state/relation-users.ts';
import { isStarted, type ClusterMember } from '../../patroni/index.ts';
import { SYSTEM_USERS, type HbaDatabases } from '../../workload/index.ts';
import type { HandlerDeps, LifecyclePostgreSQL } from '../deps.ts';
import { runningPrimaryHost } from './cluster-initialisation.ts';
import { goalView } from './cluster-view.ts';
import { isInitialised, type ReconcileFacts } from './facts.ts';
import { blocked, MESSAGES, waiting, type StepReport } from './outcome.ts';
import { next, proceed, step } from './pipeline.ts';

/** Charm-state key: the client users last found in PostgreSQL, used while it cannot be asked. */
export const DATABASE_USERS_KEY = 'client-relations.database-users';

/** Users the charm runs on and never gives a client rule (`postgres` included, as the reference). */
const NOT_CLIENT_USERS: ReadonlySet<string> = new Set([...SYSTEM_USERS, 'postgres']);

/** The planned users of every endpoint kind. */
export function plannedUsers(snapshot: ClientRelationsSnapshot): Record<string, HbaDatabases> {
  return Object.assign({}, ...CLIENT_ENDPOINT_KINDS.map((kind) => kind.plannedUsers(snapshot))) as Record<string, HbaDatabases>;
}

/** `user_hash`: 32 hex characters over the planned users, whatever order they came in. */
export function userHash(users: Readonly<Record<string, HbaDatabases>>): string {
  const canonical = Object.keys(users)
    .sort()
    .map((user) => [user, users[user] === 'all' ? 'all' : [...(users[user] as readonly string[])].sort()]);
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 32);
}

/** Both maps' users, sorted; a user in both may reach the union of its databases (`all` wins). */
export function mergeUserDatabases(...maps: readonly Readonly<Record<string, HbaDatabases>>[]): Record<string, HbaDatabases> {
  const merged: Record<string, HbaDatabases> = {};
  for (const map of maps) {
    for (const [user, databases] of Object.entries(map)) {
      const known = merged[user];
      if (known === 'all' || databases === 'all') merged[user] = 'all';
      else merged[user] = [...new Set([...(known ?? []), ...databases])].sort();
    }
  }
  return Object.fromEntries(Object.keys(merged).sort().map((user) => [user, merged[user]!]));
}

/** Client users PostgreSQL has (on this member) with the databases each may reach. */
async function databaseUsers(postgresql: Pick<LifecyclePostgreSQL, 'listUsers' | 'listAccessibleDatabasesForUser'>): Promise<Record<string, HbaDatabases>> {
  const users = (await postgresql.listUsers({ currentHost: true })).filter((user) => !NOT_CLIENT_USERS.has(user));
  const map: Record<string, HbaDatabases> = {};
  for (const user of users) {
    const databases = await postgresql.listAccessibleDatabasesForUser(user, { currentHost: true });
    // The reference skips users that can reach no database; superusers reach `all`.
    if (databases.includes('all')) map[user] = 'all';
    else if (databases.length > 0) map[user] = databases;
  }
  return map;
}

function parseStoredUsers(raw: string | undefined): Record<string, HbaDatabases> {
  if (raw === undefined) return {};
  try {
    const parsed = JSON.parse(raw) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, HbaDatabases>) : {};
  } catch {
    return {};
  }
}

/**
 * The users found in PostgreSQL, when there is a client relation and the cluster is
 * initialised; while this member cannot answer (not started yet, restarting), the last answer.
 */
async function knownDatabaseUsers(deps: Pick<HandlerDeps, 'postgresql' | 'tools' | 'logger'>, wanted: boolean): Promise<Record<string, HbaDatabases>> {
  if (!wanted) return {};
  const stored = await deps.tools.stateGetKey(DATABASE_USERS_KEY);
  try {
    const found = await databaseUsers(await deps.postgresql());
    const text = JSON.stringify(found);
    if (text !== stored) await deps.tools.stateSet({ [DATABASE_USERS_KEY]: text });
    return found;
  } catch (error) {
    if (!(error instanceof LibError)) throw error;
    deps.logger.debug({ code: error.code }, 'cannot list the client users here now; using the last list');
    return parseStoredUsers(stored);
  }
}

/** The relation breaking in this hook, which counts as gone. */
function breakingRelation(event: ReconcileFacts['event']): { endpoint: string; id: number } | undefined {
  return event.kind === 'relation-broken' && CLIENT_ENDPOINTS.includes(event.endpoint) ? event.relation : undefined;
}

export const clientRelationsStep = step({
  name: 'client-relations',
  retryMessage: 'waiting to read the client relations',
  requires: ['event', 'isLeader', 'hasPeerRelation', 'app'],
  provides: ['clients'],
  async run(deps: Pick<HandlerDeps, 'appName' | 'unitName' | 'tools' | 'postgresql' | 'logger'>, { event, isLeader, hasPeerRelation, app }) {
    const snapshot = hasPeerRelation
      ? await readClientRelations(deps.tools, { appName: deps.appName, unitName: deps.unitName, isLeader, breaking: breakingRelation(event) })
      : EMPTY_SNAPSHOT;
    const planned = plannedUsers(snapshot);
    const found = await knownDatabaseUsers(deps, isInitialised({ app }) && snapshot.relations.length > 0);
    return next({
      clients: { snapshot, plannedUsers: planned, plannedHash: userHash(planned), userDatabases: mergeUserDatabases(planned, found) },
    });
  },
});

export const userHashStep = step({
  name: 'user-hash',
  retryMessage: 'waiting to announce the client users',
  requires: ['hasPeerRelation', 'unit', 'clients', 'member'],
  provides: ['unit'],
  async run(deps: Pick<HandlerDeps, 'peers' | 'logger'>, { hasPeerRelation, unit, clients }) {
    // The member runs with the patroni.yml (and so the pg_hba) this hook rendered: announce it.
    if (!hasPeerRelation || unit.user_hash === clients.plannedHash) return next({ unit });
    await deps.peers.writeUnit({ user_hash: clients.plannedHash });
    deps.logger.info({ users: Object.keys(clients.plannedUsers) }, 'pg_hba admits the planned client users');
    return next({ unit: { ...unit, user_hash: clients.plannedHash } });
  },
});

/** The peer app bag's `relation-users`, written through at once. */
class PeerUserBook implements RelationUserBook {
  #users: Record<string, RelationUserRecord>;

  constructor(
    private readonly peers: HandlerDeps['peers'],
    users: RelationUsers,
  ) {
    this.#users = { ...users };
  }

  get users(): RelationUsers {
    return this.#users;
  }

  async set(user: string, record: RelationUserRecord): Promise<void> {
    this.#users = { ...this.#users, [user]: record };
    await this.peers.writeApp({ 'relation-users': this.#users });
  }

  async delete(user: string): Promise<void> {
    const { [user]: _gone, ...rest } = this.#users;
    this.#users = rest;
    await this.peers.writeApp({ 'relation-users': rest });
  }
}

/** Recorded users whose relation no longer exists (relation_id_<id> of no current client relation). */
export function goneUsers(users: RelationUsers, snapshot: ClientRelationsSnapshot): string[] {
  const ids = new Set(snapshot.relations.map((relation) => relation.id));
  return Object.keys(users)
    .filter((user) => {
      const id = relationIdOfUser(user);
      return id === undefined || !ids.has(id);
    })
    .sort();
}

/** The most urgent report (Blocked before Waiting), or none. */
function mostUrgent(reports: readonly StepReport[]): StepReport | undefined {
  return reports.find((report) => report.kind === 'blocked') ?? reports[0];
}

/**
 * End a dropped user's sessions on the other running members: each replica keeps the sessions it
 * authenticated after the DROP ROLE replays. A member that cannot be reached now is logged and
 * left (its sessions end with it or at the next restart).
 */
async function endSessionsOnReplicas(deps: Pick<HandlerDeps, 'postgresql' | 'logger'>, members: readonly ClusterMember[], user: string): Promise<void> {
  for (const member of members) {
    try {
      const ended = await (await deps.postgresql({ member: { host: member.host, port: member.port } })).terminateUserSessions(user, { currentHost: true });
      if (ended > 0) deps.logger.info({ user, member: member.name, ended }, "ended a dropped user's sessions on a replica");
    } catch (error) {
      if (!(error instanceof LibError)) throw error;
      deps.logger.warn({ user, member: member.name, code: error.code }, "cannot end a dropped user's sessions on this member now");
    }
  }
}

async function dropGoneUsers(
  deps: Pick<HandlerDeps, 'tools' | 'postgresql' | 'logger'>,
  postgresql: LifecyclePostgreSQL,
  replicas: readonly ClusterMember[],
  book: RelationUserBook,
  users: readonly string[],
): Promise<StepReport[]> {
  const reports: StepReport[] = [];
  for (const user of users) {
    try {
      await postgresql.deleteUser(user, { terminateConnections: true });
    } catch (error) {
      if (!(error instanceof LibError)) throw error;
      deps.logger.error({ user, err: error }, 'failed to drop the user of a relation that is gone');
      reports.push(blocked(MESSAGES.relationUserDeleteFailed));
      continue;
    }
    await endSessionsOnReplicas(deps, replicas, user);
    const id = relationIdOfUser(user);
    if (id !== undefined) {
      // The reference leaves them; nothing reads them once the relation is gone.
      for (const group of ['user', 'tls'] as const) await removeRelationSecret(deps.tools, secretLabel({ endpoint: DATABASE_ENDPOINT, id }, group));
    }
    await book.delete(user);
    deps.logger.info({ user }, 'dropped the user of a relation that is gone, and its connections');
  }
  return reports;
}

export const clientServeStep = step({
  name: 'client-serve',
  retryMessage: 'waiting to serve the client relations',
  requires: ['isLeader', 'app', 'unit', 'peerUnits', 'config', 'rendered', 'clients', 'member'],
  provides: [],
  async run(
    deps: Pick<HandlerDeps, 'appName' | 'modelName' | 'unitName' | 'tools' | 'secrets' | 'peers' | 'cluster' | 'postgresql' | 'logger'>,
    { isLeader, app, unit, peerUnits, config, rendered, clients },
  ) {
    if (!isLeader || !isInitialised({ app })) return proceed();
    const { snapshot } = clients;
    const reports: StepReport[] = [];
    if (hasMultipleClientEndpoints(snapshot)) reports.push(blocked(MESSAGES.multipleClientEndpoints));
    const recorded = app['relation-users'] ?? {};
    // A unit on its way out sees its relations break; their users stay for the units that remain.
    const departing = unit.departing === true || (await goalView(deps.tools, deps.unitName)).selfDying;
    const gone = departing ? [] : goneUsers(recorded, snapshot);
    if (snapshot.relations.length === 0 && gone.length === 0) return proceed(mostUrgent(reports));

    const cluster = await deps.cluster.latest();
    const primaryHost = runningPrimaryHost(cluster);
    if (primaryHost === undefined) return proceed(mostUrgent([...reports, waiting(MESSAGES.primaryNotReady)]));
    const postgresql = await deps.postgresql({ primaryHost });
    const book = new PeerUserBook(deps.peers, recorded);
    const replicas = cluster.members.filter((member) => member.host !== primaryHost && isStarted(member.state));
    reports.push(...(await dropGoneUsers(deps, postgresql, replicas, book, gone)));

    let admitted: Promise<boolean> | undefined;
    const context: ClientLeaderContext = {
      deps,
      snapshot,
      config,
      peerUnits,
      tls: rendered.tls,
      postgresql,
      book,
      usersAdmitted: () =>
        (admitted ??= Promise.all(peerUnits.map((peer) => deps.peers.readUnit(peer))).then((bags) =>
          bags.every((bag) => bag.status !== 'no-peer-relation' && bag.data.user_hash === clients.plannedHash),
        )),
    };
    for (const kind of CLIENT_ENDPOINT_KINDS) reports.push(...(await kind.serve(context)));
    return proceed(mostUrgent(reports));
  },
});
