/**
 * What the handlers depend on, as narrow interfaces: each step and handler names the part it
 * uses (`Pick<HandlerDeps, 'pebble' | 'logger'>`), so its tests know exactly what to provide.
 * `CharmContext` (src/charm-context.ts) implements all of it for a real hook; the unit tests
 * build the same shape around in-memory doubles.
 */
import type { PostgreSQL } from '../../lib/postgresql/index.ts';
import type { S3Objects } from '../backups/s3-client.ts';
import type { S3Parameters } from '../backups/s3-parameters.ts';
import type { KubernetesObjects } from '../clients/kubernetes-objects.ts';
import type { WorkloadPebble } from '../clients/workload-pebble.ts';
import type { ParseCharmConfigResult } from '../config/index.ts';
import type { HookTools } from '../juju/hook-tools.ts';
import type { Logger } from '../logging.ts';
import type { ClusterSnapshot } from '../patroni/cluster-snapshot.ts';
import type { PatroniClient } from '../patroni/index.ts';
import type { PeerDataStore } from '../state/peer-data.ts';
import type { SecretStore } from '../state/secrets.ts';
import type { DcsConfig } from '../workload/dcs.ts';
import type { ReconcileTiming } from '../timing.ts';
import type { WorkloadFacts } from '../workload-probe/index.ts';

/** The hook tools the lifecycle handlers call. */
export type LifecycleTools = Pick<
  HookTools,
  | 'isLeader'
  | 'goalState'
  | 'statusGet'
  | 'statusSet'
  | 'applicationVersionSet'
  | 'stateGetKey'
  | 'stateSet'
  | 'openedPorts'
  | 'openPort'
  | 'closePort'
  | 'relationGet'
  | 'relationSet'
  | 'relationIds'
  | 'relationList'
  | 'relationRemoteApp'
  | 'secretInfoGet'
  | 'secretGet'
  | 'secretAdd'
  | 'secretSet'
  | 'secretGrant'
  | 'secretRemove'
  | 'networkGet'
>;

export type PeerStore = Pick<PeerDataStore, 'relation' | 'readApp' | 'readUnit' | 'peerUnits' | 'writeApp' | 'writeUnit'>;
export type PasswordSecrets = Pick<SecretStore, 'get' | 'set'>;

/** The SQL the lifecycle runs (users, groups, database set-up, config checks, extensions, client relations). */
export type LifecyclePostgreSQL = Pick<
  PostgreSQL,
  | 'listUsers'
  | 'createUser'
  | 'setUpDatabase'
  | 'listAccessGroups'
  | 'createAccessGroups'
  | 'grantInternalAccessGroupMemberships'
  | 'checkConfigAgainstDatabase'
  | 'enableDisableExtensions'
  | 'deleteUser'
  | 'createDatabase'
  | 'listAccessibleDatabasesForUser'
  | 'getPostgreSQLVersion'
  | 'terminateUserSessions'
>;

export interface HandlerDeps {
  readonly unitName: string;
  readonly appName: string;
  readonly modelName: string;
  readonly modelUuid: string;
  /** Where the charm is unpacked (JUJU_CHARM_DIR): the build's assets are under it. */
  readonly charmDir: string;
  /** The address this unit's Patroni and PostgreSQL advertise (`<app>-<k>.<app>-endpoints`). */
  readonly memberHost: string;
  readonly tools: LifecycleTools;
  readonly peers: PeerStore;
  readonly secrets: PasswordSecrets;
  readonly logger: Logger;
  readonly timing: ReconcileTiming;
  /** The charm config, validated once per hook. */
  config(): Promise<ParseCharmConfigResult>;
  /** Pebble of the `postgresql` container. */
  pebble(): Promise<WorkloadPebble>;
  /** Which PostgreSQL and commands the container has, probed once per hook. */
  workloadFacts(): Promise<WorkloadFacts>;
  /** Patroni's DCS from the pod's environment; throws DcsNotConfiguredError/InvalidDcsSettingError. */
  dcs(): DcsConfig;
  kubernetes(): Promise<KubernetesObjects>;
  /** This member's Patroni REST API (its peers for cluster reads). */
  patroni(): Promise<PatroniClient>;
  /** `/cluster` as this hook last read it (one per hook). */
  readonly cluster: ClusterSnapshot;
  /** A client for the S3 the relation names; unset builds the real one (src/backups/s3-client.ts). */
  readonly s3?: (parameters: S3Parameters) => S3Objects;
  /** PostgreSQL as `operator`, on `primaryHost` (default this member) for writes; `member` aims at one member. */
  postgresql(options?: { primaryHost?: string; member?: { host: string; port: number } }): Promise<LifecyclePostgreSQL>;
}
