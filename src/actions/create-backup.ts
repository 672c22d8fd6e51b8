/**
 * `create-backup [type=full|differential|incremental]` (reference charm `src/backups.py`
 * `_on_create_backup_action`): checks, a metadata file in the bucket, then `pgbackrest backup`
 * on this unit, its log uploaded next to the backup. The charm's TLS relation is not built, so
 * pgBackRest cannot reach the primary from a replica: backups run on the primary
 * (`--no-backup-standby`), and a replica refuses as the reference does without TLS.
 */
import { listBackups } from '../backups/catalog.ts';
import { BACKUP_TYPE_OVERRIDES, BACKUP_TYPES, STATUS, type BackupType } from '../backups/messages.ts';
import { isExecError, pgbackrest, repositoryInfo } from '../backups/pgbackrest.ts';
import { objectKey, S3Client, type S3Objects } from '../backups/s3-client.ts';
import type { S3Parameters } from '../backups/s3-parameters.ts';
import { errorMessage } from '../errors.ts';
import type { ActionEvent } from '../juju/events.ts';
import { NO_RETRY } from '../patroni/index.ts';
import { stanzaName } from '../workload/index.ts';
import { requireS3Parameters, type BackupActionDeps } from './backup-common.ts';
import { ActionFailedError, runAction } from './common.ts';

export const BACKUP_RUNNING_MESSAGE =
  'Another backup is running on this unit (a scheduled one, or an earlier create-backup): wait until it finishes (list-backups shows it), then run create-backup again';

export function invalidBackupTypeMessage(type: string): string {
  return `Invalid backup type: ${type}. Possible values: ${BACKUP_TYPES.join(', ')}.`;
}

export function isBackupType(value: string): value is BackupType {
  return (BACKUP_TYPES as readonly string[]).includes(value);
}

/** `%Y-%m-%dT%H:%M:%SZ` of `date`. */
function utcStamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The metadata file the reference uploads before each backup (five lines). */
export function backupMetadata(input: { requested: Date; model: string; app: string; unit: string; jujuVersion: string }): string {
  return [
    `Date Backup Requested: ${utcStamp(input.requested)}`,
    `Model Name: ${input.model}`,
    `Application Name: ${input.app}`,
    `Unit Name: ${input.unit}`,
    `Juju Version: ${input.jujuVersion}`,
  ].map((line) => `${line}\n`).join('');
}

function s3Of(deps: Pick<BackupActionDeps, 's3'>, parameters: S3Parameters): S3Objects {
  return deps.s3 === undefined ? new S3Client(parameters) : deps.s3(parameters);
}

/**
 * One quick request to the bucket before pgBackRest, whose own retries take minutes to give up
 * on an S3 that is down (its io-timeout, https://pgbackrest.org/configuration.html#section-general/option-io-timeout).
 */
async function checkS3Reachable(s3: S3Objects, parameters: S3Parameters): Promise<void> {
  let status: number;
  try {
    status = await s3.headBucket();
  } catch (cause) {
    throw new ActionFailedError(`Cannot reach S3 at ${parameters.endpoint} (${errorMessage(cause)}): check that the S3 service is up and reachable from the unit, then run create-backup again`, { cause });
  }
  if (status !== 200) {
    throw new ActionFailedError(`S3 at ${parameters.endpoint} answered ${status} for bucket ${parameters.bucket}: check the bucket and the credentials (s3-integrator), then run create-backup again`);
  }
}

/** Reference `_can_unit_perform_backup`, for a charm without the TLS relation. */
async function checkUnitCanBackUp(deps: BackupActionDeps): Promise<void> {
  const status = await deps.tools.statusGet();
  if (status.status === 'blocked') throw new ActionFailedError('Unit is in a blocking state');
  let member;
  try {
    member = await (await deps.patroni()).withRetryPolicies({ read: NO_RETRY }).health();
  } catch (cause) {
    throw new ActionFailedError('Unit cannot perform backups as the database seems to be offline', { cause });
  }
  if (member.role !== 'master' && member.role !== 'primary') throw new ActionFailedError('Unit cannot perform backups as TLS is not enabled');
  if (member.state !== 'running') throw new ActionFailedError("Unit cannot perform backups as it's not in running state");
  const app = await deps.peers.readApp();
  if (app.status === 'no-peer-relation' || app.data.stanza === undefined) throw new ActionFailedError('Stanza was not initialised');
}

