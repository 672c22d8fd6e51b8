/**
 * pg_hba rules for patroni.yml (reference charm: `templates/patroni.yml.j2`): the bootstrap rules
 * and the member's rules, which depend on TLS (`hostssl` instead of `host`), connectivity, LDAP and
 * the users that client relations created.
 *
 * Fixed against the reference: it pastes user, database and LDAP values into the rule bare
 * (LDAP values in double quotes without escaping), so a database name with a space, or a quote
 * in an LDAP password, breaks pg_hba.conf. Here names are quoted when they need it, quotes are
 * doubled (pg_hba's own escape), and line breaks are refused (they would inject rules).
 */
import { isIP } from 'node:net';
import { InvalidHbaValueError, InvalidPatroniSettingError } from './errors.ts';
import { qualifiedName } from './names.ts';
import { BACKUP_USER, MONITORING_USER, REPLICATION_USER } from './users.ts';

/** Databases a user may reach: the keyword `all` (superusers) or a list of names. */
export type HbaDatabases = 'all' | readonly string[];

export interface LdapHbaOptions {
  readonly baseDn: string;
  readonly bindDn: string;
  readonly bindPassword: string;
  readonly startTls: boolean;
  /** The first URL the LDAP relation offers. */
  readonly url: string;
  /** The `ldap_search_filter` config option. */
  readonly searchFilter: string;
}

/** Words pg_hba reads as keywords when bare; a database or user really called so needs quotes. */
const DATABASE_KEYWORDS: ReadonlySet<string> = new Set(['all', 'sameuser', 'samerole', 'samegroup', 'replication']);
const USER_KEYWORDS: ReadonlySet<string> = new Set(['all']);
const BARE_TOKEN = /^[A-Za-z0-9_][A-Za-z0-9_.$-]*$/;

function refuseLineBreaks(value: string, what: string): void {
  if (/[\r\n\0]/.test(value)) throw new InvalidHbaValueError(what);
}

/** Double-quoted, with `"` doubled: how pg_hba.conf spells a literal quote inside quotes. */
function quoted(value: string, what: string): string {
  refuseLineBreaks(value, what);
  return `"${value.replaceAll('"', '""')}"`;
}

function hbaToken(name: string, keywords: ReadonlySet<string>): string {
  if (BARE_TOKEN.test(name) && !keywords.has(name)) return name;
  return quoted(name, `name ${JSON.stringify(name)}`);
}

/** A user name for the user field: bare when safe, else quoted (`all`, `+x`, spaces...). */
export function hbaUser(name: string): string {
  return hbaToken(name, USER_KEYWORDS);
}

/** The database field: the `all` keyword, or names (bare when safe and not a keyword). */
export function hbaDatabases(databases: HbaDatabases): string {
  return databases === 'all' ? 'all' : databases.map((name) => hbaToken(name, DATABASE_KEYWORDS)).join(',');
}

/**
 * The LDAP options of the `+identity_access` rule, in the reference's order; strings quoted,
 * booleans as 0/1 (e.g. `ldaptls=0`).
 */
export function ldapHbaOptions(options: LdapHbaOptions): string {
  return [
    `ldapbasedn=${quoted(options.baseDn, 'ldapbasedn')}`,
    `ldapbinddn=${quoted(options.bindDn, 'ldapbinddn')}`,
    `ldapbindpasswd=${quoted(options.bindPassword, 'ldapbindpasswd')}`,
    `ldaptls=${options.startTls ? 1 : 0}`,
    `ldapurl=${quoted(options.url, 'ldapurl')}`,
    `ldapsearchfilter=${quoted(options.searchFilter, 'ldapsearchfilter')}`,
  ].join(' ');
}

/** An IP as a single-host CIDR (`/32`, or `/128` for IPv6, where the reference writes `/32`). */
export function hostCidr(ip: string): string {
  const family = isIP(ip);
  if (family === 0) throw new InvalidPatroniSettingError(`replication endpoint ${JSON.stringify(ip)} is not an IP address`);
  return `${ip}/${family === 4 ? 32 : 128}`;
}

/** A host name in the address field: no blanks, quotes or line breaks. */
function hbaHost(host: string): string {
  if (!/^[^\s"#,]+$/.test(host)) throw new InvalidHbaValueError(`host ${JSON.stringify(host)}`);
  return host;
}

function connectionType(tls: boolean): string {
  return tls ? 'hostssl' : 'host';
}

export interface BootstrapHbaInput {
  readonly tls: boolean;
  /** Async-replication standby IPs allowed to replicate from this cluster. */
  readonly extraReplicationEndpoints: readonly string[];
}

/** `bootstrap.pg_hba`: what the freshly initialised cluster accepts. */
export function bootstrapPgHba(input: BootstrapHbaInput): string[] {
  const type = connectionType(input.tls);
  return [
    `${type} all all 0.0.0.0/0 md5`,
    `${type} ${REPLICATION_USER} ${REPLICATION_USER} 127.0.0.1/32 md5`,
    ...input.extraReplicationEndpoints.map((ip) => `${type} ${REPLICATION_USER} ${REPLICATION_USER} ${hostCidr(ip)} md5`),
  ];
}

export interface MemberHbaInput extends BootstrapHbaInput {
  /**
   * False on a replica taking a backup: only this member's own address may connect, everyone
   * else is rejected.
   */
  readonly connectivity: boolean;
  /** This member's fully qualified name. */
  readonly memberFqdn: string;
  /** Peer member endpoints (`A-k.A-endpoints`), qualified with `namespace` for replication. */
  readonly endpoints: readonly string[];
  readonly namespace: string;
  /** Present when LDAP is enabled: identity_access members authenticate against LDAP. */
  readonly ldap?: LdapHbaOptions;
  /** Client-relation users and their databases, one md5 rule each, in this order. */
  readonly userDatabases: Readonly<Record<string, HbaDatabases>>;
}

/** `postgresql.pg_hba`, in the reference's order. */
export function memberPgHba(input: MemberHbaInput): string[] {
  const type = connectionType(input.tls);
  const replication = `${type} ${REPLICATION_USER} ${REPLICATION_USER}`;
  return [
    `local all ${BACKUP_USER} peer map=operator`,
    `local all ${MONITORING_USER} password`,
    ...clientRules(input, type),
    `${replication} 127.0.0.1/32 md5`,
    `${replication} 127.0.0.6/32 md5`,
    ...input.extraReplicationEndpoints.map((ip) => `${replication} ${hostCidr(ip)} md5`),
    ...input.endpoints.map((endpoint) => `${replication} ${hbaHost(qualifiedName(endpoint, input.namespace))} md5`),
  ];
}

function clientRules(input: MemberHbaInput, type: string): string[] {
  if (!input.connectivity) {
    return [`${type} all all ${hbaHost(input.memberFqdn)} md5`, `${type} all all 0.0.0.0/0 reject`];
  }
  const rules: string[] = [];
  if (input.ldap !== undefined) {
    rules.push(`${type} all +identity_access 0.0.0.0/0 ldap ${ldapHbaOptions(input.ldap)}`);
  }
  rules.push(`${type} all +internal_access 0.0.0.0/0 md5`);
  for (const [user, databases] of Object.entries(input.userDatabases)) {
    // The reference skips users that can reach no database.
    if (databases !== 'all' && databases.length === 0) continue;
    rules.push(`${type} ${hbaDatabases(databases)} ${hbaUser(user)} 0.0.0.0/0 md5`);
  }
  return rules;
}
