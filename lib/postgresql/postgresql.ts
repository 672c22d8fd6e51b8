/**
 * The reference's `PostgreSQL` helper as one object: it holds the hosts and credentials and
 * forwards to the single-purpose modules, so callers can pass one thing around (and tests can
 * still call the functions directly).
 */
import type pg from 'pg';
import * as catalog from './catalog.ts';
import { PostgreSQLConnector, type ConnectorSettings, type Target } from './connection.ts';
import * as databases from './databases.ts';
import * as extensions from './extensions.ts';
import * as roles from './roles.ts';
import { silentLogger, type LibLogger } from '../logger.ts';

/** The connector's settings, plus who gets every privilege on the databases it creates (SYSTEM_USERS). */
export interface PostgreSQLSettings extends ConnectorSettings, Pick<databases.CreateDatabaseOptions, 'systemUsers'> {
  logger?: LibLogger;
}

export class PostgreSQL {
  readonly connector: PostgreSQLConnector;
  readonly systemUsers: readonly string[];
  private readonly logger: LibLogger;

  constructor(settings: PostgreSQLSettings) {
    this.connector = new PostgreSQLConnector(settings);
    this.systemUsers = [...(settings.systemUsers ?? [])];
    this.logger = settings.logger ?? silentLogger;
  }

  /** Run arbitrary work on a connection (for callers with needs the helpers do not cover). */
  run<T>(fn: (client: pg.Client) => Promise<T>, target?: Target): Promise<T> {
    return this.connector.run(fn, target);
  }

  // Users and groups
  createUser(user: string, options: Omit<roles.CreateUserOptions, 'logger'> = {}) {
    return roles.createUser(this.connector, user, { ...options, logger: this.logger });
  }
  deleteUser(user: string, options?: roles.DeleteUserOptions) {
    return roles.deleteUser(this.connector, user, options);
  }
  terminateUserSessions(user: string, options?: roles.HostChoice) {
    return roles.terminateUserSessions(this.connector, user, options);
  }
  updateUserPassword(user: string, password: string, options: Pick<Target, 'host'> = {}) {
    return roles.updateUserPassword(this.connector, user, password, options);
  }
  userExists(user: string, options?: roles.HostChoice) {
    return roles.userExists(this.connector, user, options);
  }
  listUsers(options?: roles.HostChoice & { group?: string }) {
    return roles.listUsers(this.connector, options);
  }
  listUsersFromRelation(options?: roles.HostChoice) {
    return roles.listUsersFromRelation(this.connector, options);
  }
  listAccessGroups(options?: roles.HostChoice) {
    return roles.listAccessGroups(this.connector, options);
  }
  createAccessGroups() {
    return roles.createAccessGroups(this.connector);
  }
  grantInternalAccessGroupMemberships() {
    return roles.grantInternalAccessGroupMemberships(this.connector, this.systemUsers);
  }
  grantRelationAccessGroupMemberships() {
    return roles.grantRelationAccessGroupMemberships(this.connector);
  }
  listValidPrivilegesAndRoles() {
    return roles.listValidPrivilegesAndRoles(this.connector);
  }
  listAccessibleDatabasesForUser(user: string, options?: roles.HostChoice) {
    return roles.listAccessibleDatabasesForUser(this.connector, user, options);
  }

  // Databases and extensions
  createDatabase(database: string, user: string, options: Omit<databases.CreateDatabaseOptions, 'systemUsers'> = {}) {
    return databases.createDatabase(this.connector, database, user, { ...options, systemUsers: this.systemUsers });
  }
  listDatabases() {
    return databases.listDatabases(this.connector);
  }
  setUpDatabase() {
    return databases.setUpDatabase(this.connector, this.systemUsers);
  }
  enableDisableExtensions(
    wanted: ReadonlyMap<string, boolean> | Readonly<Record<string, boolean>>,
    options?: { database?: string },
  ) {
    return extensions.enableDisableExtensions(this.connector, wanted, options);
  }

  // Catalog reads and checks
  getTextSearchConfigs() {
    return catalog.getTextSearchConfigs(this.connector);
  }
  getTimezones() {
    return catalog.getTimezones(this.connector);
  }
  getDefaultTableAccessMethods() {
    return catalog.getDefaultTableAccessMethods(this.connector);
  }
  validateDateStyle(dateStyle: string) {
    return catalog.validateDateStyle(this.connector, dateStyle);
  }
  validateGroupMap(groupMap: string | undefined | null) {
    return catalog.validateGroupMap(this.connector, groupMap);
  }
  checkConfigAgainstDatabase(options: catalog.DatabaseCheckedOptions) {
    return catalog.checkConfigAgainstDatabase(this.connector, options);
  }
  showParameter(name: string, target?: Target) {
    return catalog.showParameter(this.connector, name, target);
  }
  getSettings(names: readonly string[], target?: Target) {
    return catalog.getSettings(this.connector, names, target);
  }
  isRestartPending() {
    return catalog.isRestartPending(this.connector);
  }
  isTlsEnabled(options?: { currentHost?: boolean }) {
    return catalog.isTlsEnabled(this.connector, options);
  }
  getPostgreSQLVersion(options?: { currentHost?: boolean }) {
    return catalog.getPostgreSQLVersion(this.connector, options);
  }
  getLastArchivedWal() {
    return catalog.getLastArchivedWal(this.connector);
  }
  getCurrentTimeline() {
    return catalog.getCurrentTimeline(this.connector);
  }
  isUserInHba(user: string) {
    return catalog.isUserInHba(this.connector, user);
  }
}
