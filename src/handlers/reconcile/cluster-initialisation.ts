/**
 * (Leader, once) When the first member is up as primary, create what the charm needs in
 * it — the `backup` superuser (with its stored password, unlike the reference) and the
 * `monitoring` user (pg_monitor), the admin role and database privileges, the access groups and
 * the system users' membership — then record `cluster_initialised`. Every part is idempotent, so
 * an interrupted initialisation is simply run again by the next hook.
 */
import { ACCESS_GROUPS } from '../../../lib/postgresql/index.ts';
import { isStarted, type ClusterStatus } from '../../patroni/index.ts';
import { BACKUP_USER, MONITORING_USER } from '../../workload/index.ts';
import type { HandlerDeps } from '../deps.ts';
import { isInitialised, type Passwords } from './facts.ts';
import { MESSAGES, waiting } from './outcome.ts';
import { halt, next, step } from './pipeline.ts';

export interface UserToCreate {
  readonly user: string;
  readonly password: string | undefined;
  /** SUPERUSER. */
  readonly admin: boolean;
  readonly extraUserRoles: readonly string[];
}

/** The charm-made users missing from `existingUsers` (Patroni makes operator, replication, rewind). */
export function systemUsersToCreate(existingUsers: readonly string[], passwords: Passwords): UserToCreate[] {
  const existing = new Set(existingUsers);
  const wanted: UserToCreate[] = [
    { user: BACKUP_USER, password: passwords.backup, admin: true, extraUserRoles: [] },
    { user: MONITORING_USER, password: passwords.monitoring, admin: false, extraUserRoles: ['pg_monitor'] },
  ];
  return wanted.filter((entry) => !existing.has(entry.user));
}

/** True when the access groups are exactly the charm's three. */
export function hasAllAccessGroups(groups: readonly string[]): boolean {
  return groups.length === ACCESS_GROUPS.length && ACCESS_GROUPS.every((group) => groups.includes(group));
}

/** The read-write primary's advertised host, when one runs. */
export function runningPrimaryHost(cluster: ClusterStatus): string | undefined {
  return cluster.members.find((member) => member.role === 'leader' && isStarted(member.state))?.host;
}

export const clusterInitialisationStep = step({
  name: 'initialise',
  retryMessage: MESSAGES.primaryNotReady,
  requires: ['isLeader', 'hasPeerRelation', 'app', 'passwords', 'member'],
  provides: ['app'],
  async run(deps: Pick<HandlerDeps, 'cluster' | 'postgresql' | 'peers' | 'logger'>, { isLeader, hasPeerRelation, app, passwords }) {
    if (!isLeader || isInitialised({ app }) || !hasPeerRelation) return next({ app });
    const primaryHost = runningPrimaryHost(await deps.cluster.read('self'));
    if (primaryHost === undefined) return halt(waiting(MESSAGES.primaryNotReady));

    const postgresql = await deps.postgresql({ primaryHost });
    for (const entry of systemUsersToCreate(await postgresql.listUsers(), passwords)) {
      await postgresql.createUser(entry.user, {
        ...(entry.password === undefined ? {} : { password: entry.password }),
        admin: entry.admin,
        extraUserRoles: entry.extraUserRoles,
      });
      deps.logger.info({ user: entry.user }, 'created system user');
    }
    await postgresql.setUpDatabase();
    if (!hasAllAccessGroups(await postgresql.listAccessGroups())) {
      await postgresql.createAccessGroups();
      await postgresql.grantInternalAccessGroupMemberships();
    }
    await deps.peers.writeApp({ cluster_initialised: true });
    deps.logger.info({ primary: primaryHost }, 'cluster initialised');
    return next({ app: { ...app, cluster_initialised: true } });
  },
});
