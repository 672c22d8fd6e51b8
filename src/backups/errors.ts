import { CharmError } from '../errors.ts';

export type BackupErrorCode = 'pgbackrest-output-malformed' | 'pgbackrest-conf-invalid' | 's3-request-failed';

export class BackupError extends CharmError<BackupErrorCode> {}
