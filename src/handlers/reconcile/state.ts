/**
 * What the reconcile has learnt so far in this hook, handed from step to step so that each fact
 * (config, peer data, probed workload, cluster view) is read once.
 */
import type { CharmConfig } from '../../config/index.ts';
import type { KnownEvent } from '../../juju/dispatcher.ts';
import type { ClusterStatus, MemberStatus } from '../../patroni/index.ts';
import type { AppPeerData, UnitPeerData } from '../../state/peer-schemas.ts';
import type { PasswordUser } from '../../state/secrets.ts';
import type { WorkloadFacts, WorkloadResources } from '../../workload-probe/index.ts';

export type Passwords = Readonly<Partial<Record<PasswordUser, string>>>;

export interface ReconcileState {
  readonly event: KnownEvent;
  readonly isLeader: boolean;
  /** False before Juju has created the peer relation (install, early leader-elected). */
  readonly hasPeerRelation: boolean;
  app: AppPeerData;
  /** Keys of the app bag that the typed store does not know (e.g. `restore-timeline`). */
  readonly appExtra: Readonly<Record<string, string>>;
  unit: UnitPeerData;
  /** Other units of the application in the peer relation. */
  readonly peerUnits: readonly string[];
  config?: CharmConfig;
  passwords?: Passwords;
  workload?: WorkloadFacts;
  resources?: WorkloadResources;
  /** Resolved `cpu_*` worker settings, shared by patroni.yml and the dynamic config. */
  workerConfig?: Readonly<Record<string, string>>;
  /** Units Juju plans for the application (goal-state), at least 1. */
  plannedUnits?: number;
  /** patroni.yml has TLS on (key, CA and certificate are in the workload). */
  tls?: boolean;
  /** This hook pushed a new patroni.yml. */
  patroniConfigChanged?: boolean;
  /** This hook (re)started the Patroni service through a replan. */
  serviceStarted?: boolean;
  member?: MemberStatus;
  cluster?: ClusterStatus;
}

export function isInitialised(state: ReconcileState): boolean {
  return state.app.cluster_initialised === true;
}
