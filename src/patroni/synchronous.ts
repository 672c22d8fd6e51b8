import { isStarted } from './cluster.ts';

/** The charm's `synchronous_node_count` option: `all`, `majority`, or a positive integer. */
export type SynchronousNodeCountSetting = 'all' | 'majority' | number;

/** The two Patroni DCS keys the charm PATCHes together (key names as Patroni spells them). */
export interface SynchronousConfiguration {
  synchronous_node_count: number;
  synchronous_mode_strict: boolean;
}

/**
 * How many synchronous standbys Patroni should keep (the reference charm's `src/patroni.py`
 * `_synchronous_node_count` and `synchronous_configuration`):
 * `all` → planned − 1, `majority` → ⌊planned / 2⌋, an integer n → n while n < members − 1,
 * otherwise planned − 1. Strict mode only makes sense with a peer to wait for, so it is on only
 * when there are several members, the option asks for it and the count is positive.
 * `plannedUnits` is Juju's planned unit count; `membersCount` the Patroni endpoints known now.
 * The count never goes below 0: the reference would send −1 for an application scaled to zero,
 * which means nothing to Patroni.
 */
export function synchronousConfiguration(
  setting: SynchronousNodeCountSetting,
  plannedUnits: number,
  membersCount: number,
  strict: boolean,
): SynchronousConfiguration {
  const count = Math.max(0, synchronousNodeCount(setting, plannedUnits, membersCount));
  return {
    synchronous_node_count: count,
    synchronous_mode_strict: membersCount > 1 && strict && count > 0,
  };
}

function synchronousNodeCount(setting: SynchronousNodeCountSetting, plannedUnits: number, membersCount: number): number {
  if (setting === 'all') return plannedUnits - 1;
  if (setting === 'majority') return Math.floor(plannedUnits / 2);
  return setting < membersCount - 1 ? setting : plannedUnits - 1;
}

/** What the strict-mode gate reads of each member of `/cluster`. */
export interface SyncCandidateView {
  readonly role: string;
  readonly state: string;
}

/**
 * Strict mode with no standby to wait for stops every write: a cluster scaled up from one
 * member would refuse commits until the new replica has copied the whole database and caught up.
 * So strict mode is turned on only once Patroni, in plain synchronous mode, has made a running
 * replica a synchronous standby (it does so once that replica streams and has caught up); once
 * on, it stays on whatever happens to the replicas, since that is what strict mode promises.
 * Scaling down to one member still turns it off (`wanted` is then false).
 */
export function gateStrictMode(
  wanted: SynchronousConfiguration,
  currentlyStrict: boolean,
  members: readonly SyncCandidateView[],
): SynchronousConfiguration {
  if (!wanted.synchronous_mode_strict || currentlyStrict) return wanted;
  const standby = members.some((member) => member.role === 'sync_standby' && isStarted(member.state));
  return standby ? wanted : { ...wanted, synchronous_mode_strict: false };
}