export async function createBackup(_event: ActionEvent, deps: BackupActionDeps): Promise<void> {
  await runAction(deps, async () => {
    const params = await deps.tools.actionGet();
    const type = typeof params['type'] === 'string' && params['type'] !== '' ? params['type'] : 'full';
    if (!isBackupType(type)) throw new ActionFailedError(invalidBackupTypeMessage(type));
    const parameters = await requireS3Parameters(deps);
    await checkUnitCanBackUp(deps);
    const pebble = await deps.pebble();
    const stanza = stanzaName(deps.modelName, deps.appName);
    const s3 = s3Of(deps, parameters);
    try {
      await checkS3Reachable(s3, parameters);
      let stanzas;
      try {
        stanzas = await repositoryInfo(pebble);
      } catch (cause) {
        throw new ActionFailedError(`Failed to list PostgreSQL backups with error: ${errorMessage(cause)}`, { cause });
      }
      if (stanzas.some((entry) => entry.backupRunning)) throw new ActionFailedError(BACKUP_RUNNING_MESSAGE);
      if (type !== 'full' && listBackups(stanzas, { showFailed: false }).length === 0) {
        throw new ActionFailedError(`Invalid backup type: ${type}. No previous full backup to reference.`);
      }
    } catch (error) {
      if (s3 instanceof S3Client) s3.close();
      throw error;
    }
    try {
      const metadata = backupMetadata({ requested: new Date(), model: deps.modelName, app: deps.appName, unit: deps.unitName, jujuVersion: deps.jujuVersion });
      try {
        await s3.putObject(objectKey(parameters, `backup/${stanza}/latest`), metadata);
      } catch (cause) {
        throw new ActionFailedError('Failed to upload metadata to provided S3', { cause });
      }
      await deps.tools.statusSet('maintenance', STATUS.creatingBackup);
      let stdout = '';
      let stderr = '';
      let failure: unknown;
      try {
        ({ stdout, stderr } = await pgbackrest(pebble, [`--stanza=${stanza}`, '--log-level-console=debug', `--type=${BACKUP_TYPE_OVERRIDES[type]}`, 'backup', '--no-backup-standby']));
      } catch (error) {
        if (!isExecError(error)) throw error;
        ({ stdout, stderr } = error);
        failure = error;
      }
      const label = /new backup label = (\d{8}-\d{6}F(?:_\d{8}-\d{6}[DI])?)/.exec(stdout)?.[1];
      const backups = listBackups(await repositoryInfo(pebble).catch(() => []), { showFailed: true });
      const entry = backups.find((backup) => backup.label === label) ?? (failure === undefined ? backups[backups.length - 1] : undefined);
      const backupId = entry?.id ?? utcStamp(new Date());
      let logUploaded = true;
      try {
        await s3.putObject(objectKey(parameters, `backup/${stanza}/${backupId}/backup.log`), `Stdout:\n${stdout}\n\nStderr:\n${stderr}\n`);
      } catch (error) {
        deps.logger.warn({ err: errorMessage(error) }, 'cannot upload the backup log');
        logUploaded = false;
      }
      if (failure !== undefined && /unable to acquire lock/.test(stderr)) throw new ActionFailedError(BACKUP_RUNNING_MESSAGE, { cause: failure });
      if (failure !== undefined) {
        throw new ActionFailedError(`Failed to backup PostgreSQL with error: ${errorMessage(failure)}: ${stderr.trim().split('\n').slice(-3).join(' ')}`, { cause: failure });
      }
      if (!logUploaded) throw new ActionFailedError('Error uploading logs to S3');
      await deps.tools.actionSet({ 'backup-status': 'backup created', 'backup-id': backupId });
    } finally {
      if (s3 instanceof S3Client) s3.close();
      await deps.reconcile().catch((error: unknown) => deps.logger.warn({ err: errorMessage(error) }, 'cannot refresh the status after the backup'));
    }
  });
}
