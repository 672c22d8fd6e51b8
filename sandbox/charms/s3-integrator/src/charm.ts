import { pythonJsonDumps } from '../../lib/python-json.ts';
import { parseDispatchContext } from '../../../../src/juju/context.ts';
import { Dispatcher, runDispatch } from '../../../../src/juju/dispatcher.ts';
import { eventFromContext } from '../../../../src/juju/events.ts';
import { HookTools, processToolRunner, type RelationRef } from '../../../../src/juju/hook-tools.ts';
import { loadCharmMetadata } from '../../../../src/juju/metadata.ts';
import { createLogger } from '../../../../src/logging.ts';
import { runCharm } from '../../lib/run-charm.ts';

/**
 * s3-integrator (canonical/s3-integrator `src/charm.py`, data_platform_libs `s3.py` v0
 * `S3Provider`): options come from config, keys (and a requested bucket) live in the peer app
 * bag; each relation's app bag gets every
 * option that is set (lists as JSON, the rest as text), plus `data`, the library's snapshot of
 * the requirer's bag. A requirer asking for a bucket gets everything; a config change rewrites
 * the options and deletes reset ones; sync-s3-credentials writes the keys to every relation.
 */

const PEER = 's3-integrator-peers';
const PROVIDES = 's3-credentials';
/** The databag keys in the real charm's order (`S3_OPTIONS`). */
const S3_OPTIONS = ['access-key', 'secret-key', 'region', 'storage-class', 'attributes', 'bucket', 'endpoint', 'path', 's3-api-version', 's3-uri-style', 'tls-ca-chain', 'delete-older-than-days'] as const;
const LIST_OPTIONS = new Set(['attributes', 'tls-ca-chain']);
const CONFIG_OPTIONS: Readonly<Record<string, string>> = {
  region: 'region',
  'storage-class': 'storage-class',
  attributes: 'attributes',
  bucket: 'bucket',
  endpoint: 'endpoint',
  path: 'path',
  's3-api-version': 's3-api-version',
  's3-uri-style': 's3-uri-style',
  'tls-ca-chain': 'tls-ca-chain',
  'delete-older-than-days': 'experimental-delete-older-than-days',
};

/** `parse_ca_chain`: the certificates of a PEM bundle, each from BEGIN to END. */
export function parseCaChain(pem: string): string[] {
  const chain = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (chain.length === 0) throw new Error('No certificate found in chain file');
  return chain;
}

/** One option as the peer bag stores it: lists JSON-encoded. */
function storedValue(option: string, raw: string | number | boolean): string {
  if (option === 'attributes') return pythonJsonDumps(String(raw).split(','));
  if (option === 'tls-ca-chain') return pythonJsonDumps(parseCaChain(Buffer.from(String(raw), 'base64').toString('utf8')));
  return String(raw);
}

