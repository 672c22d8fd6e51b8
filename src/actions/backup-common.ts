/**
 * What the backup actions share (reference charm `src/backups.py`: `_are_backup_settings_ok`,
 * `_can_unit_perform_backup`): their dependencies, and the S3 settings they need.
 */
import type { S3Objects } from '../backups/s3-client.ts';
import { missingParametersMessage, NO_S3_RELATION_MESSAGE, type S3Parameters } from '../backups/s3-parameters.ts';
import { readS3Relation } from '../backups/s3-relation.ts';
import type { WorkloadPebble } from '../clients/workload-pebble.ts';
import type { KubernetesObjects } from '../clients/kubernetes-objects.ts';
import type { HookTools } from '../juju/hook-tools.ts';
import type { PatroniClient } from '../patroni/index.ts';
import type { PeerStore } from '../handlers/deps.ts';
import type { DcsConfig } from '../workload/dcs.ts';
import type { ParseCharmConfigResult } from '../config/index.ts';
import { ActionFailedError, type ActionTools, type BaseActionDeps } from './common.ts';

export interface BackupActionDeps extends BaseActionDeps {
  readonly tools: ActionTools &
    Pick<HookTools, 'statusGet' | 'statusSet' | 'goalState' | 'relationIds' | 'relationRemoteApp' | 'relationGet' | 'relationSet' | 'stateGetKey' | 'stateSet'>;
  readonly jujuVersion: string;
  readonly modelName: string;
  readonly peers: PeerStore;
  /** The charm config (list-backups shows the backup schedule and retention). */
  config?(): Promise<ParseCharmConfigResult>;
  pebble(): Promise<WorkloadPebble>;
  patroni(): Promise<PatroniClient>;
  kubernetes(): Promise<KubernetesObjects>;
  dcs(): DcsConfig;
  readonly s3?: (parameters: S3Parameters) => S3Objects;
  /** Re-render patroni.yml and the layer now (restore). */
  refreshWorkloadConfig(): Promise<void>;
  /** Run the reconcile, which sets the status again. */
  reconcile(): Promise<void>;
}

/** The relation's S3 settings, or the reference's failure when there are none. */
export async function requireS3Parameters(deps: Pick<BackupActionDeps, 'tools' | 'appName'>): Promise<S3Parameters> {
  const relation = await readS3Relation(deps.tools, { appName: deps.appName, isLeader: false });
  if (relation === undefined) throw new ActionFailedError(NO_S3_RELATION_MESSAGE);
  if (relation.read.kind !== 'ok') throw new ActionFailedError(missingParametersMessage(relation.read.missing));
  return relation.read.parameters;
}
