/**
 * What the reconcile knows in one hook, by name. The `BASE_FACTS` are read before any step runs;
 * every other fact is provided by exactly one step and may be required by later ones. A step
 * declares which facts it requires and which it provides, so the pipeline (pipeline.ts) rejects
 * a step placed before the step that provides its inputs, at compile time and again at run time.
 */
import type { CharmConfig } from '../../config/index.ts';
import type { KnownEvent } from '../../juju/dispatcher.ts';
import type { MemberStatus } from '../../patroni/index.ts';
import type { AppPeerData, UnitPeerData } from '../../state/peer-schemas.ts';
import type { PasswordUser } from '../../state/secrets.ts';
import type { ClientRelationsSnapshot } from '../../relations/client-relations.ts';
import type { HbaDatabases } from '../../workload/pg-hba.ts';
import type { WorkloadFacts, WorkloadResources } from '../../workload-probe/index.ts';

export type Passwords = Readonly<Partial<Record<PasswordUser, string>>>;

/** What this hook rendered into patroni.yml, and what the later steps take from that. */
export interface RenderedConfig {
  /** Resolved `cpu_*` worker settings, shared by patroni.yml and the dynamic config. */
  readonly workerConfig: Readonly<Record<string, string>>;
  /** Units Juju plans for the application (goal-state), at least 1. */
  readonly plannedUnits: number;
  /** patroni.yml has TLS on (key, CA and certificate are in the workload). */
  readonly tls: boolean;
  /** This hook pushed a new patroni.yml (a running Patroni must re-read it). */
  readonly changed: boolean;
}

/** The client relations as this hook read them, and the users they give pg_hba rules. */
export interface ClientRelationFacts {
  readonly snapshot: ClientRelationsSnapshot;
  /** User → databases from relation data alone: the same on every unit (its hash is `user_hash`). */
  readonly plannedUsers: Readonly<Record<string, HbaDatabases>>;
  /** This unit's peer-bag `user_hash` once its pg_hba admits `plannedUsers`. */
  readonly plannedHash: string;
  /** Every client user pg_hba admits here: the planned ones and those found in PostgreSQL. */
  readonly userDatabases: Readonly<Record<string, HbaDatabases>>;
}

export interface ReconcileFacts {
  readonly event: KnownEvent;
  readonly isLeader: boolean;
  /** False before Juju has created the peer relation (install, early leader-elected). */
  readonly hasPeerRelation: boolean;
  /** The peer app bag; steps that write it provide the updated bag. */
  readonly app: AppPeerData;
  /** Keys of the app bag that the typed store does not know (e.g. `restore-timeline`). */
  readonly appExtra: Readonly<Record<string, string>>;
  /** This unit's peer bag; steps that write it provide the updated bag. */
  readonly unit: UnitPeerData;
  /** Other units of the application in the peer relation. */
  readonly peerUnits: readonly string[];
  /**
   * This unit is going away (pgdata-storage-detaching) and renders patroni.yml with `nosync`, so
   * the primary picks another synchronous standby before it goes.
   */
  readonly leavingSyncSet: boolean;

  readonly config: CharmConfig;
  readonly passwords: Passwords;
  readonly workload: WorkloadFacts;
  readonly resources: WorkloadResources;
  readonly rendered: RenderedConfig;
  /** Whether this hook (re)started the Patroni service through a replan, or switched its API to or from https. */
  readonly serviceStarted: boolean;
  /** The tls step reloaded a running Patroni for new TLS files: its API re-binds for a moment. */
  readonly tlsReloaded: boolean;
  /** This member's Patroni status, once it runs. */
  readonly member: MemberStatus;
  readonly clients: ClientRelationFacts;
}

export type FactName = keyof ReconcileFacts;

export const BASE_FACTS = ['event', 'isLeader', 'hasPeerRelation', 'app', 'appExtra', 'unit', 'peerUnits', 'leavingSyncSet'] as const;
export type BaseFactName = (typeof BASE_FACTS)[number];
export type BaseFacts = Pick<ReconcileFacts, BaseFactName>;

export function isInitialised(facts: Pick<ReconcileFacts, 'app'>): boolean {
  return facts.app.cluster_initialised === true;
}
