/** What the reconcile asks about the cluster as a whole: planned size, this member's place, a per-hook view. */
import type { HookTools } from '../../juju/hook-tools.ts';
import { isStarted, type ClusterStatus } from '../../patroni/index.ts';
import type { ActiveView } from './status.ts';

export interface GoalView {
  /** Units Juju plans for the application (goal-state, without dying ones); at least this one. */
  readonly plannedUnits: number;
  /** Juju is removing this unit (scale-down, remove-unit). */
  readonly selfDying: boolean;
}

/** What goal-state says about the application's size and this unit's future. */
export async function goalView(tools: Pick<HookTools, 'goalState'>, unitName: string): Promise<GoalView> {
  const goal = await tools.goalState();
  const alive = Object.values(goal.units).filter((unit) => unit.status !== 'dying').length;
  return { plannedUnits: Math.max(1, alive), selfDying: goal.units[unitName]?.status === 'dying' };
}

/** This member's role and the running-member count, or undefined when it is not in the cluster. */
export function activeView(cluster: ClusterStatus, memberName: string, planned: number): ActiveView | undefined {
  const self = cluster.members.find((member) => member.name === memberName);
  if (self === undefined) return undefined;
  const runningMembers = cluster.members.filter((member) => isStarted(member.state)).length;
  const role = self.role === 'leader' ? 'primary' : self.role === 'standby_leader' ? 'standby-leader' : 'replica';
  return { role, runningMembers, plannedUnits: planned };
}
