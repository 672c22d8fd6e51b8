import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { errorMessage, isCharmError } from '../../../../src/errors.ts';
import { parseDispatchContext, type DispatchContext } from '../../../../src/juju/context.ts';
import { Dispatcher, runDispatch } from '../../../../src/juju/dispatcher.ts';
import { eventFromContext, type CharmEvent } from '../../../../src/juju/events.ts';
import { HookTools, processToolRunner, type RelationRef } from '../../../../src/juju/hook-tools.ts';
import { loadCharmMetadata } from '../../../../src/juju/metadata.ts';
import { createLogger, type Logger } from '../../../../src/logging.ts';
import { PebbleClient } from '../../../../src/pebble/index.ts';
import { PgsqlRequirer } from '../../lib/pgsql-requirer.ts';
import { configString, databaseName, databaseRequirer, DATABASE_ENDPOINT, DB_ENDPOINT, holding, relationsOf, TABLE, type Holding, type Target } from './connection.ts';
import { runCharm } from '../../lib/run-charm.ts';

/**
 * test-client: a data_interfaces requirer on `database` and an ops-lib-pgsql client on `db`,
 * whose workload (container `client`) is a continuous writer run by Pebble. Every hook ends by
 * setting the unit status from what the client holds. Requirer events are counted in the unit's
 * charm state, so `report` can say e.g. that database_created fired exactly once.
 */

const CONTAINER = 'client';
const SERVICE = 'continuous-writes';
const STATE_DIR = '/var/lib/test-client';
const EVENTS_KEY = 'events';
const CONNECT_TIMEOUT_MS = 2_000;

interface Ctx {
  dispatch: DispatchContext;
  tools: HookTools;
  logger: Logger;
}

async function countEvents(tools: HookTools, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  const counts = JSON.parse((await tools.stateGetKey(EVENTS_KEY)) ?? '{}') as Record<string, number>;
  for (const name of names) counts[name] = (counts[name] ?? 0) + 1;
  await tools.stateSet({ [EVENTS_KEY]: JSON.stringify(counts) });
}

const pebble = (logger: Logger) => PebbleClient.forContainer(CONTAINER, { logger });

async function writerRunning(logger: Logger): Promise<boolean> {
  const client = pebble(logger);
  if (!(await client.canConnect())) return false;
  const [service] = await client.services([SERVICE]);
  return service?.current === 'active';
}

/** Push the writer and its config into the container and (re)start its service. */
async function startWriter(ctx: Ctx, target: Target, intervalMs: number): Promise<void> {
  const client = pebble(ctx.logger);
  const program = await readFile(path.join(ctx.dispatch.charmDir, 'dist', 'workload.cjs'));
  await client.push(`${STATE_DIR}/writer.cjs`, program, { makeDirs: true });
  await client.push(`${STATE_DIR}/writer.json`, JSON.stringify({ target, intervalMs }), { makeDirs: true, permissions: 0o600 });
  // The image's Node; in the sandbox the container sees this machine's.
  const node = await realpath(path.join(ctx.dispatch.charmDir, 'node', 'bin', 'node'));
  await client.addLayer(
    'test-client',
    {
      summary: 'continuous writer',
      services: { [SERVICE]: { override: 'replace', summary: 'writes rows continuously', command: `${node} ${STATE_DIR}/writer.cjs ${STATE_DIR}`, startup: 'disabled' } },
    },
    { combine: true },
  );
  await client.restart([SERVICE]);
}

