/**
 * The legacy relations (`db`, `db-admin`) of one hook, decided from relation data and config, so
 * every unit reaches the same answer: which relations are served, which are blocked and with what
 * status, which wait for a database name; and which users pg_hba must admit.
 */
import type { HbaDatabases } from '../../workload/pg-hba.ts';
import { relationUser, type ClientRelation, type ClientRelationsSnapshot } from '../client-relations.ts';
import { databaseNameProblem } from '../database-name.ts';
import { decideLegacyRelation, LEGACY_ENDPOINTS, legacyRequest, type LegacyDecision, type LegacyEndpoint } from './request.ts';

export interface LegacyRelationPlan {
  readonly relation: ClientRelation;
  readonly endpoint: LegacyEndpoint;
  readonly user: string;
  /** `db-admin` users are SUPERUSER (the reference's `admin` flag of `create_user`). */
  readonly superuser: boolean;
  readonly decision: LegacyDecision;
}

export function isLegacyEndpoint(endpoint: string): endpoint is LegacyEndpoint {
  return (LEGACY_ENDPOINTS as readonly string[]).includes(endpoint);
}

/** Every `db`/`db-admin` relation of the snapshot with what to do about it, in relation-id order. */
export function planLegacyRelations(snapshot: ClientRelationsSnapshot, config: Readonly<Record<string, unknown>>): LegacyRelationPlan[] {
  const plans: LegacyRelationPlan[] = [];
  for (const relation of snapshot.relations) {
    const endpoint = relation.endpoint;
    if (!isLegacyEndpoint(endpoint)) continue;
    const request = legacyRequest({ app: relation.remoteAppBag, units: relation.remoteUnitBags });
    plans.push({
      relation,
      endpoint,
      user: relationUser(relation.id),
      superuser: endpoint === 'db-admin',
      decision: decideLegacyRelation(relation, request, config),
    });
  }
  return plans;
}

/**
 * The users pg_hba must admit for the legacy relations, from relation data alone (the same map on
 * every unit, whatever its config says right now): every relation that names a valid database and
 * asks for no roles. A `db` user reaches its database; a `db-admin` user (SUPERUSER) every
 * database, as a superuser can. A relation blocked on a disabled extension is planned too: its
 * rule admits a user that does not exist until the extension is enabled, which is harmless.
 */
export function legacyPlannedUsers(snapshot: ClientRelationsSnapshot): Record<string, HbaDatabases> {
  const users: Record<string, HbaDatabases> = {};
  for (const relation of snapshot.relations) {
    if (!isLegacyEndpoint(relation.endpoint)) continue;
    const request = legacyRequest({ app: relation.remoteAppBag, units: relation.remoteUnitBags });
    if (request.rolesRequested || request.database === undefined || databaseNameProblem(request.database) !== undefined) continue;
    users[relationUser(relation.id)] = relation.endpoint === 'db-admin' ? 'all' : [request.database];
  }
  return users;
}

/**
 * The status the legacy relations ask for: the first blocked relation's message, or none. It is
 * recomputed every hook, so it clears by itself once no relation still asks for a disabled
 * extension, for roles or for a bad name (the reference cleared its extension message only on
 * relation-broken).
 */
export function legacyBlockedMessage(plans: readonly LegacyRelationPlan[]): string | undefined {
  for (const plan of plans) if (plan.decision.kind === 'blocked') return plan.decision.message;
  return undefined;
}
