/**
 * Users, roles and the access groups (the reference's `PostgreSQL.create_user`,
 * `create_access_groups` and the other role helpers of `lib/charms/postgresql_k8s/v0/postgresql.py`).
 */
import { createHash } from 'node:crypto';
import type { PostgreSQLConnector, Queryable, Target } from './connection.ts';
import {
  ACCESS_GROUP_INTERNAL,
  ACCESS_GROUP_RELATION,
  ACCESS_GROUPS,
  INVALID_EXTRA_USER_ROLE_BLOCKING_MESSAGE,
  PERMISSIONS_GROUP_ADMIN,
  VALID_PRIVILEGES,
} from './constants.ts';
import {
  PostgreSQLAssignGroupError,
  PostgreSQLCreateGroupError,
  PostgreSQLCreateUserError,
  PostgreSQLDeleteUserError,
  PostgreSQLInvalidExtraUserRolesError,
  PostgreSQLListAccessibleDatabasesForUserError,
  PostgreSQLListGroupsError,
  PostgreSQLListUsersError,
  PostgreSQLQueryError,
  PostgreSQLUpdateUserPasswordError,
} from './errors.ts';
import { scramSha256Verifier } from './scram.ts';
import { firstColumn, ident, identList, literal, runUnlogged } from './sql.ts';
import { silentLogger, type LibLogger } from '../logger.ts';

/** Query the unit's own host instead of the primary. */
export type HostChoice = Pick<Target, 'currentHost'>;

/** How a client's extra-user-roles split into role grants and role attributes. */
export interface ExtraUserRoles {
  /** `admin` was requested: membership of the admin role plus CREATEDB. */
  adminRole: boolean;
  /** Existing roles to grant to the user. */
  roles: string[];
  /** Role attributes (createdb, createrole, superuser). */
  privileges: string[];
}

