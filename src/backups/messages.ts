/**
 * Backup names and messages, exactly as the reference charm shows them (canonical/postgresql-k8s-operator
 * `src/backups.py`: the block messages, `CANNOT_RESTORE_PITR`, `BACKUP_TYPE_OVERRIDES`), so runbooks and
 * tests that match on them keep working.
 */

export const S3_ENDPOINT = 's3-parameters';

export const ANOTHER_CLUSTER_REPOSITORY_ERROR_MESSAGE = 'the S3 repository has backups from another cluster';
export const FAILED_TO_ACCESS_CREATE_BUCKET_ERROR_MESSAGE = 'failed to access/create the bucket, check your S3 settings';
export const FAILED_TO_INITIALIZE_STANZA_ERROR_MESSAGE = 'failed to initialize stanza, check your S3 settings';
export const CANNOT_RESTORE_PITR = 'cannot restore PITR, juju debug-log for details';
export const FAILED_TO_RESTORE_BACKUP = 'Failed to restore backup';

const S3_BLOCK_MESSAGES = [
  ANOTHER_CLUSTER_REPOSITORY_ERROR_MESSAGE,
  FAILED_TO_ACCESS_CREATE_BUCKET_ERROR_MESSAGE,
  FAILED_TO_INITIALIZE_STANZA_ERROR_MESSAGE,
] as const;

/** A Blocked message the S3 initialisation set (a hint may follow the fixed part). */
export function isS3BlockMessage(message: string): boolean {
  return S3_BLOCK_MESSAGES.some((prefix) => message.startsWith(prefix));
}

export const STATUS = {
  initialisingStanza: 'initialising stanza',
  checkingStanza: 'checking stanza',
  creatingBackup: 'creating backup',
  restoringBackup: 'restoring backup',
} as const;

export const BACKUP_TYPES = ['full', 'differential', 'incremental'] as const;
export type BackupType = (typeof BACKUP_TYPES)[number];

/** pgBackRest's `--type` for each backup type the action accepts. */
export const BACKUP_TYPE_OVERRIDES: Readonly<Record<BackupType, string>> = { full: 'full', differential: 'diff', incremental: 'incr' };

export const PGBACKREST_LOGS_PATH = '/var/log/pgbackrest';

/**
 * The key part of pgBackRest's stderr (reference `_extract_error_message`): its `ERROR:`/`WARN:`
 * lines from the marker on, joined by "; ", else the last line; at most 120 characters. Nothing to
 * say gives undefined for a status, a pointer to the logs otherwise.
 */
export function extractErrorMessage(stderr: string | undefined, options: { forStatus?: boolean } = {}): string | undefined {
  const text = stderr?.trim() ?? '';
  if (text === '') return options.forStatus ? undefined : `Unknown error occurred. Please check the logs at ${PGBACKREST_LOGS_PATH}`;
  const lines = text.split(/\r?\n/);
  const marked = lines.filter((line) => line.includes('ERROR:') || line.includes('WARN:')).map((line) => line.replace(/^.*?(ERROR:|WARN:)/, '$1').trim());
  const result = marked.length > 0 ? marked.join('; ') : (lines[lines.length - 1] ?? '');
  return result.slice(0, 120);
}
