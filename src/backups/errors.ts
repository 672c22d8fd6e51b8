import { CharmError } from '../errors.ts';

export type BackupErrorCode = 'pgbackrest-output-malformed' | 'pgbackrest-conf-invalid' | 's3-request-failed' | 'backup-schedule-invalid';

export class BackupError extends CharmError<BackupErrorCode> {}