/** The relation field is a comma-separated, case-insensitive list. */
export function parseExtraUserRoles(text: string | undefined | null): string[] {
  if (!text) return [];
  return text
    .toLowerCase()
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

/**
 * Sort requested extra roles into grants and attributes. Anything that is neither an existing
 * role nor an allowed attribute is rejected, except `relation_access`, which is only warned
 * about (it may be requested before the group exists).
 */
export function classifyExtraUserRoles(
  requested: readonly string[],
  existingRoles: ReadonlySet<string>,
  logger: LibLogger = silentLogger,
): ExtraUserRoles {
  const adminRole = requested.includes(PERMISSIONS_GROUP_ADMIN);
  const roles = [...new Set(requested.filter((r) => existingRoles.has(r) && r !== PERMISSIONS_GROUP_ADMIN))];
  const privileges = [
    ...new Set(requested.filter((r) => !roles.includes(r) && r !== PERMISSIONS_GROUP_ADMIN)),
  ];
  let invalid = privileges.filter((p) => !VALID_PRIVILEGES.includes(p));
  if (invalid.includes(ACCESS_GROUP_RELATION)) {
    logger.warn(`Dropping ${ACCESS_GROUP_RELATION} from the requested extra user roles`);
    invalid = invalid.filter((p) => p !== ACCESS_GROUP_RELATION);
  }
  if (invalid.length > 0) {
    throw new PostgreSQLInvalidExtraUserRolesError(INVALID_EXTRA_USER_ROLE_BLOCKING_MESSAGE);
  }
  return { adminRole, roles, privileges: privileges.filter((p) => VALID_PRIVILEGES.includes(p)) };
}

export interface RoleDefinition {
  exists: boolean;
  user: string;
  password?: string;
  superuser?: boolean;
  attributes?: readonly string[];
  /**
   * For an existing role: turn off the allowed attributes not asked for (NOSUPERUSER,
   * NOCREATEDB, NOCREATEROLE), so a client that asks for fewer roles gets fewer.
   */
  resetOtherAttributes?: boolean;
}

/** Turns a password into what a statement may carry: its verifier, never the password. */
export type PasswordVerifier = (password: string) => string;

/** PostgreSQL's md5 stored form: `md5` + hex(md5(password + username)). */
export function md5Verifier(user: string, password: string): string {
  return `md5${createHash('md5').update(password + user).digest('hex')}`;
}

/**
 * The verifier the server would store itself under its `password_encryption` (the charm's
 * `instance_password_encryption`): md5 when it says so, SCRAM-SHA-256 otherwise (the default).
 */
export function verifierForEncryption(encryption: string | undefined, user: string): PasswordVerifier {
  return encryption === 'md5' ? (password) => md5Verifier(user, password) : (password) => scramSha256Verifier(password);
}

/** `md5` + 32 hex digits, or `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`. */
const STORED_FORM = /^(md5[0-9a-f]{32}|SCRAM-SHA-256\$\d+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+)$/;

/**
 * A password given already in a stored form (as pgbouncer-k8s gives its auth user an md5 hash it
 * also writes into its userlist) is kept as it is, as the server itself does: "If the presented
 * password string is already in MD5-encrypted or SCRAM-encrypted format, then it is stored as-is
 * regardless of password_encryption" (PostgreSQL docs, CREATE ROLE).
 */
export function isStoredPasswordForm(password: string): boolean {
  return STORED_FORM.test(password);
}

function storedPassword(password: string, verifier: PasswordVerifier): string {
  return isStoredPasswordForm(password) ? password : verifier(password);
}

async function serverVerifier(client: Queryable, user: string): Promise<PasswordVerifier> {
  const result = await client.query<{ value: string }>("SELECT current_setting('password_encryption') AS value");
  return verifierForEncryption(result.rows[0]?.value, user);
}

/**
 * The CREATE/ALTER ROLE statement. Only `admin` is NOLOGIN. Without a password the clause is
 * left out (the reference would set the literal password 'None'). The password clause holds a
 * verifier computed here (SCRAM-SHA-256 by default), so the password never reaches the server. Attributes are
 * validated keywords, deduplicated because PostgreSQL rejects a repeated option.
 */
export function roleDefinitionStatement(definition: RoleDefinition, verifier: PasswordVerifier = scramSha256Verifier): string {
  const parts = [definition.exists ? 'ALTER ROLE' : 'CREATE ROLE', ident(definition.user), 'WITH'];
  parts.push(definition.user === PERMISSIONS_GROUP_ADMIN ? 'NOLOGIN' : 'LOGIN');
  const attributes = new Set((definition.attributes ?? []).map((a) => a.toUpperCase()));
  if (definition.superuser) attributes.add('SUPERUSER');
  for (const attribute of attributes) {
    if (!VALID_PRIVILEGES.includes(attribute.toLowerCase())) {
      throw new PostgreSQLCreateUserError(`Unsupported role attribute ${attribute}`);
    }
    parts.push(attribute);
  }
  if (definition.exists && definition.resetOtherAttributes) {
    for (const privilege of VALID_PRIVILEGES) {
      if (!attributes.has(privilege.toUpperCase())) parts.push(`NO${privilege.toUpperCase()}`);
    }
  }
  if (definition.password !== undefined) parts.push('PASSWORD', literal(storedPassword(definition.password, verifier)));
  return parts.join(' ');
}

async function roleExists(client: Queryable, role: string): Promise<boolean> {
  const result = await client.query('SELECT TRUE FROM pg_roles WHERE rolname = $1', [role]);
  return (result.rowCount ?? 0) > 0;
}

export interface CreateUserOptions {
  password?: string;
  /** Make the user a SUPERUSER. */
  admin?: boolean;
  extraUserRoles?: readonly string[];
  /**
   * Updating a client's user to what it asks for now: attributes it no longer asks for are
   * turned off, and these roles (granted for an earlier request) are revoked.
   */
  replaceRoles?: { revoke: readonly string[] };
  logger?: LibLogger;
}

/**
 * Create the user, or update it when it exists, in one transaction that neither the server log
 * nor pg_stat_statements records; a password goes as its verifier. `admin` in
 * extraUserRoles grants the admin role and CREATEDB.
 */
export async function createUser(
  db: PostgreSQLConnector,
  user: string,
  options: CreateUserOptions = {},
): Promise<void> {
  try {
    let extra: ExtraUserRoles = { adminRole: false, roles: [], privileges: [] };
    let existing: ReadonlySet<string> = new Set();
    if ((options.extraUserRoles && options.extraUserRoles.length > 0) || options.replaceRoles !== undefined) {
      existing = (await listValidPrivilegesAndRoles(db)).roles;
      extra = classifyExtraUserRoles(options.extraUserRoles ?? [], existing, options.logger);
    }
    const grants = extra.adminRole ? [...extra.roles, PERMISSIONS_GROUP_ADMIN] : extra.roles;
    const attributes = extra.adminRole ? [...extra.privileges, 'createdb'] : extra.privileges;
    await db.run(async (client) => {
      const exists = await roleExists(client, user);
      const verifier = options.password === undefined ? undefined : await serverVerifier(client, user);
      const definition = roleDefinitionStatement({
        exists,
        user,
        password: options.password,
        superuser: options.admin,
        attributes,
        resetOtherAttributes: options.replaceRoles !== undefined && !options.admin,
      }, verifier);
      const revoked = exists ? (options.replaceRoles?.revoke ?? []).filter((role) => !grants.includes(role)) : [];
      const adminRevoked = exists && options.replaceRoles !== undefined && !extra.adminRole ? [PERMISSIONS_GROUP_ADMIN] : [];
      const revokeStatements = [...new Set([...revoked, ...adminRevoked])]
        .filter((role) => existing.has(role))
        .map((role) => `REVOKE ${ident(role)} FROM ${ident(user)}`);
      const grantStatements = grants.map((role) => `GRANT ${ident(role)} TO ${ident(user)}`);
      await runUnlogged(client, [definition, ...revokeStatements, ...grantStatements]);
    });
  } catch (cause) {
    if (cause instanceof PostgreSQLInvalidExtraUserRolesError) throw cause;
    throw new PostgreSQLCreateUserError(`Failed to create user ${user}`, { cause });
  }
}

export interface DeleteUserOptions {
  /**
   * First stop the user from logging in and end its sessions: a client whose relation is gone
   * loses its open connections too, not only new ones (DROP ROLE alone leaves them running).
   */
  terminateConnections?: boolean;
}

/**
 * Drop a login user after handing everything it owns, in every database, to the charm's user.
 * A user that does not exist is not an error.
 */
export async function deleteUser(db: PostgreSQLConnector, user: string, options: DeleteUserOptions = {}): Promise<void> {
  try {
    if (!(await listUsers(db)).includes(user)) return;
    if (options.terminateConnections) {
      await db.run(async (client) => {
        await client.query(`ALTER ROLE ${ident(user)} WITH NOLOGIN`);
        await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()', [user]);
      });
    }
    const databases = await db.run((client) =>
      firstColumn(client, 'SELECT datname FROM pg_database WHERE NOT datistemplate AND datallowconn'),
    );
    for (const database of databases) {
      await db.run(async (client) => {
        await client.query(`REASSIGN OWNED BY ${ident(user)} TO ${ident(db.user)}`);
        await client.query(`DROP OWNED BY ${ident(user)}`);
      }, { database });
    }
    await db.run((client) => client.query(`DROP ROLE ${ident(user)}`));
  } catch (cause) {
    throw new PostgreSQLDeleteUserError(`Failed to delete user ${user}`, { cause });
  }
}

/**
 * End every session of `user` on the server this reaches. A replica keeps the sessions it
 * authenticated after the primary's DROP ROLE replays, so a dropped client user's read-only
 * connections are ended member by member. Returns how many were ended.
 */
export async function terminateUserSessions(db: PostgreSQLConnector, user: string, options: HostChoice = {}): Promise<number> {
  try {
    return await db.run(async (client) => {
      const result = await client.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()',
        [user],
      );
      return result.rowCount ?? 0;
    }, options);
  } catch (cause) {
    throw new PostgreSQLQueryError(`Failed to end the sessions of ${user}`, { cause });
  }
}