async function main(): Promise<number> {
  const logger = createLogger({ base: { charm: 's3-integrator' } });
  const dispatch = parseDispatchContext(process.env);
  const event = eventFromContext(dispatch, await loadCharmMetadata(dispatch.charmDir));
  const tools = new HookTools(processToolRunner(), { unitName: dispatch.unitName, modelUuid: dispatch.modelUuid, logger });
  const peer = async (): Promise<RelationRef | undefined> => (await tools.relationIds(PEER))[0];
  const stored = async (): Promise<Record<string, string>> => {
    const ref = await peer();
    return ref === undefined ? {} : { ...(await tools.relationGet(ref, { app: tools.appName })) };
  };
  const store = async (changes: Record<string, string>): Promise<void> => {
    const ref = await peer();
    if (ref !== undefined && Object.keys(changes).length > 0) await tools.relationSet(ref, changes, { app: true });
  };
  /** What the relation bag carries: every stored option, lists as the JSON they are stored as. */
  const connectionInfo = (options: Record<string, string>): Record<string, string> =>
    Object.fromEntries(S3_OPTIONS.filter((option) => options[option] !== undefined && options[option] !== '').map((option) => [option, options[option] ?? '']));
  const relations = () => tools.relationIds(PROVIDES);

  /** The options as config says them (lists encoded), '' for those unset. */
  const configOptions = async (): Promise<Record<string, string>> => {
    const config = await tools.configGet();
    const options: Record<string, string> = {};
    for (const [option, key] of Object.entries(CONFIG_OPTIONS)) {
      const value = config[key];
      options[option] = value === undefined || value === null || value === '' ? '' : storedValue(option, value as string | number | boolean);
    }
    return options;
  };
  /** Config, the synced keys, and the bucket a requirer asked for when config names none. */
  const currentOptions = async (): Promise<Record<string, string>> => {
    const [config, peerBag] = await Promise.all([configOptions(), stored()]);
    return { ...config, 'access-key': peerBag['access-key'] ?? '', 'secret-key': peerBag['secret-key'] ?? '', bucket: config['bucket'] || (peerBag['bucket'] ?? '') };
  };

  const dispatcher = new Dispatcher<HookTools>({ logger });
  dispatcher.on('config-changed', async () => {
    if (!(await tools.isLeader())) return;
    const options = await currentOptions();
    // Set options are written, reset ones deleted ('' removes a key), in every relation.
    const changes = Object.fromEntries(Object.keys(CONFIG_OPTIONS).map((option) => [option, options[option] ?? '']));
    for (const ref of await relations()) await tools.relationSet(ref, changes, { app: true });
  });
  dispatcher.on('relation-changed', PROVIDES, async (e) => {
    if (!(await tools.isLeader()) || e.remoteApp === undefined) return;
    const request = await tools.relationGet(e.relation, { app: e.remoteApp });
    const ours = await tools.relationGet(e.relation, { app: tools.appName });
    const previous = JSON.parse(ours['data'] ?? '{}') as Record<string, string>;
    // The library's diff: a bucket newly in the requirer's bag is a credentials request.
    const requested = request['bucket'] !== undefined && previous['bucket'] === undefined;
    const snapshot = { data: pythonJsonDumps(request) };
    if (!requested) {
      await tools.relationSet(e.relation, snapshot, { app: true });
      return;
    }
    const options = await currentOptions();
    if (!options['bucket']) {
      options['bucket'] = request['bucket'] ?? '';
      await store({ bucket: options['bucket'] });
    }
    await tools.relationSet(e.relation, { ...snapshot, ...connectionInfo(options) }, { app: true });
  });
  dispatcher.on('action', 'sync-s3-credentials', async () => {
    if (!(await tools.isLeader())) {
      await tools.actionFail('The action can be run only on leader unit.');
      return;
    }
    const params = await tools.actionGet();
    const credentials = { 'access-key': String(params['access-key'] ?? ''), 'secret-key': String(params['secret-key'] ?? '') };
    await store(credentials);
    for (const ref of await relations()) await tools.relationSet(ref, credentials, { app: true });
    await tools.actionSet(credentials);
  });
  dispatcher.on('action', 'get-s3-credentials', async () => {
    const options = await stored();
    if (!options['access-key'] || !options['secret-key']) {
      await tools.actionFail('Credentials are not set!');
      return;
    }
    await tools.actionSet({ 'access-key': options['access-key'], 'secret-key': options['secret-key'] });
  });
  dispatcher.on('action', 'get-s3-connection-info', async () => {
    const info = connectionInfo(await currentOptions());
    if (Object.keys(info).length === 0) {
      await tools.actionFail('Credentials are not set!');
      return;
    }
    await tools.actionSet(info);
  });
  const code = await runDispatch({ dispatcher, event, context: tools, actionFail: (m) => tools.actionFail(m), logger });
  if (code === 0 && event.kind !== 'action') {
    const options = await stored();
    const missing = ['access-key', 'secret-key'].filter((key) => !options[key]);
    if (missing.length > 0) await tools.statusSet('blocked', `Missing parameters: [${missing.map((key) => `'${key}'`).join(', ')}]`);
    else await tools.statusSet('active', '');
  }
  return code;
}

runCharm('s3-integrator', main);
