import type { BackupActionDeps } from '../actions/backup-common.ts';
import type { ActionDeps } from '../actions/index.ts';
import { failUnavailableAction, UNAVAILABLE_ACTIONS } from '../actions/unavailable.ts';
import type { CharmContext } from '../charm-context.ts';
import { Dispatcher, type KnownEvent } from '../juju/dispatcher.ts';
import type { ActionEvent, PebbleCustomNoticeEvent } from '../juju/events.ts';
import type { Logger } from '../logging.ts';
import { PEER_RELATION } from '../state/peer-schemas.ts';
import { AUTHORISATION_RULES_CHANGED_NOTICE } from '../workload/authorisation-rules-observer.ts';
import { ROLE_CHANGED_NOTICE } from '../workload/role-change-notifier.ts';
import { onInstall } from './install.ts';
import { ensureWorkloadPorts } from './ports.ts';

/** The workload container (metadata.yaml); a literal here so this module stays import-light. */
const CONTAINER = 'postgresql';

/** Hooks that run the reconcile and name no entity. */
// secret-expired: the certificate's renewal time (src/relations/tls/certificates.ts).
const LIFECYCLE_RECONCILE = ['start', 'config-changed', 'leader-elected', 'update-status', 'upgrade-charm', 'secret-changed', 'secret-expired'] as const;
/** Peer-relation hooks that run it (membership and the leader's flags live there). */
const PEER_RECONCILE = ['relation-created', 'relation-joined', 'relation-changed', 'relation-departed'] as const;
/** Client-relation hooks (`database`, `db`, `db-admin`): a relation came, changed or went. */
const CLIENT_RECONCILE = ['relation-created', 'relation-joined', 'relation-changed', 'relation-departed', 'relation-broken'] as const;
/** The client endpoints (metadata.yaml; src/relations/client-relations.ts); literals keep this module light. */
const CLIENT_ENDPOINTS = ['database', 'db', 'db-admin'] as const;
/** The S3 relation (src/backups/s3-relation.ts): credentials came, changed or went. */
const S3_RECONCILE = ['relation-joined', 'relation-changed', 'relation-broken'] as const;
const S3_ENDPOINT = 's3-parameters';
/** Workload hooks: the container came up, or Patroni's ready check changed. */
const WORKLOAD_RECONCILE = ['pebble-ready', 'pebble-check-failed', 'pebble-check-recovered'] as const;
/** TLS endpoints (src/relations/tls/): the provider answered, or the relation came or went. */
const TLS_ENDPOINTS = ['certificates', 'receive-ca-cert'] as const;
/** COS: the reconcile publishes scrape jobs, rules and dashboards, and follows the Loki endpoints. */
const COS_ENDPOINTS = ['metrics-endpoint', 'grafana-dashboard', 'logging'] as const;

// The reconcile pulls in the PostgreSQL driver, the YAML renderer and the REST clients; loading
// it only when a hook needs it keeps install and the actions as quick to start as before.
const loadReconcile = () => import('./reconcile.ts');

async function reconcileHandler(event: KnownEvent, charm: CharmContext): Promise<void> {
  // The unit leaving the relation has nothing left to converge to.
  if (event.kind === 'relation-departed' && event.departingUnit === charm.unitName) return;
  await (await loadReconcile()).reconcile(charm, event);
}

/** The custom notices the workload records for the charm; each runs the reconcile. */
const OUR_NOTICES: ReadonlySet<string> = new Set([AUTHORISATION_RULES_CHANGED_NOTICE, ROLE_CHANGED_NOTICE]);

/**
 * The workload's authorisation rules observer (src/workload/authorisation-rules-observer.ts) saw
 * users, databases or grants change in PostgreSQL: render pg_hba again. Patroni changed this
 * member's role (src/workload/role-change-notifier.ts): the label, statuses and endpoints follow.
 * Other keys are not ours.
 */
async function customNoticeHandler(event: PebbleCustomNoticeEvent, charm: CharmContext): Promise<void> {
  if (!OUR_NOTICES.has(event.notice.key)) {
    charm.logger.debug({ key: event.notice.key, id: event.notice.id }, 'ignoring a custom notice this charm does not record');
    return;
  }
  await reconcileHandler(event, charm);
}

/**
 * A client relation's hooks run the reconcile (relation-broken included: the breaking relation
 * counts as gone). When this unit itself is leaving, the relation-departed it sees records that
 * in its peer bag (`departing`, as the reference), so its relation-broken drops no client user:
 * the relation stays for the units that remain.
 */
async function clientRelationHandler(event: KnownEvent, charm: CharmContext): Promise<void> {
  if (event.kind === 'relation-departed' && event.departingUnit === charm.unitName) {
    if ((await charm.peers.relation()) !== undefined) {
      const unit = await charm.peers.readUnit();
      if (unit.status === 'no-peer-relation' || unit.data.departing !== true) await charm.peers.writeUnit({ departing: true });
    }
    return;
  }
  await (await loadReconcile()).reconcile(charm, event);
}

/**
 * What the actions need from this hook: the clients, and the lifecycle entry point set-password
 * calls afterwards (it re-renders patroni.yml).
 */
