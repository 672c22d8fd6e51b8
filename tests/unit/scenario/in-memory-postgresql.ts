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
    if (!this.state.users.includes(user)) this.state.users.push(user);
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
