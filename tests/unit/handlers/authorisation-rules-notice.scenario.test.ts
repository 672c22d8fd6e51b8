/**
 * The workload's authorisation rules observer records a Pebble custom notice when users,
 * databases or grants change in PostgreSQL; Juju hands it to us as
 * `postgresql-pebble-custom-notice`. Ours runs the reconcile, so a user someone else created
 * (PgBouncer, for its own clients) gets its pg_hba rule; any other key is left alone.
 */
import { describe, expect, it } from 'vitest';
import { createDispatcher } from '../../../src/handlers/index.ts';
import { createLogger } from '../../../src/logging.ts';
import { AUTHORISATION_RULES_CHANGED_NOTICE } from '../../../src/workload/index.ts';
import { nextState, runScenario, type Hook, type ScenarioState } from '../scenario/charm-scenario.ts';
import { databaseRelation, requirerAppBag } from './reconcile/client-relations-support.ts';
import { patroniYml, shared, sqlMethods, steadyLeader } from './reconcile/support.ts';

const notice = (key: string): Hook => ({ hook: 'pebble-custom-notice', key, id: '42' });
const OUT_OF_BAND_RULE = 'host appdb relation_id_12 0.0.0.0/0 md5';

/** A leader serving one client relation, settled: its user is created and admitted. */
const servingLeader = shared(async (): Promise<ScenarioState> => {
  const state: ScenarioState = { ...(await steadyLeader()), clientRelations: [databaseRelation(7, requirerAppBag('myapp'))] };
  const served = await runScenario({ hook: 'client-relation', id: 7, kind: 'changed', remoteUnit: 'client/0' }, state);
  expect(served.exitCode).toBe(0);
  return nextState(state, served);
});

/** Then someone creates relation_id_12 and grants it appdb behind the charm's back. */
async function withOutOfBandUser(): Promise<ScenarioState> {
  const state = await servingLeader();
  const database = state.database!;
  return { ...state, database: { ...database, users: [...database.users, 'relation_id_12'], grants: { ...database.grants, relation_id_12: ['appdb'] } } };
}

describe('postgresql-pebble-custom-notice', () => {
  it('is routed to one handler for the workload container', () => {
    const dispatcher = createDispatcher(createLogger({ level: 'silent' }));
    const event = { kind: 'pebble-custom-notice', container: 'postgresql', notice: { id: '1', type: 'custom', key: AUTHORISATION_RULES_CHANGED_NOTICE } } as const;
    expect(dispatcher.handlersFor(event)).toHaveLength(1);
  });

  it('with our key runs the reconcile: the out-of-band user gets its pg_hba rule', async () => {
    const state = await withOutOfBandUser();
    expect(patroniYml({ workload: state.workload! })!['postgresql']['pg_hba']).not.toContain(OUT_OF_BAND_RULE);

    const result = await runScenario(notice(AUTHORISATION_RULES_CHANGED_NOTICE), state);

    expect(result.exitCode).toBe(0);
    expect(result.status).toEqual({ status: 'active', message: 'Primary' });
    expect(patroniYml(result)!['postgresql']['pg_hba']).toEqual(expect.arrayContaining([OUT_OF_BAND_RULE, 'host myapp relation_id_7 0.0.0.0/0 md5']));
    expect(sqlMethods(result)).toContain('listAccessibleDatabasesForUser');
  });

  it('with any other key does nothing but say so at debug level', async () => {
    const state = await withOutOfBandUser();
    const result = await runScenario(notice('example.com/some/other-key'), state);

    expect(result.exitCode).toBe(0);
    expect(result.logs).toContain('ignoring a custom notice this charm does not record');
    expect(result.logs).toContain('example.com/some/other-key');
    expect(result.workloadOperations).toEqual([]);
    expect(result.patroniRequests).toEqual([]);
    expect(sqlMethods(result)).toEqual([]);
  });
});
