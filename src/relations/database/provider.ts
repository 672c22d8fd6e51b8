/**
 * (Leader) Serving `database` relations (interface postgresql_client), the reference's
 * src/relations/postgresql_provider.py on top of data_interfaces' `DatabaseProvides`, as a
 * convergence instead of events: every reconcile brings each relation's user, database, secrets
 * and bag to what the requirer asks for now.
 *
 * - A relation is first answered only once every unit's pg_hba admits its user (each unit's
 *   `user_hash` equals the leader's): the user is created, its database created or granted, and
 *   every field written in that one hook. Until then the leader reports Waiting; the `user_hash`
 *   a peer writes gives the leader relation-changed, so nothing is deferred.
 * - The password is generated once and kept where the requirer reads it (the `user` secret, or
 *   the bag for a requirer without secrets); later hooks reuse it.
 * - A changed `extra-user-roles` updates the user's roles (data_interfaces raises on it and the
 *   reference's hook fails); unknown roles Block this relation with the reference's message,
 *   until the requirer changes them or the relation goes.
 * - `read-only-endpoints` (and `read-only-uris`) follow the number of units; `tls` follows
 *   patroni.yml.
 */
import {
  enabledPlugins,
  INVALID_EXTRA_USER_ROLE_BLOCKING_MESSAGE,
  PostgreSQLInvalidExtraUserRolesError,
} from '../../../lib/postgresql/index.ts';
import { LibError } from '../../../lib/errors.ts';
import { generatePassword } from '../../handlers/reconcile/passwords.ts';
import { blocked, MESSAGES, waiting, type StepReport } from '../../handlers/reconcile/outcome.ts';
import type { HbaDatabases } from '../../workload/pg-hba.ts';
import {
  DATABASE_ENDPOINT,
  describeRelation,
  relationsOf,
  relationUser,
  requestingDatabagCount,
  type ClientRelation,
  type ClientRelationsSnapshot,
} from '../client-relations.ts';
import type { ClientEndpointKind, ClientLeaderContext } from '../endpoint-kind.ts';
import { ensureRelationSecret, ownedSecretContent } from '../relation-secrets.ts';
import {
  bagChanges,
  clusterEndpoints,
  guardPrematureWrite,
  hasCredentials,
  providerData,
  SECRET_GROUPS,
  secretField,
  secretLabel,
  type ProviderData,
} from './provider-data.ts';
import { parseDatabaseRequest, type DatabaseRequest } from './request.ts';

/** pg_hba: `relation_id_<id>` may reach the database its requirer asked for (every unit computes the same). */
export function databasePlannedUsers(snapshot: ClientRelationsSnapshot): Record<string, HbaDatabases> {
  const users: Record<string, HbaDatabases> = {};
  for (const relation of relationsOf(snapshot, DATABASE_ENDPOINT)) {
    const parsed = parseDatabaseRequest(relation, relation.remoteAppBag);
    if (parsed.kind !== 'requested') continue;
    // A superuser may connect to every database, and its client does (PgBouncer installs its
    // auth function in `postgres` and each client database right after database_created), so
    // its rule covers them all from the start, not only once PostgreSQL lists it as a superuser.
    users[relationUser(relation.id)] = parsed.request.roles.includes('superuser') ? 'all' : [parsed.request.database];
  }
  return users;
}

function sameRoles(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().every((role, i) => role === [...b].sort()[i]);
}

/** The password the requirer already holds: in the `user` secret, or in the bag for plain mode. */
async function publishedPassword(context: ClientLeaderContext, relation: ClientRelation, request: DatabaseRequest): Promise<string | undefined> {
  const bag = relation.localAppBag ?? {};
  if (!request.requestedSecrets?.includes('password')) return bag['password'] || undefined;
  const content = await ownedSecretContent(context.deps.tools, secretLabel(relation, 'user'));
  return content?.['password'] || undefined;
}

async function tlsCa(context: ClientLeaderContext): Promise<string | undefined> {
  if (!context.tls) return undefined;
  return (await context.deps.secrets.get('unit', 'chain')) ?? (await context.deps.secrets.get('unit', 'ca'));
}

type Applied = { kind: 'applied'; version: string | undefined } | { kind: 'report'; report: StepReport };

