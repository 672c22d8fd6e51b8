/**
 * The app peer bag's `endpoints` lists the Patroni member address of every unit of the
 * application that is in the peer relation: joiners are added as they join, and a departed unit
 * is dropped in its relation-departed hook (Juju has already removed it from relation-list
 * there). Patroni's peers, pg_hba's replication rules and the synchronous node count all derive
 * from this list. The leader writes it only when the set changes.
 */
import { memberEndpoint, parseUnitName } from '../../workload/index.ts';
import type { HandlerDeps } from '../deps.ts';
import type { ReconcileFacts } from './facts.ts';
import { next, step } from './pipeline.ts';

/** This unit's and its peers' member endpoints, in unit-number order. */
export function desiredEndpoints(selfUnit: string, peerUnits: readonly string[]): string[] {
  const units = [...new Set([selfUnit, ...peerUnits])];
  units.sort((a, b) => parseUnitName(a).number - parseUnitName(b).number);
  return units.map(memberEndpoint);
}

/** The list to write, or undefined when the stored one already has the same members. */
export function endpointsUpdate(current: readonly string[] | undefined, desired: readonly string[]): string[] | undefined {
  const stored = new Set(current ?? []);
  const same = current !== undefined && stored.size === desired.length && desired.every((endpoint) => stored.has(endpoint));
  return same ? undefined : [...desired];
}

/** The endpoints the rest of the reconcile uses: the stored list, always including this member. */
export function knownEndpoints(facts: Pick<ReconcileFacts, 'app'>, selfUnit: string): string[] {
  const self = memberEndpoint(selfUnit);
  const stored = facts.app.endpoints ?? [];
  return stored.includes(self) ? [...stored] : [...stored, self];
}

export const endpointsStep = step({
  name: 'endpoints',
  retryMessage: 'waiting to update the cluster members',
  requires: ['isLeader', 'hasPeerRelation', 'app', 'peerUnits'],
  provides: ['app'],
  async run(deps: Pick<HandlerDeps, 'unitName' | 'peers' | 'logger'>, { isLeader, hasPeerRelation, app, peerUnits }) {
    if (!isLeader || !hasPeerRelation) return next({ app });
    const update = endpointsUpdate(app.endpoints, desiredEndpoints(deps.unitName, peerUnits));
    if (update === undefined) return next({ app });
    await deps.peers.writeApp({ endpoints: update });
    deps.logger.info({ before: app.endpoints ?? [], after: update }, 'updated the cluster member endpoints');
    return next({ app: { ...app, endpoints: update } });
  },
});
