/**
 * What each kind of client endpoint (`database`; the legacy `db` / `db-admin`) contributes to the
 * reconcile. The reconcile calls every kind in CLIENT_ENDPOINT_KINDS (src/relations/endpoint-kinds.ts):
 * on every unit for the pg_hba rules, on the leader to serve the relations. The shared parts —
 * reading the relations, pg_hba, `user_hash`, dropping the users of relations that are gone, the
 * one-endpoint rule — are done once around them (src/handlers/reconcile/client-relations.ts).
 */
import type { CharmConfig } from '../config/index.ts';
import type { HandlerDeps, LifecyclePostgreSQL } from '../handlers/deps.ts';
import type { StepReport } from '../handlers/reconcile/outcome.ts';
import type { RelationUserRecord, RelationUsers } from '../state/relation-users.ts';
import type { HbaDatabases } from '../workload/pg-hba.ts';
import type { ClientRelationsSnapshot } from './client-relations.ts';

/** The leader's record of the users it created (peer app bag `relation-users`). */
export interface RelationUserBook {
  readonly users: RelationUsers;
  /** Record (or update) a user; written at once, so a user is recorded before it is created. */
  set(user: string, record: RelationUserRecord): Promise<void>;
  delete(user: string): Promise<void>;
}

export type ClientLeaderDeps = Pick<HandlerDeps, 'appName' | 'modelName' | 'unitName' | 'tools' | 'secrets' | 'logger'>;

export interface ClientLeaderContext {
  readonly deps: ClientLeaderDeps;
  readonly snapshot: ClientRelationsSnapshot;
  readonly config: CharmConfig;
  /** Other units of the application (peer relation). */
  readonly peerUnits: readonly string[];
  /** This unit's patroni.yml has TLS on. */
  readonly tls: boolean;
  /** PostgreSQL on the read-write primary, as `operator`. */
  readonly postgresql: LifecyclePostgreSQL;
  readonly book: RelationUserBook;
  /**
   * Whether every unit's pg_hba already admits every planned user (each peer's `user_hash`
   * equals the leader's): until then no new credentials may be handed out.
   */
  usersAdmitted(): Promise<boolean>;
}

export interface ClientEndpointKind {
  readonly name: string;
  readonly endpoints: readonly string[];
  /**
   * User → databases for the pg_hba rules, from relation data every unit can read (the same map
   * on every unit, so that its hash tells the leader which units admit which users).
   */
  plannedUsers(snapshot: ClientRelationsSnapshot): Record<string, HbaDatabases>;
  /** (Leader, primary running) Serve this kind's relations; returns the statuses to show. */
  serve(context: ClientLeaderContext): Promise<readonly StepReport[]>;
}
