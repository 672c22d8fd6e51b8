/**
 * pgbouncer-k8s for the sandbox: Debian's pgbouncer as the Pebble service of container
 * `pgbouncer`, talking to a postgresql_client provider on `backend-database` as
 * canonical/pgbouncer-k8s-operator does, and serving its own `database` endpoint.
 *
 * Every dispatch runs the event's own steps (the requirer's diff, departure bookkeeping, a
 * client's cleanup), then one reconcile that converges the unit instead of deferring:
 * directories and files in the container, the layer, a reload when a file changed; on the leader
 * the backend initialisation (auth user, auth function, userlist), the client Service, and each
 * client's user, database and databag; finally the status pgbouncer-k8s would show.
 */
import { errorMessage } from '../../../../src/errors.ts';
import { parseDispatchContext, type DispatchContext } from '../../../../src/juju/context.ts';
import { Dispatcher, runDispatch } from '../../../../src/juju/dispatcher.ts';
import { eventFromContext, type CharmEvent } from '../../../../src/juju/events.ts';
import { HookTools, processToolRunner, type RelationRef } from '../../../../src/juju/hook-tools.ts';
import { loadCharmMetadata } from '../../../../src/juju/metadata.ts';
import { createLogger, type Logger } from '../../../../src/logging.ts';
import {
  backendAnswers,
  backendPostgres,
  backendRelation,
  backendRequirer,
  collectDatabases,
  installAuthFunction,
  readBackend,
  removeAuthFunction,
  serverDatabases,
  syncHba,
  type BackendInfo,
} from './backend.ts';
import { authTypeFor, parsePgbouncerVersion, relationDatabases, renderPgbouncerIni, type PgbouncerVersion, type RelationDatabase } from './ini.ts';
import { ensureClientService, type ServiceOutcome } from './k8s-service.ts';
import {
  adminUserName,
  authQuery,
  BACKEND_DATABASE,
  BACKEND_ENDPOINT,
  CLIENT_ENDPOINT,
  clientRelationUser,
  DEFAULT_LISTEN_PORT,
  POSTGRES_DATABASE,
  serviceEndpoint,
  statsUserName,
} from './names.ts';
import { generatePassword, md5Password } from './passwords.ts';
import { scramSha256Verifier } from '../../../../lib/postgresql/scram.ts';
import { clientFields, ownedSecret, parseClientRequest, publishClientData, wantsWildcard } from './provider.ts';
import { authFilePath, INSTANCE, PgbouncerWorkload, SERVICE } from './service.ts';
import {
  ADMIN_PASSWORD_KEY,
  AUTH_FILE_KEY,
  MONITORING_PASSWORD_KEY,
  peerRelation,
  readInternalSecret,
  readOtherDatabases,
  readRelationDatabases,
  userlistNonce,
  writeInternalSecret,
  writeOtherDatabases,
  writeRelationDatabases,
  type InternalSecret,
} from './state.ts';
import { renderUserlist } from './userlist.ts';
import { runCharm } from '../../lib/run-charm.ts';

interface Ctx {
  dispatch: DispatchContext;
  tools: HookTools;
  logger: Logger;
}

/** What the event's own step learnt that the reconcile must respect. */
interface Notes {
  /** The relation this hook is breaking: treat it as gone. */
  broken?: RelationRef;
}

const FALLBACK_VERSION: PgbouncerVersion = { major: 1, minor: 18 };

