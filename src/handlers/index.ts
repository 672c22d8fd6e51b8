import type { CharmContext } from '../charm-context.ts';
import { Dispatcher, type KnownEvent } from '../juju/dispatcher.ts';
import type { Logger } from '../logging.ts';
import { PEER_RELATION } from '../state/peer-schemas.ts';
import { onInstall } from './install.ts';
import { ensureWorkloadPorts } from './ports.ts';

/** The workload container (metadata.yaml); a literal here so this module stays import-light. */
const CONTAINER = 'postgresql';

/** Hooks that run the reconcile and name no entity. */
const LIFECYCLE_RECONCILE = ['start', 'config-changed', 'leader-elected', 'update-status', 'upgrade-charm', 'secret-changed'] as const;
/** Peer-relation hooks that run it (membership and the leader's flags live there). */
const PEER_RECONCILE = ['relation-created', 'relation-joined', 'relation-changed', 'relation-departed'] as const;
/** Workload hooks: the container came up, or Patroni's ready check changed. */
const WORKLOAD_RECONCILE = ['pebble-ready', 'pebble-check-failed', 'pebble-check-recovered'] as const;

// The reconcile pulls in the PostgreSQL driver, the YAML renderer and the REST clients; loading
// it only when a hook needs it keeps install and the actions as quick to start as before.
async function reconcileHandler(event: KnownEvent, charm: CharmContext): Promise<void> {
  // The unit leaving the relation has nothing left to converge to.
  if (event.kind === 'relation-departed' && event.departingUnit === charm.unitName) return;
  const { reconcile } = await import('./reconcile.ts');
  await reconcile(charm, event);
}

/** The actions src/actions implements (actions.yaml lists more; those are ignored until built). */
const ACTIONS = ['get-password', 'set-password', 'get-primary', 'promote-to-primary'] as const;

// The actions load the Patroni and PostgreSQL clients; hooks never need this module, so it is
// imported only when an action runs. CharmContext is the actions' dependency set.
async function runAction(event: KnownEvent, charm: CharmContext): Promise<void> {
  const { registerActions } = await import('../actions/index.ts');
  await registerActions(new Dispatcher<CharmContext>(), (context) => context).dispatch(event, charm);
}

/** Every handler of the charm, in one place: what runs for which event. */
export function createDispatcher(logger: Logger): Dispatcher<CharmContext> {
  const dispatcher = new Dispatcher<CharmContext>({ logger })
    .on('install', (_event, charm) => onInstall(charm))
    .on('upgrade-charm', (_event, charm) => ensureWorkloadPorts(charm.tools))
    .on('storage-detaching', 'pgdata', async (_event, charm) => (await import('./storage-detaching.ts')).onPgdataStorageDetaching(charm))
    .on('stop', async (_event, charm) => (await import('./stop.ts')).onStop(charm));
  for (const kind of LIFECYCLE_RECONCILE) dispatcher.on(kind, reconcileHandler);
  for (const kind of PEER_RECONCILE) dispatcher.on(kind, PEER_RELATION, reconcileHandler);
  for (const kind of WORKLOAD_RECONCILE) dispatcher.on(kind, CONTAINER, reconcileHandler);
  for (const action of ACTIONS) dispatcher.on('action', action, runAction);
  return dispatcher;
}
