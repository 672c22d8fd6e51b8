/** What the reconcile asks about the cluster as a whole: planned size, this member's place, a per-hook view. */
import type { HookTools } from '../../juju/hook-tools.ts';
import { isStarted, type ClusterStatus } from '../../patroni/index.ts';
import type { ActiveView } from './status.ts';

/** Units Juju plans for the application (goal-state, without dying ones); at least this one. */
export async function plannedUnits(tools: Pick<HookTools, 'goalState'>): Promise<number> {
  const goal = await tools.goalState();
  const alive = Object.values(goal.units).filter((unit) => unit.status !== 'dying').length;
  return Math.max(1, alive);
}

/** This member's role and the running-member count, or undefined when it is not in the cluster. */
export function activeView(cluster: ClusterStatus, memberName: string, planned: number): ActiveView | undefined {
  const self = cluster.members.find((member) => member.name === memberName);
  if (self === undefined) return undefined;
  const runningMembers = cluster.members.filter((member) => isStarted(member.state)).length;
  const role = self.role === 'leader' ? 'primary' : self.role === 'standby_leader' ? 'standby-leader' : 'replica';
  return { role, runningMembers, plannedUnits: planned };
}