function actionDeps(charm: CharmContext, event: ActionEvent): ActionDeps {
  return {
    tools: charm.tools,
    logger: charm.logger,
    unitName: charm.unitName,
    appName: charm.appName,
    secrets: charm.secrets,
    patroni: () => charm.patroni(),
    // SQL on the member Patroni names, through the charm's PostgreSQL client factory.
    memberSql: async (member, options = {}) => {
      const { postgresqlMemberSql } = await import('../actions/password-rotation.ts');
      const password = options.connectPassword;
      return postgresqlMemberSql(await charm.postgresql({ member, ...(password === undefined ? {} : { password }) }));
    },
    ldapEnabled: () => charm.ldapEnabled(),
    refreshWorkloadConfig: async () => (await loadReconcile()).refreshWorkloadConfig(charm, event),
    announceRotation: async () => {
      await (await import('../actions/password-rotation.ts')).announcePasswordRotation(charm.peers);
    },
  };
}

/** What the backup actions need (src/actions/backup-common.ts). */
function backupActionDeps(charm: CharmContext, event: ActionEvent): BackupActionDeps {
  return {
    tools: charm.tools,
    logger: charm.logger,
    unitName: charm.unitName,
    appName: charm.appName,
    modelName: charm.modelName,
    jujuVersion: charm.env['JUJU_VERSION'] ?? '',
    config: () => charm.config(),
    peers: charm.peers,
    pebble: () => charm.pebble(),
    patroni: () => charm.patroni(),
    kubernetes: () => charm.kubernetes(),
    dcs: () => charm.dcs(),
    refreshWorkloadConfig: async () => (await loadReconcile()).refreshWorkloadConfig(charm, event),
    reconcile: async () => {
      await (await loadReconcile()).reconcile(charm, event);
    },
  };
}

/** Backups to S3 (src/backups/): each action's module loads only when it runs. */
const BACKUP_ACTIONS: Readonly<Record<string, (event: ActionEvent, deps: BackupActionDeps) => Promise<void>>> = {
  'create-backup': async (event, deps) => (await import('../actions/create-backup.ts')).createBackup(event, deps),
  'list-backups': async (event, deps) => (await import('../actions/list-backups.ts')).listBackupsAction(event, deps),
  restore: async (event, deps) => (await import('../actions/restore.ts')).restoreAction(event, deps),
};

// The actions load the Patroni and PostgreSQL clients; hooks never need these modules, so each
// is imported only when its action runs.
const ACTIONS: Readonly<Record<string, (event: ActionEvent, deps: ActionDeps) => Promise<void>>> = {
  'get-password': async (event, deps) => (await import('../actions/get-password.ts')).getPassword(event, deps),
  'set-password': async (event, deps) => (await import('../actions/set-password.ts')).setPassword(event, deps),
  'get-primary': async (event, deps) => (await import('../actions/get-primary.ts')).getPrimary(event, deps),
  'promote-to-primary': async (event, deps) => (await import('../actions/promote-to-primary.ts')).promoteToPrimary(event, deps),
};

/** The actions this charm implements (actions.yaml lists more; those fail as not available until built). */
export const IMPLEMENTED_ACTIONS: readonly string[] = [...Object.keys(ACTIONS), 'set-tls-private-key', ...Object.keys(BACKUP_ACTIONS)];

/** Every handler of the charm, in one place: what runs for which event. */
export function createDispatcher(logger: Logger): Dispatcher<CharmContext> {
  const dispatcher = new Dispatcher<CharmContext>({ logger })
    .on('install', (_event, charm) => onInstall(charm))
    .on('upgrade-charm', (_event, charm) => ensureWorkloadPorts(charm.tools))
    .on('storage-detaching', 'pgdata', async (event, charm) => {
      const { onPgdataStorageDetaching } = await import('./storage-detaching.ts');
      await onPgdataStorageDetaching(charm, async () => (await loadReconcile()).refreshWorkloadConfig(charm, event, { leavingSyncSet: true }));
    })
    .on('stop', async (_event, charm) => (await import('./stop.ts')).onStop(charm));
  for (const kind of LIFECYCLE_RECONCILE) dispatcher.on(kind, reconcileHandler);
  for (const kind of PEER_RECONCILE) dispatcher.on(kind, PEER_RELATION, reconcileHandler);
  for (const kind of WORKLOAD_RECONCILE) dispatcher.on(kind, CONTAINER, reconcileHandler);
  for (const kind of S3_RECONCILE) dispatcher.on(kind, S3_ENDPOINT, reconcileHandler);
  dispatcher.on('pebble-custom-notice', CONTAINER, customNoticeHandler);
  for (const endpoint of CLIENT_ENDPOINTS) for (const kind of CLIENT_RECONCILE) dispatcher.on(kind, endpoint, clientRelationHandler);
  for (const endpoint of TLS_ENDPOINTS) for (const kind of CLIENT_RECONCILE) dispatcher.on(kind, endpoint, reconcileHandler);
  for (const endpoint of COS_ENDPOINTS) for (const kind of CLIENT_RECONCILE) dispatcher.on(kind, endpoint, reconcileHandler);
  for (const [action, run] of Object.entries(ACTIONS)) dispatcher.on('action', action, (event, charm) => run(event, actionDeps(charm, event)));
  for (const [action, run] of Object.entries(BACKUP_ACTIONS)) dispatcher.on('action', action, (event, charm) => run(event, backupActionDeps(charm, event)));
  dispatcher.on('action', 'set-tls-private-key', async (event, charm) => (await import('../actions/set-tls-private-key.ts')).setTlsPrivateKey(event, charm));
  for (const action of UNAVAILABLE_ACTIONS) {
    dispatcher.on('action', action, (event, charm) => failUnavailableAction(event, charm));
  }
  return dispatcher;
}
