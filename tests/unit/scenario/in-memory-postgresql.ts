import {
  classifyExtraUserRoles,
  PostgreSQLCreateDatabaseError,
} from '../../../lib/postgresql/index.ts';
import type { LifecyclePostgreSQL } from '../../../src/handlers/deps.ts';

/**
 * PostgreSQL as the lifecycle sees it, as plain state (the unit tier's double): which roles and
 * access groups exist, which extensions are on, what the catalog checks answer. Every call is
 * recorded with the host it was aimed at; a scripted error makes one method throw. The SQL
 * itself is tested against a real PostgreSQL in tests/component/lib.
 */
export interface DatabaseState {
  users: string[];
  accessGroups: string[];
  extensions: Record<string, boolean>;
  /** What checkConfigAgainstDatabase reports (the reference charm's messages). */
  configProblems: string[];
  /** Method name → error to throw instead of answering. */
  failures: Partial<Record<SqlMethod, Error>>;
  /** setUpDatabase ran. */
  databaseSetUp: boolean;
  /** Passwords set by updateUserPassword (set-password), by user; once operator's is here, logins must use it. */
  passwords?: Record<string, string>;
  /** What `pg_current_wal_lsn()` answers (default `0/3000060`). */
  walLsn?: string;
  /** Client databases created (createDatabase). */
  databases?: string[];
  /** User → the databases it was granted (createDatabase). */
  grants?: Record<string, string[]>;
  /** User → the extra roles it was created or last updated with (createUser). */
  roles?: Record<string, string[]>;
  /** Users whose sessions were terminated before they were dropped (deleteUser). */
  terminated?: string[];
  /** What `SELECT version()` gives as its second word (default `16.4`). */
  version?: string;
}

/** What the double records: the lifecycle's methods, set-password's, and raw `query` through `run`. */
export type SqlMethod = keyof LifecyclePostgreSQL | 'updateUserPassword' | 'query';

/** The WAL position the double reports by default, and as a byte offset (what replicas must reach). */
export const DEFAULT_WAL_LSN = '0/3000060';
export const DEFAULT_WAL_POSITION = 0x3000060;

export function emptyDatabase(overrides: Partial<DatabaseState> = {}): DatabaseState {
  return {
    users: ['operator', 'replication', 'rewind'],
    accessGroups: [],
    extensions: {},
    configProblems: [],
    failures: {},
    databaseSetUp: false,
    ...overrides,
  };
}

export interface SqlCall {
  method: SqlMethod;
  /** The primary host the client was built for. */
  host: string;
  args: unknown[];
}

export class InMemoryPostgreSQL implements LifecyclePostgreSQL {
  constructor(
    private readonly state: DatabaseState,
    private readonly host: string,
    private readonly calls: SqlCall[],
    /** The password the client logs in with; checked once the double knows operator's (`passwords`). */
    private readonly loginPassword?: string,
  ) {}