/** The ALTER USER statement that sets `password`, carrying only its verifier (SCRAM-SHA-256 by default). */
export function passwordChangeStatement(user: string, password: string, verifier: PasswordVerifier = scramSha256Verifier): string {
  return `ALTER USER ${ident(user)} WITH PASSWORD ${literal(storedPassword(password, verifier))}`;
}

/**
 * Change a password, sending only its verifier, in a transaction neither the server log nor
 * pg_stat_statements records.
 */
export async function updateUserPassword(
  db: PostgreSQLConnector,
  user: string,
  password: string,
  options: Pick<Target, 'host'> = {},
): Promise<void> {
  try {
    await db.run(async (client) => {
      const statement = passwordChangeStatement(user, password, await serverVerifier(client, user));
      await runUnlogged(client, [statement]);
    }, { host: options.host });
  } catch (cause) {
    throw new PostgreSQLUpdateUserPasswordError(`Failed to update the password of ${user}`, { cause });
  }
}

/** Whether a role (login or not) exists. */
export async function userExists(
  db: PostgreSQLConnector,
  user: string,
  options: HostChoice = {},
): Promise<boolean> {
  try {
    return await db.run((client) => roleExists(client, user), options);
  } catch (cause) {
    throw new PostgreSQLListUsersError(`Failed to look up user ${user}`, { cause });
  }
}

