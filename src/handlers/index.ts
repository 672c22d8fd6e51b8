import { registerActions } from '../actions/index.ts';
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
  // CharmContext is the actions' dependency set: secrets, clients and workload refresh.
  return registerActions(dispatcher, (charm) => charm);
}
