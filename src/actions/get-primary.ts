import type { ActionEvent } from '../juju/events.ts';
import { memberNameToUnitName, primaryOf, type ClusterStatus, type PatroniClient } from '../patroni/index.ts';
import { ActionFailedError, runAction, type Awaitable, type BaseActionDeps } from './common.ts';

export interface PatroniActionDeps extends BaseActionDeps {
  /** This unit's Patroni client, knowing the other members' URLs too. */
  patroni(): Awaitable<PatroniClient>;
}

export const CLUSTER_UNREACHABLE_MESSAGE =
  'Unable to reach Patroni on any unit: check that the units are active (juju status) and run the action again';

/** `/cluster` from whichever member answers first; no member answering is an action failure. */
export async function readCluster(patroni: PatroniClient): Promise<ClusterStatus> {
  try {
    return await patroni.clusterFromAny();
  } catch (cause) {
    throw new ActionFailedError(CLUSTER_UNREACHABLE_MESSAGE, { cause, code: 'cluster-unreachable' });
  }
}

/**
 * `get-primary` → `{ primary: "<app>/<n>" }`. The reference only logged when Patroni was
 * unreachable and returned nothing; here that, and a cluster without a primary, fail the action.
 */
export async function getPrimary(_event: ActionEvent, deps: PatroniActionDeps): Promise<void> {
  await runAction(deps, async () => {
    const cluster = await readCluster(await deps.patroni());
    const primary = primaryOf(cluster);
    if (primary === undefined) {
      throw new ActionFailedError('The cluster has no primary right now (it may be failing over): run the action again shortly', {
        code: 'no-primary',
      });
    }
    await deps.tools.actionSet({ primary: memberNameToUnitName(primary) });
  });
}
