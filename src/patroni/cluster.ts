import type { ClusterMember, ClusterStatus } from './schemas.ts';

/*
 * Pure answers derived from one `/cluster` document (the reference charm's `src/patroni.py`:
 * `get_primary`, `are_all_members_ready`, …; see docs/patroni-rest-api.md). Callers fetch once and ask
 * several questions of the same snapshot instead of hitting the REST API per question.
 */

/** Member states in which PostgreSQL is up. Patroni 3.0.2 reports replicas as `running`, newer ones as `streaming`. */
export const STARTED_STATES: readonly string[] = ['running', 'streaming'];
/** Started, or on its way there (counted as a running member). */
export const RUNNING_STATES: readonly string[] = [...STARTED_STATES, 'starting'];

export function isStarted(state: string): boolean {
  return STARTED_STATES.includes(state);
}

export function isRunning(state: string): boolean {
  return RUNNING_STATES.includes(state);
}

/** `/patroni` says `master` in 3.0.2 and `primary` later; both mean a read-write leader. */
export function isPrimaryRole(role: string): boolean {
  return role === 'master' || role === 'primary' || role === 'leader';
}

/** Patroni member names are pod names: `postgresql-k8s-0` → unit `postgresql-k8s/0`. */
export function memberNameToUnitName(memberName: string): string {
  const dash = memberName.lastIndexOf('-');
  if (dash <= 0 || dash === memberName.length - 1) return memberName;
  return `${memberName.slice(0, dash)}/${memberName.slice(dash + 1)}`;
}

/** Unit `postgresql-k8s/0` → Patroni member (pod) name `postgresql-k8s-0`. */
export function unitNameToMemberName(unitName: string): string {
  return unitName.replace('/', '-');
}

export function memberNames(cluster: ClusterStatus): string[] {
  return cluster.members.map((member) => member.name);
}

export function findMember(cluster: ClusterStatus, name: string): ClusterMember | undefined {
  return cluster.members.find((member) => member.name === name);
}

/** The read-write leader's member name, if the cluster has one right now. */
export function primaryOf(cluster: ClusterStatus): string | undefined {
  return cluster.members.find((member) => member.role === 'leader')?.name;
}

/** The standby cluster's leader (async replication); with `startedOnly`, only when PostgreSQL is up. */
export function standbyLeaderOf(cluster: ClusterStatus, options: { startedOnly?: boolean } = {}): string | undefined {
  return cluster.members.find(
    (member) => member.role === 'standby_leader' && (!options.startedOnly || isStarted(member.state)),
  )?.name;
}

export function syncStandbysOf(cluster: ClusterStatus): string[] {
  return cluster.members.filter((member) => member.role === 'sync_standby').map((member) => member.name);
}

/** Names of members whose PostgreSQL is running or starting. */
export function runningMembers(cluster: ClusterStatus): string[] {
  return cluster.members.filter((member) => isRunning(member.state)).map((member) => member.name);
}

/** Every member started and someone leads (leader, or standby leader in a standby cluster). */
export function allMembersReady(cluster: ClusterStatus): boolean {
  return (
    cluster.members.every((member) => isStarted(member.state)) &&
    cluster.members.some((member) => member.role === 'leader' || member.role === 'standby_leader')
  );
}

/** The backup code tags the member running pgBackRest with `is_creating_backup`. */
export function isCreatingBackup(cluster: ClusterStatus): boolean {
  return cluster.members.some((member) => Boolean(member.tags?.['is_creating_backup']));
}