/** Create or update the user and its database; a SQL failure is this relation's Blocked status. */
async function applyInPostgreSQL(context: ClientLeaderContext, relation: ClientRelation, request: DatabaseRequest, password: string): Promise<Applied> {
  const { postgresql, book, deps } = context;
  const user = relationUser(relation.id);
  const previous = book.users[user];
  // Recorded before it exists, so a user whose set-up fails half-way is still dropped with its relation.
  if (previous === undefined) await book.set(user, { database: '', roles: [] });
  try {
    await postgresql.createUser(user, {
      password,
      extraUserRoles: request.roles,
      ...(previous === undefined ? {} : { replaceRoles: { revoke: previous.roles } }),
    });
    await postgresql.createDatabase(request.database, user, {
      plugins: enabledPlugins(context.config),
      requestingDatabagCount: requestingDatabagCount(context.snapshot, request.database),
    });
    const version = await postgresql.getPostgreSQLVersion({ currentHost: false });
    await book.set(user, { database: request.database, roles: [...request.roles] });
    deps.logger.info({ relation: describeRelation(relation), user, database: request.database, roles: request.roles }, 'client user and database in place');
    return { kind: 'applied', version };
  } catch (error) {
    if (error instanceof PostgreSQLInvalidExtraUserRolesError) {
      deps.logger.warn({ relation: describeRelation(relation), roles: request.roles }, 'invalid extra user roles requested');
      return { kind: 'report', report: blocked(INVALID_EXTRA_USER_ROLE_BLOCKING_MESSAGE) };
    }
    if (!(error instanceof LibError)) throw error;
    // As the reference: Blocked, and the next hook tries again (the status clears by itself).
    deps.logger.error({ relation: describeRelation(relation), err: error }, 'failed to set up the client relation');
    return { kind: 'report', report: blocked(MESSAGES.relationInitFailed) };
  }
}

/** Converge the group secrets, then write every changed field of the bag in one relation-set. */
async function publish(context: ClientLeaderContext, relation: ClientRelation, data: ProviderData): Promise<void> {
  const current = relation.localAppBag ?? {};
  const desired: Record<string, string> = { ...data.fields };
  for (const group of SECRET_GROUPS) {
    const content = data.secrets[group];
    const currentUri = current[secretField(group)];
    if (content === undefined && !currentUri) continue;
    const uri = await ensureRelationSecret(context.deps.tools, { label: secretLabel(relation, group), relationId: relation.id, content, currentUri });
    if (uri !== undefined) desired[secretField(group)] = uri;
  }
  const { allowed } = guardPrematureWrite(true, bagChanges(current, desired));
  if (Object.keys(allowed).length === 0) return;
  await context.deps.tools.relationSet({ endpoint: relation.endpoint, id: relation.id }, allowed, { app: true });
  context.deps.logger.info({ relation: describeRelation(relation), keys: Object.keys(allowed).sort() }, 'updated the client relation data');
}

async function serveRelation(context: ClientLeaderContext, relation: ClientRelation): Promise<StepReport | undefined> {
  const parsed = parseDatabaseRequest(relation, relation.remoteAppBag);
  // Nothing asked yet: nothing may be written (data_interfaces' PrematureDataAccessError rule).
  if (parsed.kind === 'none') return undefined;
  if (parsed.kind === 'invalid') return blocked(parsed.message);
  const { request } = parsed;
  const user = relationUser(relation.id);
  const bag = relation.localAppBag ?? {};
  const answered = hasCredentials(bag) && bag['database'] === request.database;
  if (!answered && !(await context.usersAdmitted())) return waiting(MESSAGES.clientUsersPending);

  // The password already handed out is kept, also when the requirer renames its database.
  const known = hasCredentials(bag) ? await publishedPassword(context, relation, request) : undefined;
  const password = known ?? generatePassword();
  const record = context.book.users[user];
  const inPlace = known !== undefined && record !== undefined && record.database === request.database && sameRoles(record.roles, request.roles);
  let version = bag['version'] || undefined;
  if (!inPlace || version === undefined) {
    const applied = await applyInPostgreSQL(context, relation, request, password);
    if (applied.kind === 'report') return applied.report;
    version = applied.version;
  }
  const data = providerData({
    request,
    remoteAppBag: relation.remoteAppBag,
    username: user,
    password,
    endpoints: clusterEndpoints(context.deps.appName, context.deps.modelName, context.peerUnits.length),
    version: version ?? '',
    tls: context.tls,
    tlsCa: await tlsCa(context),
  });
  await publish(context, relation, data);
  return undefined;
}

export const databaseEndpointKind: ClientEndpointKind = {
  name: 'postgresql_client',
  endpoints: [DATABASE_ENDPOINT],
  plannedUsers: databasePlannedUsers,
  async serve(context) {
    const reports: StepReport[] = [];
    for (const relation of relationsOf(context.snapshot, DATABASE_ENDPOINT)) {
      const report = await serveRelation(context, relation);
      if (report !== undefined) reports.push(report);
    }
    return reports;
  },
};
