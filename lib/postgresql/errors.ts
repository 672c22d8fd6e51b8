/**
 * One typed error per failure kind of the PostgreSQL helpers (the exceptions of the reference's
 * charm library, `charms.postgresql_k8s.v0.postgresql`, in our style). Each keeps the driver error as `cause`; none ever carries SQL text, so a
 * password in a statement cannot leak through a message.
 */
import { errorCode, LibError } from '../errors.ts';

type Options = { cause?: unknown };

export type PostgreSQLErrorCode =
  | 'postgresql-connection-failed'
  | 'postgresql-query-failed'
  | 'postgresql-assign-group-failed'
  | 'postgresql-create-database-failed'
  | 'postgresql-create-group-failed'
  | 'postgresql-databases-setup-failed'
  | 'postgresql-delete-user-failed'
  | 'postgresql-enable-disable-extension-failed'
  | 'postgresql-dependent-objects-still-exist'
  | 'postgresql-get-last-archived-wal-failed'
  | 'postgresql-get-current-timeline-failed'
  | 'postgresql-get-version-failed'
  | 'postgresql-list-accessible-databases-failed'
  | 'postgresql-list-groups-failed'
  | 'postgresql-list-users-failed'
  | 'postgresql-update-user-password-failed'
  | 'invalid-group-map'
  | 'shared-buffers-too-large'
  | 'worker-processes-over-limit'
  | 'invalid-worker-process-value'
  | 'postgresql-create-user-failed'
  | 'postgresql-invalid-extra-user-roles';

/** Could not open a connection (host down, auth failed, timeout). Callers usually retry later. */
export class PostgreSQLConnectionError extends LibError<PostgreSQLErrorCode> {
  constructor(message = 'Failed to connect to PostgreSQL', options?: Options) {
    super('postgresql-connection-failed', message, options);
  }
}

/** A read-only catalog query failed (used where the reference lets the driver error escape). */
export class PostgreSQLQueryError extends LibError<PostgreSQLErrorCode> {
  constructor(message = 'PostgreSQL query failed', options?: Options) {
    super('postgresql-query-failed', message, options);
  }
}

export class PostgreSQLAssignGroupError extends LibError<PostgreSQLErrorCode> {
  constructor(message = 'Failed to assign access group', options?: Options) {
    super('postgresql-assign-group-failed', message, options);
  }
}

export class PostgreSQLCreateDatabaseError extends LibError<PostgreSQLErrorCode> {
  constructor(message = 'Failed to create database', options?: Options) {
    super('postgresql-create-database-failed', message, options);
  }
}

export class PostgreSQLCreateGroupError extends LibError<PostgreSQLErrorCode> {
  constructor(message = 'Failed to create access group', options?: Options) {
    super('postgresql-create-group-failed', message, options);
  }
}

export class PostgreSQLCreateUserError extends LibError<PostgreSQLErrorCode> {
  constructor(message = 'Failed to create user', options?: Options & { code?: Extract<PostgreSQLErrorCode, 'postgresql-invalid-extra-user-roles'> }) {
    super(options?.code ?? 'postgresql-create-user-failed', message, options);
  }
}

/** extra-user-roles named something that is neither a role nor an allowed privilege. */
export class PostgreSQLInvalidExtraUserRolesError extends PostgreSQLCreateUserError {
  constructor(message: string, options?: Options) {
    super(message, { ...options, code: 'postgresql-invalid-extra-user-roles' });
  }
}

export class PostgreSQLDatabasesSetupError extends LibError<PostgreSQLErrorCode> {
  constructor(message = 'Failed to set up databases', options?: Options) {
    super('postgresql-databases-setup-failed', message, options);
  }
}

export class PostgreSQLDeleteUserError extends LibError<PostgreSQLErrorCode> {
  constructor(message = 'Failed to delete user', options?: Options) {
    super('postgresql-delete-user-failed', message, options);
  }
}

export class PostgreSQLEnableDisableExtensionError extends LibError<PostgreSQLErrorCode> {
  constructor(message = 'Failed to enable or disable extensions', options?: Options) {
    super('postgresql-enable-disable-extension-failed', message, options);
  }
}