  #call(method: SqlMethod, args: unknown[]): void {
    this.calls.push({ method, host: this.host, args });
    const failure = this.state.failures[method];
    if (failure !== undefined) throw failure;
    const operatorPassword = this.state.passwords?.['operator'];
    if (operatorPassword !== undefined && this.loginPassword !== undefined && this.loginPassword !== operatorPassword) {
      throw new Error('password authentication failed for user "operator"');
    }
  }

  async listUsers(): Promise<string[]> {
    this.#call('listUsers', []);
    return [...this.state.users];
  }

  async createUser(user: string, options: Parameters<LifecyclePostgreSQL['createUser']>[1] = {}): Promise<void> {
    // The password never enters the record: tests assert that it was given, not what it is.
    this.#call('createUser', [user, { ...options, password: options.password === undefined ? undefined : '<given>' }]);
    const extra = options.extraUserRoles ?? [];
    if (extra.length > 0) {
      // The library's own check, against the roles this double knows.
      const existing = new Set([...this.state.users, ...this.state.accessGroups, 'admin', 'pg_monitor', 'pg_read_all_data']);
      classifyExtraUserRoles(extra, existing);
    }
    if (!this.state.users.includes(user)) this.state.users.push(user);
    if (options.password !== undefined) this.state.passwords = { ...this.state.passwords, [user]: options.password };
    this.state.roles = { ...this.state.roles, [user]: [...extra] };
  }

  async deleteUser(user: string, options: Parameters<LifecyclePostgreSQL['deleteUser']>[1] = {}): Promise<void> {
    this.#call('deleteUser', [user, options]);
    if (!this.state.users.includes(user)) return;
    if (options.terminateConnections) this.state.terminated = [...(this.state.terminated ?? []), user];
    this.state.users = this.state.users.filter((name) => name !== user);
    if (this.state.grants !== undefined) delete this.state.grants[user];
    if (this.state.roles !== undefined) delete this.state.roles[user];
  }

  async createDatabase(database: string, user: string, options: Parameters<LifecyclePostgreSQL['createDatabase']>[2] = {}): Promise<void> {
    this.#call('createDatabase', [database, user, options]);
    if (!this.state.users.includes(user)) throw new PostgreSQLCreateDatabaseError(`Failed to create database ${database}`, { cause: new Error(`role "${user}" does not exist`) });
    if (!(this.state.databases ?? []).includes(database)) this.state.databases = [...(this.state.databases ?? []), database];
    const granted = this.state.grants?.[user] ?? [];
    if (!granted.includes(database)) this.state.grants = { ...this.state.grants, [user]: [...granted, database] };
  }

  async listAccessibleDatabasesForUser(user: string): Promise<string[]> {
    this.#call('listAccessibleDatabasesForUser', [user]);
    if ((this.state.roles?.[user] ?? []).includes('superuser')) return ['all'];
    return [...(this.state.grants?.[user] ?? [])];
  }

  /** Ends the user's sessions on the member this client was aimed at (recorded with its host). */
  async terminateUserSessions(user: string): Promise<number> {
    this.#call('terminateUserSessions', [user]);
    return 0;
  }

  async getPostgreSQLVersion(): Promise<string> {
    this.#call('getPostgreSQLVersion', []);
    return this.state.version ?? '16.4';
  }

  async setUpDatabase(): Promise<void> {
    this.#call('setUpDatabase', []);
    this.state.databaseSetUp = true;
  }

  async listAccessGroups(): Promise<string[]> {
    this.#call('listAccessGroups', []);
    return [...this.state.accessGroups];
  }

  async createAccessGroups(): Promise<void> {
    this.#call('createAccessGroups', []);
    this.state.accessGroups = ['identity_access', 'internal_access', 'relation_access'];
  }

  async grantInternalAccessGroupMemberships(): Promise<void> {
    this.#call('grantInternalAccessGroupMemberships', []);
  }

  async checkConfigAgainstDatabase(options: Parameters<LifecyclePostgreSQL['checkConfigAgainstDatabase']>[0]): Promise<string[]> {
    this.#call('checkConfigAgainstDatabase', [options]);
    return [...this.state.configProblems];
  }

  async enableDisableExtensions(wanted: ReadonlyMap<string, boolean> | Readonly<Record<string, boolean>>): Promise<void> {
    const entries = wanted instanceof Map ? [...wanted] : Object.entries(wanted);
    this.#call('enableDisableExtensions', [Object.fromEntries(entries)]);
    for (const [name, on] of entries) this.state.extensions[name] = on;
  }

  /** set-password's change on the member the client was aimed at; the call record says only that a password was given. */
  async updateUserPassword(user: string, password: string): Promise<void> {
    this.#call('updateUserPassword', [user, '<given>']);
    if (!this.state.users.includes(user)) throw new Error(`role "${user}" does not exist`);
    this.state.passwords = { ...this.state.passwords, [user]: password };
  }

  /**
   * Raw SQL through lib/postgresql's `run`: a connection that answers the statements the charm
   * sends this way (set-password's WAL position) and refuses any other, so a changed statement
   * fails the test instead of passing unseen.
   */
  async run<T>(fn: (connection: { query(text: string): Promise<{ rows: Array<Record<string, unknown>> }> }) => Promise<T>): Promise<T> {
    return fn({
      query: async (text: string) => {
        this.#call('query', [text]);
        if (text === 'SELECT pg_current_wal_lsn()::text AS lsn') return { rows: [{ lsn: this.state.walLsn ?? DEFAULT_WAL_LSN }] };
        throw new Error(`the in-memory PostgreSQL does not answer ${JSON.stringify(text)}`);
      },
    });
  }
}