async function connect(target: Target): Promise<pg.Client> {
  const client = new pg.Client({ ...target, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, query_timeout: 10_000, application_name: 'test-client' });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

async function countRows(target: Target): Promise<Record<string, string | number>> {
  const client = await connect(target);
  try {
    const exists = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [TABLE]);
    if (exists.rows[0]?.t === null) return { host: target.host, count: 0, 'max-id': 0, table: 'absent' };
    const { rows } = await client.query<{ count: string; max: string | null }>(`SELECT count(*)::text AS count, max(id)::text AS max FROM ${TABLE}`);
    return { host: target.host, count: Number(rows[0]?.count ?? 0), 'max-id': Number(rows[0]?.max ?? 0) };
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function requireReady(tools: HookTools): Promise<Holding & { primary: Target }> {
  const held = await holding(tools);
  if (held === undefined) throw new Error('no database relation');
  if (!held.ready || held.primary === undefined) throw new Error(`the database is not ready yet (${held.mode})`);
  return held as Holding & { primary: Target };
}

async function pullText(logger: Logger, file: string): Promise<string | undefined> {
  try {
    return await pebble(logger).pullText(file);
  } catch (error) {
    if (isCharmError(error)) return undefined;
    throw error;
  }
}

/** The status that says what the client holds. */
async function setStatus(tools: HookTools, broken?: RelationRef): Promise<void> {
  const relations = await relationsOf(tools);
  const live = (list: readonly RelationRef[]) => list.filter((r) => !(broken && r.endpoint === broken.endpoint && r.id === broken.id)).length;
  if (live(relations.database) > 0 && live(relations.db) > 0) {
    await tools.statusSet('blocked', 'relate database or db, not both');
    return;
  }
  const held = await holding(tools, broken);
  if (held === undefined) await tools.statusSet('waiting', 'waiting for database');
  else if (held.ready) await tools.statusSet('active', 'database ready');
  else await tools.statusSet('waiting', held.problem ? `waiting for database: ${held.problem}` : 'waiting for database');
}

function createDispatcher(ctx: Ctx): Dispatcher<Ctx> {
  const dispatcher = new Dispatcher<Ctx>({ logger: ctx.logger });

  dispatcher.on('relation-created', DATABASE_ENDPOINT, async (event, { tools }) => {
    await (await databaseRequirer(tools)).relationCreated(event.relation);
    await countEvents(tools, ['database-relation-created']);
  });
  dispatcher.on('relation-changed', DATABASE_ENDPOINT, async (event, c) => {
    const events = await (await databaseRequirer(c.tools)).relationChanged(event.relation, event.remoteApp);
    await countEvents(c.tools, events.map((e) => e.kind));
    if (events.some((e) => e.kind === 'database-created' || e.kind === 'endpoints-changed') && (await writerRunning(c.logger))) {
      const held = await requireReady(c.tools);
      await startWriter(c, held.primary, await currentInterval(c.logger));
    }
  });
  dispatcher.on('relation-broken', DATABASE_ENDPOINT, async (_event, { tools }) => countEvents(tools, ['database-relation-broken']));

  dispatcher.on('relation-joined', DB_ENDPOINT, async (event, { tools }) => {
    const db = new PgsqlRequirer(tools, DB_ENDPOINT);
    const events = await db.relationJoined(event.relation);
    if (events.includes('database-relation-joined') && (await tools.isLeader())) {
      const config = await tools.configGet();
      const extensions = configString(config, 'extensions')
        .split(',')
        .map((e) => e.trim())
        .filter((e) => e !== '');
      await db.request(event.relation, { database: databaseName(tools.appName, config['database-name']), extensions });
    }
    await countEvents(tools, events);
  });
  dispatcher.on('relation-changed', DB_ENDPOINT, async (event, c) => {
    const events = await new PgsqlRequirer(c.tools, DB_ENDPOINT).relationChanged(event.relation);
    await countEvents(c.tools, events);
    if (events.includes('master-changed') && (await writerRunning(c.logger))) {
      const held = await holding(c.tools);
      if (held?.primary) await startWriter(c, held.primary, await currentInterval(c.logger));
    }
  });
  dispatcher.on('relation-broken', DB_ENDPOINT, async (event, { tools }) => {
    await countEvents(tools, await new PgsqlRequirer(tools, DB_ENDPOINT).relationBroken(event.relation));
  });
  for (const kind of ['leader-elected', 'leader-settings-changed'] as const) {
    dispatcher.on(kind, async (_event, { tools }) => {
      if ((await tools.relationIds(DB_ENDPOINT)).length > 0) await new PgsqlRequirer(tools, DB_ENDPOINT).mirror();
    });
  }
  dispatcher.on('secret-changed', async (_event, { tools }) => countEvents(tools, ['secret-changed']));
  // As data-integrator does: a changed database-name or extra-user-roles is written again into
  // the request, so a client that asked for something refused can fix it without relating again.
  dispatcher.on('config-changed', async (_event, { tools }) => {
    const [relation] = await tools.relationIds(DATABASE_ENDPOINT);
    if (relation === undefined || !(await tools.isLeader())) return;
    const config = await tools.configGet();
    await tools.relationSet(relation, { database: databaseName(tools.appName, config['database-name']), 'extra-user-roles': configString(config, 'extra-user-roles') }, { app: true });
  });

  dispatcher.on('action', 'start-continuous-writes', async (_event, c) => {
    const params = await c.tools.actionGet();
    const held = await requireReady(c.tools);
    const client = await connect(held.primary);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (id bigint PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT now())`);
      if (params['clear'] !== false) await client.query(`TRUNCATE ${TABLE}`);
    } finally {
      await client.end().catch(() => undefined);
    }
    if (params['clear'] !== false) {
      await pebble(c.logger).push(`${STATE_DIR}/acked.log`, '', { makeDirs: true });
      await pebble(c.logger).push(`${STATE_DIR}/status.json`, '{}\n', { makeDirs: true });
    }
    const interval = typeof params['interval-ms'] === 'number' ? params['interval-ms'] : 20;
    await startWriter(c, held.primary, interval);
    await c.tools.actionSet({ started: 'true', mode: held.mode, host: held.primary.host, database: held.primary.database });
  });

  dispatcher.on('action', 'stop-continuous-writes', async (_event, c) => {
    const client = pebble(c.logger);
    const [service] = await client.services([SERVICE]);
    if (service?.current === 'active') await client.stop([SERVICE]);
    const acked = ((await pullText(c.logger, `${STATE_DIR}/acked.log`)) ?? '').split('\n').filter((l) => l !== '').map(Number);
    const status = JSON.parse((await pullText(c.logger, `${STATE_DIR}/status.json`)) ?? '{}') as { uncertain?: number[]; failures?: number; connects?: number };
    await c.tools.actionSet({
      writes: acked.length,
      'last-written-id': acked.length === 0 ? 0 : Math.max(...acked),
      uncertain: JSON.stringify(status.uncertain ?? []),
      failures: status.failures ?? 0,
      connects: status.connects ?? 0,
    });
  });

  dispatcher.on('action', 'read', async (_event, c) => {
    const held = await requireReady(c.tools);
    const results: Record<string, Record<string, string | number>> = { primary: await countRows(held.primary) };
    if (held.replica !== undefined) {
      try {
        results['replica'] = await countRows(held.replica);
      } catch (error) {
        results['replica'] = { host: held.replica.host, error: errorMessage(error) };
      }
    } else {
      results['replica'] = { error: 'no read-only endpoint' };
    }
    await c.tools.actionSet({ mode: held.mode, ...results });
  });

  dispatcher.on('action', 'get-credentials', async (_event, c) => {
    const params = await c.tools.actionGet();
    const held = await holding(c.tools);
    if (held === undefined) throw new Error('no database relation');
    const show = params['show-password'] === true;
    const results: Record<string, string> = { mode: held.mode, ready: String(held.ready), 'has-password': String(Boolean(held.password)) };
    const fields: Array<[string, string | undefined]> = [
      ['endpoints', held.endpoints],
      ['read-only-endpoints', held.readOnlyEndpoints],
      ['database', held.database],
      ['username', held.username],
      ['version', held.version],
      ['tls', held.tls],
      ['tls-ca', held.tlsCa],
    ];
    if (show) fields.push(['password', held.password], ['uris', held.uris], ['read-only-uris', held.readOnlyUris]);
    for (const [key, value] of fields) if (value !== undefined) results[key] = value;
    await c.tools.actionSet(results);
  });

  dispatcher.on('action', 'report', async (_event, c) => {
    const counts = JSON.parse((await c.tools.stateGetKey(EVENTS_KEY)) ?? '{}') as Record<string, number>;
    const status = await c.tools.statusGet();
    await c.tools.actionSet({ events: JSON.stringify(counts), status: status.status, message: status.message, 'writer-running': String(await writerRunning(c.logger)) });
  });
  return dispatcher;
}

async function currentInterval(logger: Logger): Promise<number> {
  const text = await pullText(logger, `${STATE_DIR}/writer.json`);
  const value = text === undefined ? undefined : (JSON.parse(text) as { intervalMs?: number }).intervalMs;
  return typeof value === 'number' ? value : 20;
}

async function main(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const logger = createLogger({ base: { charm: 'test-client', unit: env['JUJU_UNIT_NAME'], dispatch: env['JUJU_DISPATCH_PATH'] } });
  const dispatch = parseDispatchContext(env);
  const metadata = await loadCharmMetadata(dispatch.charmDir);
  const event: CharmEvent = eventFromContext(dispatch, metadata);
  const tools = new HookTools(processToolRunner(), { unitName: dispatch.unitName, modelUuid: dispatch.modelUuid, logger });
  const ctx: Ctx = { dispatch, tools, logger };
  const code = await runDispatch({ dispatcher: createDispatcher(ctx), event, context: ctx, actionFail: (message) => tools.actionFail(message), logger });
  if (code === 0 && event.kind !== 'action' && event.kind !== 'unknown') {
    await setStatus(tools, event.kind === 'relation-broken' ? event.relation : undefined);
  }
  return code;
}

runCharm('test-client', main);