/** DROP EXTENSION refused because objects use it (SQLSTATE 2BP01); the charm blocks on it. */
export class PostgreSQLDependentObjectsStillExistError extends LibError<PostgreSQLErrorCode> {
  constructor(message = 'Cannot disable extension: existing objects depend on it', options?: Options) {
    super('postgresql-dependent-objects-still-exist', message, options);
  }
}

export class PostgreSQLGetLastArchivedWALError extends LibError<PostgreSQLErrorCode> {
  constructor(message = 'Failed to read the last archived WAL', options?: Options) {
    super('postgresql-get-last-archived-wal-failed', message, options);
  }
}

export class PostgreSQLGetCurrentTimelineError extends LibError<PostgreSQLErrorCode> {
  constructor(message = 'Failed to read the current timeline', options?: Options) {
    super('postgresql-get-current-timeline-failed', message, options);
  }
}

export class PostgreSQLGetPostgreSQLVersionError extends LibError<PostgreSQLErrorCode> {
  constructor(message = 'Failed to read the PostgreSQL version', options?: Options) {
    super('postgresql-get-version-failed', message, options);
  }
}

export class PostgreSQLListAccessibleDatabasesForUserError extends LibError<PostgreSQLErrorCode> {
  constructor(message = 'Failed to list the databases a user can access', options?: Options) {
    super('postgresql-list-accessible-databases-failed', message, options);
  }
}

export class PostgreSQLListGroupsError extends LibError<PostgreSQLErrorCode> {
  constructor(message = 'Failed to list groups', options?: Options) {
    super('postgresql-list-groups-failed', message, options);
  }
}

export class PostgreSQLListUsersError extends LibError<PostgreSQLErrorCode> {
  constructor(message = 'Failed to list users', options?: Options) {
    super('postgresql-list-users-failed', message, options);
  }
}

export class PostgreSQLUpdateUserPasswordError extends LibError<PostgreSQLErrorCode> {
  constructor(message = 'Failed to update user password', options?: Options) {
    super('postgresql-update-user-password-failed', message, options);
  }
}

/** The ldap_map option is not a comma-separated list of `ldap=pg` pairs. */
export class InvalidGroupMapError extends LibError<PostgreSQLErrorCode> {
  constructor(message = 'The group-map must contain value pairs split by commas', options?: Options) {
    super('invalid-group-map', message, options);
  }
}

/** True when `error`, or anything in its cause chain, is a failure to connect. */
export function isConnectionFailure(error: unknown): boolean {
  for (let current = error, depth = 0; current !== undefined && depth < 10; depth++) {
    if (current instanceof PostgreSQLConnectionError) return true;
    current = current instanceof Error ? current.cause : undefined;
  }
  return false;
}

/** The SQLSTATE of a driver error (pg's DatabaseError carries it as `code`), if any. */
export function sqlState(error: unknown): string | undefined {
  const code = errorCode(error);
  return code !== undefined && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** memory_shared_buffers asks for more than 40 % of the memory PostgreSQL may use. */
export class SharedBuffersTooLargeError extends LibError<PostgreSQLErrorCode> {
  /** The config option at fault. */
  readonly option = 'memory_shared_buffers';

  constructor(maxMegabytes: number) {
    super(
      'shared-buffers-too-large',
      `Shared buffers config option should be at most 40% of the available memory, which is ${maxMegabytes}MB`,
    );
  }
}

/** A cpu_* worker option is above 10 × vCPU. */
export class WorkerProcessLimitError extends LibError<PostgreSQLErrorCode> {
  constructor(
    readonly option: string,
    readonly value: number,
    readonly cap: number,
  ) {
    super(
      'worker-processes-over-limit',
      `${option} value ${value} exceeds maximum allowed of ${cap} (10 * vCores). Please set a value <= ${cap}.`,
    );
  }
}

/** A cpu_* worker option is neither "auto" nor an integer ≥ 2. */
export class InvalidWorkerProcessValueError extends LibError<PostgreSQLErrorCode> {
  constructor(
    readonly option: string,
    value: unknown,
  ) {
    super('invalid-worker-process-value', `${option} must be "auto" or an integer >= 2, not ${String(value)}`);
  }
}
