/**
 * (Every unit but the leader, member running) The legacy `db` / `db-admin` databag in this unit's
 * own relation bag, as the leader writes it into our application bag and its own unit bag
 * (src/relations/legacy/provider.ts). A unit publishes a relation once the leader has set its user
 * up and this unit's pg_hba admits the planned users (its `user_hash` is the planned one), so a
 * client never reads credentials this unit would refuse.
 */
import { isLegacyEndpoint } from '../../relations/legacy/plan.ts';
import { publishLegacyUnitBags } from '../../relations/legacy/provider.ts';
import type { HandlerDeps } from '../deps.ts';
import { isInitialised } from './facts.ts';
import { proceed, step } from './pipeline.ts';

export const legacyUnitBagsStep = step({
  name: 'legacy-unit-bags',
  retryMessage: 'waiting to publish the legacy relation data',
  requires: ['isLeader', 'app', 'unit', 'config', 'clients', 'member'],
  provides: [],
  async run(deps: Pick<HandlerDeps, 'appName' | 'modelName' | 'unitName' | 'tools' | 'secrets' | 'postgresql' | 'logger'>, { isLeader, app, unit, config, clients }) {
    if (isLeader || !isInitialised({ app })) return proceed();
    if (!clients.snapshot.relations.some((relation) => isLegacyEndpoint(relation.endpoint))) return proceed();
    await publishLegacyUnitBags(deps, {
      snapshot: clients.snapshot,
      config,
      hbaCurrent: unit.user_hash === clients.plannedHash,
      version: async () => (await deps.postgresql()).getPostgreSQLVersion({ currentHost: true }),
    });
    return proceed();
  },
});