function configNumber(config: Readonly<Record<string, unknown>>, key: string, fallback: number): number {
  const value = config[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

const departFlag = (relation: RelationRef) => `${relation.endpoint}_${relation.id}_departing`;

// ---- backend-database ------------------------------------------------------------------------

/** `_on_database_created` on the leader: auth user, auth function, userlist (in the internal secret). */
async function initialiseBackend(ctx: Ctx, info: BackendInfo, secret: InternalSecret, clientDatabases: readonly string[]): Promise<InternalSecret> {
  const { tools, logger } = ctx;
  logger.info({ relation: info.relation.id }, 'initialising pgbouncer backend relation');
  const authPassword = generatePassword();
  const authHash = md5Password(info.authUser, authPassword);
  const monitoringPassword = secret[MONITORING_PASSWORD_KEY] ?? generatePassword();
  const adminPassword = secret[ADMIN_PASSWORD_KEY] ?? generatePassword();
  const statsUser = statsUserName(tools.appName);
  const adminUser = adminUserName(tools.appName);
  await backendPostgres(info).createUser(info.authUser, { password: authHash, admin: true });
  await installAuthFunction(info, await collectDatabases(info, clientDatabases));
  const userlist = renderUserlist([
    { user: info.authUser, hash: authHash },
    { user: statsUser, hash: scramSha256Verifier(monitoringPassword) },
    { user: adminUser, hash: scramSha256Verifier(adminPassword) },
  ]);
  const next: InternalSecret = { [AUTH_FILE_KEY]: userlist, [MONITORING_PASSWORD_KEY]: monitoringPassword, [ADMIN_PASSWORD_KEY]: adminPassword };
  await writeInternalSecret(tools, next);
  return next;
}

/**
 * backend-database-relation-departed (`_on_relation_departed`): this unit leaving marks the
 * relation as departing for its broken hook; the leader removes the auth function and the auth
 * user only when a unit of its own application departs (pgbouncer being removed), never when
 * PostgreSQL scales down.
 */
async function backendDeparted(event: Extract<CharmEvent, { kind: 'relation-departed' }>, ctx: Ctx): Promise<void> {
  const { tools } = ctx;
  const peers = await peerRelation(tools);
  if (event.departingUnit === tools.unitName) {
    if (peers) await tools.relationSet(peers, { [departFlag(event.relation)]: 'true' });
    return;
  }
  if (!(await tools.isLeader()) || event.departingUnit?.split('/')[0] !== tools.appName) return;
  const info = await readBackend(tools, event.relation);
  if (!info) return;
  const dbs = Object.values(await readRelationDatabases(tools, peers)).map((d) => d.name).filter((n) => n !== '*');
  try {
    await removeAuthFunction(info, await collectDatabases(info, dbs));
  } catch (error) {
    ctx.logger.error({ err: error }, 'failed to remove auth user when disconnecting from postgres application.');
    await tools.statusSet('blocked', 'failed to remove auth user when disconnecting from postgres application.');
    return;
  }
  await backendPostgres(info).deleteUser(info.authUser);
  ctx.logger.info('pgbouncer auth user removed');
}

/** backend-database-relation-broken (`_on_relation_broken`): forget the userlist. */
async function backendBroken(event: Extract<CharmEvent, { kind: 'relation-broken' }>, ctx: Ctx): Promise<void> {
  const { tools } = ctx;
  const peers = await peerRelation(tools);
  if (peers && (await tools.relationGet(peers, { unit: tools.unitName }))[departFlag(event.relation)] === 'true') return;
  if (await tools.isLeader()) {
    const secret = await readInternalSecret(tools);
    if (secret[AUTH_FILE_KEY]) {
      const { [AUTH_FILE_KEY]: _dropped, ...rest } = secret;
      await writeInternalSecret(tools, rest);
    }
  }
}

// ---- its own database endpoint ----------------------------------------------------------------

/** database-relation-broken on the leader: drop the client's user and, unless shared, its auth function. */
async function clientBroken(event: Extract<CharmEvent, { kind: 'relation-broken' }>, ctx: Ctx): Promise<void> {
  const { tools } = ctx;
  if (!(await tools.isLeader())) return;
  const peers = await peerRelation(tools);
  if (peers && (await tools.relationGet(peers, { unit: tools.unitName }))[departFlag(event.relation)] === 'true') {
    await tools.relationSet(peers, { [departFlag(event.relation)]: '' });
    return;
  }
  const info = await readBackend(tools, await backendRelation(tools));
  if (!info || !peers) return;
  const dbs = await readRelationDatabases(tools, peers);
  const database = dbs[String(event.relation.id)]?.name;
  delete dbs[String(event.relation.id)];
  await writeRelationDatabases(tools, peers, dbs);
  if (database && !Object.values(dbs).some((d) => d.name === database)) await removeAuthFunction(info, [database]);
  await backendPostgres(info).deleteUser(clientRelationUser(event.relation.id));
}

interface PendingClient {
  relation: RelationRef;
  request: NonNullable<ReturnType<typeof parseClientRequest>>;
  clientBag: Readonly<Record<string, string>>;
  password: string;
  fresh: boolean;
}

/**
 * `_on_database_requested` up to the config render: for each client that asked and has no
 * credentials yet, its user (with its roles) and database on the backend, the auth function in
 * that database, and its entry (and `*` for a privileged client) in `pgb_dbs_config`.
 */
async function prepareClients(ctx: Ctx, info: BackendInfo, peers: RelationRef, notes: Notes): Promise<PendingClient[]> {
  const { tools } = ctx;
  const out: PendingClient[] = [];
  const relations = (await tools.relationIds(CLIENT_ENDPOINT)).filter((r) => r.id !== notes.broken?.id);
  for (const relation of relations) {
    const remoteApp = await tools.relationRemoteApp(relation);
    if (remoteApp === undefined) continue;
    const clientBag = await tools.relationGet(relation, { app: remoteApp });
    const request = parseClientRequest(clientBag);
    if (!request) continue;
    const own = await tools.relationGet(relation, { app: tools.appName });
    const existing = (await ownedSecret(tools, relation, 'user'))?.['password'] ?? own['password'];
    if (existing) {
      out.push({ relation, request, clientBag, password: existing, fresh: false });
      continue;
    }
    const dbs = await readRelationDatabases(tools, peers);
    dbs[String(relation.id)] = { name: request.database, legacy: false };
    if (wantsWildcard(request.roles)) dbs['*'] = { name: '*', legacy: false, auth_dbname: request.database };
    await writeRelationDatabases(tools, peers, dbs);
    const user = clientRelationUser(relation.id);
    const password = generatePassword();
    const postgres = backendPostgres(info);
    try {
      await postgres.createUser(user, { password, extraUserRoles: request.roles });
      const sharing = Object.values(dbs).filter((d) => d.name === request.database).length;
      await postgres.createDatabase(request.database, user, { requestingDatabagCount: sharing });
      await removeAuthFunction(info, [request.database]);
      await installAuthFunction(info, [request.database]);
    } catch (error) {
      await tools.statusSet('blocked', `Failed to initialize relation ${CLIENT_ENDPOINT}`);
      ctx.logger.error({ err: error, relation: relation.id }, `cannot create ${user} or ${request.database}`);
      continue;
    }
    out.push({ relation, request, clientBag, password, fresh: true });
  }
  return out;
}

/** The rest of `_on_database_requested` and `update_connection_info`: wait for pg_hba, then publish. */
async function publishClients(ctx: Ctx, info: BackendInfo, clients: readonly PendingClient[], endpoint: string): Promise<void> {
  if (clients.length === 0) return;
  const version = await backendPostgres(info).getPostgreSQLVersion();
  for (const client of clients) {
    const user = clientRelationUser(client.relation.id);
    if (client.fresh && !(await syncHba(info, user))) ctx.logger.warn({ user }, 'database requested: Unable to check pg_hba rule update');
    const data = clientFields({ request: client.request, clientBag: client.clientBag, username: user, password: client.password, endpoint, version });
    await publishClientData(ctx.tools, client.relation, data);
  }
}

// ---- the reconcile ------------------------------------------------------------------------------

async function reconcile(ctx: Ctx, notes: Notes = {}): Promise<void> {
  const { tools, logger, dispatch } = ctx;
  const workload = new PgbouncerWorkload(logger);
  if (!(await workload.canConnect())) {
    await tools.statusSet('waiting', 'PgBouncer container currently unavailable');
    return;
  }
  const leader = await tools.isLeader();
  const config = await tools.configGet();
  const port = configNumber(config, 'listen_port', DEFAULT_LISTEN_PORT);
  const peers = await peerRelation(tools);
  const backendRef = await backendRelation(tools);
  const info = backendRef === undefined || backendRef.id === notes.broken?.id ? undefined : await readBackend(tools, backendRef);
  await workload.ensureDirectories();
  const versionText = await workload.versionText().catch(() => '');
  const version = parsePgbouncerVersion(versionText) ?? FALLBACK_VERSION;

  let secret = await readInternalSecret(tools);
  let relationDbs: Record<string, RelationDatabase> = await readRelationDatabases(tools, peers);
  if (leader && info && !secret[AUTH_FILE_KEY] && (await backendAnswers(info))) {
    const clientDbs = Object.values(relationDbs).map((d) => d.name).filter((n) => n !== '*');
    secret = await initialiseBackend(ctx, info, secret, clientDbs);
  }

  let service: ServiceOutcome | undefined;
  if (leader) service = await ensureClientService({ app: tools.appName, unitName: tools.unitName, port });
  const ownEndpoint = serviceEndpoint(tools.appName, dispatch.modelName, port);

  let clients: PendingClient[] = [];
  const backendReady = info !== undefined && Boolean(secret[AUTH_FILE_KEY]) && (await backendAnswers(info));
  if (leader && info && backendReady && peers && service?.kind === 'done') {
    clients = await prepareClients(ctx, info, peers, notes);
    relationDbs = await readRelationDatabases(tools, peers);
  }

  // Render and push; reload when something changed.
  const nonce = await userlistNonce(tools, peers);
  const userlist = info ? (secret[AUTH_FILE_KEY] ?? '') : '';
  const authFile = nonce === undefined ? `${INSTANCE.dir}/userlist.txt` : authFilePath(tools.appName, nonce);
  const statsUser = statsUserName(tools.appName);
  const ini = renderPgbouncerIni({
    version,
    databases: info
      ? relationDatabases({
          backend: { endpoints: info.endpoints, readOnlyEndpoints: info.readOnlyEndpoints },
          databases: relationDbs,
          authUser: info.authUser,
          otherDatabases: await readOtherDatabases(tools, peers),
        })
      : [],
    listenPort: port,
    poolMode: typeof config['pool_mode'] === 'string' ? config['pool_mode'] : 'session',
    maxDbConnections: configNumber(config, 'max_db_connections', 100),
    maxPreparedStatements: configNumber(config, 'max_prepared_statements', 100),
    instances: 1,
    adminUser: adminUserName(tools.appName),
    statsUser,
    authType: authTypeFor(userlist, statsUser),
    authQuery: info ? authQuery(info.authUser) : '',
    authFile,
    logFile: INSTANCE.logFile,
    pidFile: INSTANCE.pidFile,
    socketDir: INSTANCE.dir,
  });
  const userlistChanged = await workload.pushIfChanged(authFile, userlist);
  const iniChanged = await workload.pushIfChanged(INSTANCE.iniPath, ini);
  const previousPort = await tools.stateGetKey('current_port');
  if (!(await workload.hasLayer())) {
    await workload.addLayerAndReplan();
  } else if (userlistChanged || iniChanged || !(await workload.isRunning())) {
    const how = await workload.reload({ restart: previousPort !== undefined && previousPort !== String(port) });
    logger.info({ how }, `${how} pgbouncer`);
  }
  if (previousPort !== String(port)) await tools.stateSet({ current_port: String(port) });
  if (versionText) await tools.applicationVersionSet(versionText.split(' ')[1] ?? versionText);

  if (leader && info && backendReady) await publishClients(ctx, info, clients, ownEndpoint);

  // update_status
  if (!info) return tools.statusSet('blocked', 'waiting for backend database relation to initialise');
  if (!backendReady) return tools.statusSet('blocked', 'backend database relation not ready');
  if (service?.kind === 'forbidden') return tools.statusSet('blocked', `Insufficient permissions, try: \`juju trust ${tools.appName} --scope=cluster\``);
  if (service !== undefined && service.kind !== 'done') return tools.statusSet('blocked', 'K8s service not connectable');
  if (!(await workload.isRunning())) {
    const [state] = await workload.pebble.services([SERVICE]);
    return tools.statusSet('blocked', `PgBouncer service ${SERVICE} not running: service status = ${state?.current ?? 'unknown'}`);
  }
  await tools.statusSet('active', '');
}

/** update-status, leader: the server's databases no client asked for (`_collect_readonly_dbs`). */
async function collectOtherDatabases(ctx: Ctx): Promise<void> {
  const { tools } = ctx;
  const peers = await peerRelation(tools);
  if (!peers || !(await tools.isLeader())) return;
  const info = await readBackend(tools, await backendRelation(tools));
  if (!info) return;
  const asked = new Set([...Object.values(await readRelationDatabases(tools, peers)).map((d) => d.name), POSTGRES_DATABASE, BACKEND_DATABASE]);
  try {
    const names = (await serverDatabases(info)).filter((name) => !asked.has(name)).sort();
    await writeOtherDatabases(tools, peers, names);
  } catch (error) {
    ctx.logger.warn({ err: error }, 'PostgreSQL connection failed');
  }
}

function createDispatcher(logger: Logger): Dispatcher<Ctx> {
  const dispatcher = new Dispatcher<Ctx>({ logger });
  dispatcher.on('relation-created', BACKEND_ENDPOINT, async (event, ctx) => {
    await backendRequirer(ctx.tools).relationCreated(event.relation);
  });
  dispatcher.on('relation-changed', BACKEND_ENDPOINT, async (event, ctx) => {
    const events = await backendRequirer(ctx.tools).relationChanged(event.relation, event.remoteApp);
    if (events.length > 0) ctx.logger.info({ events: events.map((e) => e.kind) }, 'backend-database events');
  });
  dispatcher.on('relation-departed', BACKEND_ENDPOINT, backendDeparted);
  dispatcher.on('relation-departed', CLIENT_ENDPOINT, async (event, { tools }) => {
    const peers = await peerRelation(tools);
    if (event.departingUnit === tools.unitName && peers) await tools.relationSet(peers, { [departFlag(event.relation)]: 'true' });
  });
  dispatcher.on('relation-broken', BACKEND_ENDPOINT, backendBroken);
  dispatcher.on('relation-broken', CLIENT_ENDPOINT, clientBroken);
  dispatcher.on('update-status', (_event, ctx) => collectOtherDatabases(ctx));
  return dispatcher;
}

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const logger = createLogger({ base: { unit: env['JUJU_UNIT_NAME'], dispatch: env['JUJU_DISPATCH_PATH'] } });
  const dispatch = parseDispatchContext(env);
  const metadata = await loadCharmMetadata(dispatch.charmDir);
  const event = eventFromContext(dispatch, metadata);
  const tools = new HookTools(processToolRunner(), { unitName: dispatch.unitName, modelUuid: dispatch.modelUuid, logger });
  const ctx: Ctx = { dispatch, tools, logger };
  const code = await runDispatch({ dispatcher: createDispatcher(logger), event, context: ctx, actionFail: (message) => tools.actionFail(message), logger });
  if (code !== 0 || event.kind === 'action' || event.kind === 'unknown' || event.kind === 'remove' || event.kind === 'stop') return code;
  try {
    await reconcile(ctx, event.kind === 'relation-broken' ? { broken: event.relation } : {});
    return 0;
  } catch (error) {
    logger.error({ err: error }, `reconcile failed: ${errorMessage(error)}`);
    return 1;
  }
}

runCharm('pgbouncer', main);