/** Login users, or only the members of `group` when given. */
export async function listUsers(
  db: PostgreSQLConnector,
  options: HostChoice & { group?: string } = {},
): Promise<string[]> {
  try {
    return await db.run((client) =>
      options.group === undefined
        ? firstColumn(client, 'SELECT usename FROM pg_catalog.pg_user ORDER BY usename')
        : firstColumn(
            client,
            `SELECT u.usename FROM pg_catalog.pg_group AS g
               CROSS JOIN LATERAL UNNEST(g.grolist) AS member(id)
               JOIN pg_catalog.pg_user AS u ON u.usesysid = member.id
             WHERE g.groname = $1 ORDER BY u.usename`,
            [options.group],
          ),
    options);
  } catch (cause) {
    throw new PostgreSQLListUsersError('Failed to list users', { cause });
  }
}

/** Users the charm made for client relations (every naming scheme the charms have used). */
export async function listUsersFromRelation(db: PostgreSQLConnector, options: HostChoice = {}) {
  try {
    return await db.run((client) =>
      firstColumn(
        client,
        `SELECT usename FROM pg_catalog.pg_user
         WHERE usename LIKE 'relation_id_%' OR usename LIKE 'relation-%'
            OR usename LIKE 'pgbouncer_auth_relation_%' OR usename LIKE '%_user_%_%'
         ORDER BY usename`,
      ),
    options);
  } catch (cause) {
    throw new PostgreSQLListUsersError('Failed to list relation users', { cause });
  }
}

/** Groups whose name ends in `_access`. */
export async function listAccessGroups(db: PostgreSQLConnector, options: HostChoice = {}) {
  try {
    return await db.run((client) =>
      firstColumn(
        client,
        "SELECT groname FROM pg_catalog.pg_group WHERE groname LIKE '%\\_access' ORDER BY groname",
      ),
    options);
  } catch (cause) {
    throw new PostgreSQLListGroupsError('Failed to list access groups', { cause });
  }
}

/** Create the three NOLOGIN access groups that do not exist yet. */
export async function createAccessGroups(db: PostgreSQLConnector): Promise<void> {
  try {
    await db.run(async (client) => {
      for (const group of ACCESS_GROUPS) {
        if (!(await roleExists(client, group))) await client.query(`CREATE ROLE ${ident(group)} NOLOGIN`);
      }
    });
  } catch (cause) {
    throw new PostgreSQLCreateGroupError('Failed to create the access groups', { cause });
  }
}

/** Put every system user into `internal_access`. */
export async function grantInternalAccessGroupMemberships(
  db: PostgreSQLConnector,
  systemUsers: readonly string[],
): Promise<void> {
  try {
    await db.run(async (client) => {
      for (const user of systemUsers) {
        await client.query(`GRANT ${ident(ACCESS_GROUP_INTERNAL)} TO ${ident(user)}`);
      }
    });
  } catch (cause) {
    throw new PostgreSQLAssignGroupError('Failed to grant the internal access group', { cause });
  }
}

/** Put every relation user into `relation_access`. */
export async function grantRelationAccessGroupMemberships(db: PostgreSQLConnector): Promise<void> {
  try {
    const users = await listUsersFromRelation(db);
    if (users.length === 0) return;
    await db.run((client) => client.query(`GRANT ${ident(ACCESS_GROUP_RELATION)} TO ${identList(users)}`));
  } catch (cause) {
    throw new PostgreSQLAssignGroupError('Failed to grant the relation access group', { cause });
  }
}

/** The attributes a client may request, and every role that exists. */
export async function listValidPrivilegesAndRoles(
  db: PostgreSQLConnector,
): Promise<{ privileges: Set<string>; roles: Set<string> }> {
  const roles = await db.run((client) => firstColumn(client, 'SELECT rolname FROM pg_roles'));
  return { privileges: new Set(VALID_PRIVILEGES), roles: new Set(roles) };
}

/** Databases the user may connect to; `['all']` for a superuser. */
export async function listAccessibleDatabasesForUser(
  db: PostgreSQLConnector,
  user: string,
  options: HostChoice = {},
): Promise<string[]> {
  try {
    return await db.run(async (client) => {
      const superuser = await client.query(
        'SELECT TRUE FROM pg_catalog.pg_user WHERE usename = $1 AND usesuper',
        [user],
      );
      if ((superuser.rowCount ?? 0) > 0) return ['all'];
      return firstColumn(
        client,
        `SELECT datname FROM pg_catalog.pg_database
         WHERE has_database_privilege($1, datname, 'CONNECT') AND NOT datistemplate
         ORDER BY datname`,
        [user],
      );
    }, options);
  } catch (cause) {
    throw new PostgreSQLListAccessibleDatabasesForUserError(
      `Failed to list the databases ${user} can access`,
      { cause },
    );
  }
}
