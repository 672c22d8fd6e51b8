/**
 * The `ldap_map` option: LDAP group → PostgreSQL group pairs (the reference's
 * `PostgreSQL.build_postgresql_group_map`). Pure.
 */
import { ACCESS_GROUPS, PERMISSIONS_GROUP_ADMIN } from './constants.ts';
import { InvalidGroupMapError } from './errors.ts';
import { silentLogger, type LibLogger } from '../logger.ts';

export type GroupMapping = readonly [ldapGroup: string, postgresqlGroup: string];

/**
 * Parse `ldap1=pg1,ldap2=pg2`. Pairs that would map onto the charm's own groups (the access
 * groups or `admin`) are dropped with a warning; a part that is not exactly one `=` pair throws.
 */
export function buildPostgresqlGroupMap(
  groupMap: string | undefined | null,
  logger: LibLogger = silentLogger,
): GroupMapping[] {
  if (groupMap === undefined || groupMap === null) return [];
  const mappings: GroupMapping[] = [];
  for (const part of groupMap.split(',')) {
    const pair = part.trim().split('=');
    if (pair.length !== 2) throw new InvalidGroupMapError();
    const [ldapGroup, postgresqlGroup] = pair as [string, string];
    if (ACCESS_GROUPS.includes(postgresqlGroup) || postgresqlGroup === PERMISSIONS_GROUP_ADMIN) {
      logger.warn(`Tried to assign LDAP users to forbidden group: ${postgresqlGroup}`);
      continue;
    }
    mappings.push([ldapGroup, postgresqlGroup]);
  }
  return mappings;
}
