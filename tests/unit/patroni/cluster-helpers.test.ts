import { describe, expect, it } from 'vitest';
import {
  allMembersReady,
  clusterStatusSchema,
  isCreatingBackup,
  isPrimaryRole,
  memberNameToUnitName,
  primaryOf,
  runningMembers,
  standbyLeaderOf,
  syncStandbysOf,
  unitNameToMemberName,
  type ClusterStatus,
} from '../../../src/patroni/index.ts';

function member(name: string, role: string, state: string, extra: Record<string, unknown> = {}) {
  return { name, role, state, api_url: `http://${name}:8008/patroni`, host: name, port: 5432, timeline: 2, ...extra };
}

function cluster(...members: ReturnType<typeof member>[]): ClusterStatus {
  return clusterStatusSchema.parse({ members });
}

describe('cluster helpers over a /cluster answer', () => {
  // Patroni 3.0.2 vocabulary: replicas are `running`.
  const v302 = cluster(
    member('postgresql-k8s-0', 'leader', 'running'),
    member('postgresql-k8s-1', 'sync_standby', 'running', { lag: 0 }),
    member('postgresql-k8s-2', 'replica', 'running', { lag: 'unknown' }),
  );
  // Newer Patroni: replicas are `streaming`, and extra keys appear.
  const newer = clusterStatusSchema.parse({
    scope: 'postgresql-k8s',
    members: [
      member('pg-0', 'leader', 'running'),
      member('pg-1', 'sync_standby', 'streaming', { lag: 0, receive_lag: 0, replay_lag: 0 }),
      member('pg-2', 'replica', 'starting'),
    ],
  });

  it('finds the primary and sync standbys', () => {
    expect(primaryOf(v302)).toBe('postgresql-k8s-0');
    expect(syncStandbysOf(v302)).toEqual(['postgresql-k8s-1']);
    expect(syncStandbysOf(newer)).toEqual(['pg-1']);
    expect(primaryOf(cluster(member('a-0', 'replica', 'running')))).toBeUndefined();
  });

  it('counts running and starting members as running, others not', () => {
    const mixed = cluster(
      member('a-0', 'leader', 'running'),
      member('a-1', 'replica', 'streaming'),
      member('a-2', 'replica', 'starting'),
      member('a-3', 'replica', 'stopped'),
      member('a-4', 'replica', 'creating replica'),
    );
    expect(runningMembers(mixed)).toEqual(['a-0', 'a-1', 'a-2']);
  });

  it('calls a cluster ready only when every member started and someone leads', () => {
    expect(allMembersReady(v302)).toBe(true);
    expect(allMembersReady(newer)).toBe(false); // pg-2 is only starting
    expect(allMembersReady(cluster(member('a-0', 'replica', 'running'), member('a-1', 'replica', 'streaming')))).toBe(false);
    expect(allMembersReady(cluster(member('a-0', 'standby_leader', 'streaming')))).toBe(true);
    expect(allMembersReady(cluster())).toBe(false);
  });

  it('finds a standby leader, optionally only a started one', () => {
    const standby = cluster(member('b-0', 'standby_leader', 'starting'), member('b-1', 'replica', 'running'));
    expect(standbyLeaderOf(standby)).toBe('b-0');
    expect(standbyLeaderOf(standby, { startedOnly: true })).toBeUndefined();
    expect(standbyLeaderOf(v302)).toBeUndefined();
  });

  it('detects a member tagged as creating a backup', () => {
    expect(isCreatingBackup(v302)).toBe(false);
    const tagged = cluster(member('a-0', 'leader', 'running'), member('a-1', 'replica', 'running', { tags: { is_creating_backup: true } }));
    expect(isCreatingBackup(tagged)).toBe(true);
    const untagged = cluster(member('a-0', 'leader', 'running', { tags: { is_creating_backup: false, nofailover: true } }));
    expect(isCreatingBackup(untagged)).toBe(false);
  });

  it('accepts master and primary as the leader role of /patroni', () => {
    expect(isPrimaryRole('master')).toBe(true);
    expect(isPrimaryRole('primary')).toBe(true);
    expect(isPrimaryRole('replica')).toBe(false);
    expect(isPrimaryRole('standby_leader')).toBe(false);
  });
});

describe('member name ↔ unit name', () => {
  it('converts at the last dash / the slash', () => {
    expect(memberNameToUnitName('postgresql-k8s-0')).toBe('postgresql-k8s/0');
    expect(memberNameToUnitName('pg-12')).toBe('pg/12');
    expect(unitNameToMemberName('postgresql-k8s/3')).toBe('postgresql-k8s-3');
    expect(unitNameToMemberName(memberNameToUnitName('my-app-name-7'))).toBe('my-app-name-7');
  });

  it('leaves names without a unit number alone', () => {
    expect(memberNameToUnitName('standalone')).toBe('standalone');
    expect(memberNameToUnitName('trailing-')).toBe('trailing-');
  });
});

describe('cluster schema', () => {
  it('rejects an answer without members', () => {
    expect(clusterStatusSchema.safeParse({ scope: 'x' }).success).toBe(false);
    expect(clusterStatusSchema.safeParse({ members: [{ name: 'a', role: 'leader' }] }).success).toBe(false);
  });
});
