/**
 * The legacy `db` / `db-admin` endpoints (interface `pgsql`) as a client endpoint kind
 * (src/relations/endpoint-kind.ts): their pg_hba users, the leader's serving, and the unit-bag
 * publishing every other unit does (the reference wrote the same data into the unit bag too,
 * and older clients read only unit bags).
 */
import { ACCESS_GROUP_RELATION, enabledPlugins } from '../../../lib/postgresql/index.ts';
import type { CharmConfig } from '../../config/index.ts';
import type { ClientRelationsSnapshot } from '../client-relations.ts';
import type { ClientEndpointKind, ClientLeaderContext } from '../endpoint-kind.ts';
import { blocked, MESSAGES, waiting, type StepReport } from '../../handlers/reconcile/outcome.ts';
import { legacyBlockedMessage, legacyPlannedUsers, planLegacyRelations } from './plan.ts';
import { LEGACY_ENDPOINTS } from './request.ts';
import { serveLegacyRelations, type LegacyServeDeps } from './serve.ts';

export const legacyEndpointKind: ClientEndpointKind = {
  name: 'legacy pgsql',
  endpoints: LEGACY_ENDPOINTS,
  plannedUsers: legacyPlannedUsers,
  async serve(context: ClientLeaderContext): Promise<readonly StepReport[]> {
    // Run even with no legacy relation left: the shared entries of the gone ones are pruned.
    const plans = planLegacyRelations(context.snapshot, context.config);
    const admitted = await context.usersAdmitted();
    const result = await serveLegacyRelations(context.deps, {
      isLeader: true,
      plans,
      plugins: enabledPlugins(context.config),
      admitted: () => admitted,
      sql: async () => context.postgresql,
      recordUser: async (plan, database) => {
        const roles = plan.superuser ? ['superuser', ACCESS_GROUP_RELATION] : [ACCESS_GROUP_RELATION];
        const known = context.book.users[plan.user];
        if (known?.database === database && known.roles.join(',') === roles.join(',')) return;
        await context.book.set(plan.user, { database, roles });
      },
      version: () => context.postgresql.getPostgreSQLVersion(),
    });
    const reports: StepReport[] = [];
    const requestProblem = legacyBlockedMessage(plans);
    if (requestProblem !== undefined) reports.push(blocked(requestProblem));
    if (result.blockedMessage !== undefined) reports.push(blocked(result.blockedMessage));
    if (result.pending.length > 0) reports.push(waiting(MESSAGES.clientUsersPending));
    return reports;
  },
};

export interface LegacyUnitInput {
  readonly snapshot: ClientRelationsSnapshot;
  readonly config: CharmConfig;
  /** This unit's pg_hba admits the planned users (its `user_hash` is the planned one). */
  readonly hbaCurrent: boolean;
  /** The server version on this member. */
  readonly version: () => Promise<string | undefined>;
}

/**
 * (Every unit but the leader) Write the legacy databag into this unit's own bag for every served
 * relation the leader has set up (shared-credentials.ts), once this unit's pg_hba admits the
 * users. Returns nothing to show: the leader reports the relations' problems.
 */
export async function publishLegacyUnitBags(deps: LegacyServeDeps, input: LegacyUnitInput): Promise<void> {
  const plans = planLegacyRelations(input.snapshot, input.config);
  if (plans.length === 0) return;
  await serveLegacyRelations(deps, {
    isLeader: false,
    plans,
    plugins: [],
    admitted: () => input.hbaCurrent,
    sql: () => Promise.reject(new Error('only the leader sets legacy relations up')),
    version: input.version,
  });
}
