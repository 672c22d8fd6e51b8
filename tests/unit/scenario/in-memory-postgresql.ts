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
  failures: Partial<Record<keyof LifecyclePostgreSQL, Error>>;
  /** setUpDatabase ran. */
  databaseSetUp: boolean;
}

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
  method: keyof LifecyclePostgreSQL;
  /** The primary host the client was built for. */
  host: string;
  args: unknown[];
}

export class InMemoryPostgreSQL implements LifecyclePostgreSQL {
  constructor(
    private readonly state: DatabaseState,
    private readonly host: string,
    private readonly calls: SqlCall[],
  ) {}

  #call(method: keyof LifecyclePostgreSQL, args: unknown[]): void {
    this.calls.push({ method, host: this.host, args });
    const failure = this.state.failures[method];
    if (failure !== undefined) throw failure;
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
}
