import type * as z from 'zod/mini';
import type { Logger } from '../logging.ts';
import { classifyHookToolFailure, HookToolOutputError, InvalidHookToolArgumentError } from './errors.ts';
import {
  flattenActionResults,
  parseOpenedPort,
  portArgs,
  redactArgs,
  splitLogMessage,
  type ActionResults,
  type OpenedPort,
  type PortSpec,
} from './hook-tool-args.ts';
import * as schema from './hook-tool-schemas.ts';
import { cacheKey, ReadCache } from './read-cache.ts';
import { formatRelationRef, parseRelationRef, type RelationRef } from './relation-ref.ts';
import { SecretTools, type SecretAddOptions, type SecretLookup, type SecretSetOptions } from './secret-tools.ts';
import type { ToolRunner, ToolRunOptions } from './tool-runner.ts';

export { processToolRunner } from './process-tool-runner.ts';
export type { ActionResults, OpenedPort, PortSpec } from './hook-tool-args.ts';
export type { AppStatusInfo, ConfigValue, GoalState, NetworkInfo, SecretInfo, StatusInfo, StorageInfo } from './hook-tool-schemas.ts';
export type { RelationRef } from './relation-ref.ts';
export type { SecretAddOptions, SecretLookup, SecretSetOptions } from './secret-tools.ts';

export type SettableStatus = 'maintenance' | 'blocked' | 'waiting' | 'active';
export type LogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';
/** Either bucket of a relation: a unit's (`{ unit }`) or an application's (`{ app }`). */
export type BucketOwner = { unit: string } | { app: string };

export interface HookToolsOptions {
  /** This unit (`app/n`): relation-set writes its buckets, so their cached reads are updated. */
  unitName: string;
  /** Canonicalises bare secret ids to `secret://<model-uuid>/<id>`, as ops does. */
  modelUuid?: string;
  logger?: Logger;
  /** Clock for the is-leader lease (ms). */
  now?: () => number;
}

/** ops trusts an is-leader answer for 30 s, Juju's leadership lease guarantee. */
const LEADERSHIP_TRUST_MS = 30_000;
const SETTABLE_STATUSES: ReadonlySet<string> = new Set(['maintenance', 'blocked', 'waiting', 'active']);

/**
 * Typed hook tools for one dispatch, with ops's exact argv (docs/hook-tools.md). Create one per
 * dispatch: reads are memoised for the life of the instance, and each write updates or drops
 * exactly the cached reads it changes (Juju serves our own pending writes back within a hook).
 */
export class HookTools {
  readonly unitName: string;
  readonly appName: string;
  readonly #secrets: SecretTools;
  readonly #runner: ToolRunner;
  readonly #cache = new ReadCache();
  readonly #logger: Logger | undefined;
  readonly #now: () => number;
  #leader: { value: Promise<boolean>; at: number } | undefined;

  constructor(runner: ToolRunner, options: HookToolsOptions) {
    this.#runner = runner;
    this.unitName = options.unitName;
    this.appName = options.unitName.split('/')[0] ?? options.unitName;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#secrets = new SecretTools(
      { run: (tool, args, opts) => this.run(tool, args, opts), json: (tool, args, s) => this.json(tool, args, s) },
      this.#cache,
      options.modelUuid,
    );
  }

  /** Run a tool; a non-zero exit becomes the most specific HookToolError. Returns stdout. */
  async run(tool: string, args: readonly string[], options?: ToolRunOptions): Promise<string> {
    const started = this.#now();
    const result = await this.#runner.run(tool, args, options);
    const shownArgs = redactArgs(tool, args);
    this.#logger?.debug({ tool, args: shownArgs, exitCode: result.exitCode, ms: this.#now() - started }, 'hook tool ran');
    if (result.exitCode !== 0) throw classifyHookToolFailure(tool, shownArgs, result);
    return result.stdout;
  }

  /** Run a tool that prints JSON and validate the output. */
  async json<T>(tool: string, args: readonly string[], outputSchema: z.ZodMiniType<T>): Promise<T> {
    const stdout = await this.run(tool, args);
    let parsed: unknown;
    try {
      parsed = JSON.parse(stdout);
    } catch (error) {
      throw new HookToolOutputError(tool, redactArgs(tool, args), 'not JSON', { cause: error });
    }
    const result = outputSchema.safeParse(parsed);
    if (!result.success) {
      const where = result.error.issues.map((issue) => `${issue.path.join('.') || '(top)'}: ${issue.message}`).join('; ');
      throw new HookToolOutputError(tool, redactArgs(tool, args), where, { cause: result.error });
    }
    return freeze(result.data);
  }

  #read<T>(key: string, tool: string, args: readonly string[], outputSchema: z.ZodMiniType<T>): Promise<T> {
    return this.#cache.get(key, () => this.json(tool, args, outputSchema));
  }

  /** Forget every memoised read (e.g. after waiting long enough for other units to act). */
  clearCache(): void {
    this.#cache.clear();
    this.#leader = undefined;
  }

  // --- config, leadership, goal state -------------------------------------------------------

  configGet(): Promise<Readonly<Record<string, schema.ConfigValue>>> {
    return this.#read('config-get', 'config-get', ['--format=json'], schema.configSchema());
  }

  /** Cached for 30 s measured from before the call, as ops does. */
  isLeader(): Promise<boolean> {
    const now = this.#now();
    if (this.#leader && now - this.#leader.at < LEADERSHIP_TRUST_MS) return this.#leader.value;
    const entry = { value: this.json('is-leader', ['--format=json'], schema.booleanSchema()), at: now };
    this.#leader = entry;
    entry.value.catch(() => {
      if (this.#leader === entry) this.#leader = undefined;
    });
    return entry.value;
  }

  goalState(): Promise<schema.GoalState> {
    return this.#read('goal-state', 'goal-state', ['--format=json'], schema.goalStateSchema());
  }

  // --- relations ----------------------------------------------------------------------------

  relationIds(endpoint: string): Promise<readonly RelationRef[]> {
    return this.#cache.get(cacheKey('relation-ids', endpoint), async () => {
      const ids = await this.json('relation-ids', [endpoint, '--format=json'], schema.stringListSchema());
      return freeze(
        ids.map((value) => {
          const ref = parseRelationRef(value);
          if (!ref) throw new HookToolOutputError('relation-ids', [endpoint, '--format=json'], `bad relation id ${JSON.stringify(value)}`);
          return { endpoint, id: ref.id };
        }),
      );
    });
  }

  /** Remote units in scope (the departing unit is already gone in -departed). */
  relationList(relation: RelationRef): Promise<readonly string[]> {
    const ref = formatRelationRef(relation);
    return this.#read(cacheKey('relation-list', ref), 'relation-list', ['--format=json', '-r', ref], schema.stringListSchema());
  }

  /** The remote application's name, or undefined if Juju does not know it. */
  async relationRemoteApp(relation: RelationRef): Promise<string | undefined> {
    const ref = formatRelationRef(relation);
    const args = ['--format=json', '--app', '-r', ref];
    const app = await this.#read(cacheKey('relation-list-app', ref), 'relation-list', args, schema.nullableStringSchema());
    return app ?? undefined;
  }

  /** A whole bucket; our own buckets include what this hook has already written. */
  relationGet(relation: RelationRef, owner: BucketOwner): Promise<Readonly<Record<string, string>>> {
    const ref = formatRelationRef(relation);
    const args = 'app' in owner ? ['--format=json', '-r', ref, '--app', '-', owner.app] : ['--format=json', '-r', ref, '-', owner.unit];
    return this.#read(bucketKey(ref, owner), 'relation-get', args, schema.bucketSchema());
  }

  /**
   * Merge `changes` into our unit bucket (or, with `app`, our application bucket — leader only).
   * An empty string deletes a key. Sent as JSON on stdin (`--file -`) so no value is in argv.
   */
  async relationSet(relation: RelationRef, changes: Readonly<Record<string, string>>, options: { app?: boolean } = {}): Promise<void> {
    const entries = Object.entries(changes);
    if (entries.length === 0) return;
    for (const [key, value] of entries) {
      if (typeof value !== 'string') throw new InvalidHookToolArgumentError('relation-set', `value of ${JSON.stringify(key)} must be a string`);
    }
    const ref = formatRelationRef(relation);
    const args = options.app ? ['-r', ref, '--app', '--file', '-'] : ['-r', ref, '--file', '-'];
    await this.run('relation-set', args, { stdin: JSON.stringify(changes) });
    const owner: BucketOwner = options.app ? { app: this.appName } : { unit: this.unitName };
    this.#cache.update<Readonly<Record<string, string>>>(bucketKey(ref, owner), (bucket) => {
      const merged: Record<string, string> = { ...bucket };
      for (const [key, value] of entries) {
        if (value === '') delete merged[key];
        else merged[key] = value;
      }
      return freeze(merged);
    });
  }

  // --- status and version -------------------------------------------------------------------

  statusGet(): Promise<schema.StatusInfo>;
  statusGet(options: { application: true }): Promise<schema.AppStatusInfo>;
  statusGet(options: { application: false }): Promise<schema.StatusInfo>;
  statusGet(options: { application?: boolean } = {}): Promise<schema.StatusInfo | schema.AppStatusInfo> {
    const app = options.application === true;
    const args = ['--include-data', '--format=json', `--application=${app}`];
    return app
      ? this.#read(cacheKey('status-get', 'app'), 'status-get', args, schema.appStatusSchema())
      : this.#read(cacheKey('status-get', 'unit'), 'status-get', args, schema.unitStatusSchema());
  }

  /** Immediate (not transactional). `application` needs leadership. */
  async statusSet(status: SettableStatus, message = '', options: { application?: boolean } = {}): Promise<void> {
    if (!SETTABLE_STATUSES.has(status)) {
      const problem = `status must be one of maintenance, blocked, waiting, active; got ${JSON.stringify(status)}`;
      throw new InvalidHookToolArgumentError('status-set', problem);
    }
    const app = options.application === true;
    await this.run('status-set', [`--application=${app ? 'True' : 'False'}`, status, '--', message]);
    this.#cache.delete(cacheKey('status-get', app ? 'app' : 'unit'));
  }

  async applicationVersionSet(version: string): Promise<void> {
    await this.run('application-version-set', ['--', version]);
  }

  // --- actions ------------------------------------------------------------------------------

  /** The action's params (nested objects preserved). Never log them: they may hold passwords. */
  actionGet(): Promise<Readonly<Record<string, unknown>>> {
    return this.#read('action-get', 'action-get', ['--format=json'], schema.actionParamsSchema());
  }

  async actionSet(results: ActionResults): Promise<void> {
    const flat = flattenActionResults(results);
    if (flat.size === 0) return;
    await this.run('action-set', [...flat].map(([key, value]) => `${key}=${value}`));
  }

  async actionLog(message: string): Promise<void> {
    await this.run('action-log', ['--', message]);
  }

  /** Marks the action failed; the process carries on and results set so far are kept. */
  async actionFail(message = ''): Promise<void> {
    await this.run('action-fail', ['--', message]);
  }

  // --- logging ------------------------------------------------------------------------------

  /** Over-long messages are split as ops splits them (argv entries are limited to 128 KiB). */
  async jujuLog(level: LogLevel, message: string): Promise<void> {
    for (const line of splitLogMessage(message)) {
      await this.run('juju-log', ['--log-level', level, '--', line]);
    }
  }

  // --- network and ports --------------------------------------------------------------------

  /** `relationId` is a plain integer here, as ops passes it. */
  networkGet(binding: string, relationId?: number): Promise<schema.NetworkInfo> {
    const args = relationId === undefined ? ['--format=json', binding] : ['--format=json', '-r', String(relationId), binding];
    return this.#read(cacheKey('network-get', binding, relationId ?? ''), 'network-get', args, schema.networkSchema());
  }

  /** Transactional; `opened-ports` will not show it until the hook has committed. */
  async openPort(spec: PortSpec): Promise<void> {
    await this.run('open-port', portArgs('open-port', spec));
  }

  async closePort(spec: PortSpec): Promise<void> {
    await this.run('close-port', portArgs('close-port', spec));
  }

  /** Committed ports only; unrecognised entries are skipped, as ops skips them. */
  openedPorts(): Promise<readonly OpenedPort[]> {
    return this.#cache.get('opened-ports', async () => {
      const entries = await this.json('opened-ports', ['--format=json'], schema.stringListSchema());
      return freeze(entries.map(parseOpenedPort).filter((port): port is OpenedPort => port !== undefined));
    });
  }

  // --- secrets (see SecretTools for the memo rules) ------------------------------------------

  /** Content goes through 0600 temp files (`key#file=…`), never argv. Returns the new URI. */
  secretAdd(content: Record<string, string>, options: SecretAddOptions): Promise<string> {
    return this.#secrets.add(content, options);
  }

  secretGet(lookup: SecretLookup, options?: { peek?: boolean; refresh?: boolean }): Promise<Readonly<Record<string, string>>> {
    return this.#secrets.get(lookup, options);
  }

  secretInfoGet(lookup: { id: string; label?: undefined } | { label: string; id?: undefined }): Promise<schema.SecretInfo> {
    return this.#secrets.infoGet(lookup);
  }

  secretSet(id: string, options: SecretSetOptions): Promise<void> {
    return this.#secrets.set(id, options);
  }

  secretGrant(id: string, relationId: number, unit?: string): Promise<void> {
    return this.#secrets.grant(id, relationId, unit);
  }

  secretRevoke(id: string, relationId: number, unit?: string): Promise<void> {
    return this.#secrets.revoke(id, relationId, unit);
  }

  secretRemove(id: string, revision?: number): Promise<void> {
    return this.#secrets.remove(id, revision);
  }

  secretIds(): Promise<readonly string[]> {
    return this.#secrets.ids();
  }

  // --- unit state (controller-side, transactional) ------------------------------------------

  stateGet(): Promise<Readonly<Record<string, string>>> {
    return this.#read('state-get', 'state-get', ['--format=json'], schema.stateSchema());
  }

  /** One key; undefined when missing. Served from the whole map when that is already cached. */
  async stateGetKey(key: string): Promise<string | undefined> {
    if (this.#cache.has('state-get')) return (await this.stateGet())[key];
    const value = await this.#read(cacheKey('state-get', key), 'state-get', ['--format=json', key], schema.stateValueSchema());
    return value ?? undefined;
  }

  /** Values go on stdin (`--file -`), never argv. */
  async stateSet(values: Readonly<Record<string, string>>): Promise<void> {
    const entries = Object.entries(values);
    if (entries.length === 0) return;
    await this.run('state-set', ['--file', '-'], { stdin: JSON.stringify(values) });
    if (entries.some(([, value]) => value === '')) {
      // What Juju does with an empty value is unverified: read it back rather than guess.
      this.#cache.delete('state-get');
    } else {
      this.#cache.update<Readonly<Record<string, string>>>('state-get', (state) => freeze({ ...state, ...values }));
    }
    for (const [key, value] of entries) {
      if (value === '') this.#cache.delete(cacheKey('state-get', key));
      else this.#cache.set(cacheKey('state-get', key), Promise.resolve(value));
    }
  }

  async stateDelete(key: string): Promise<void> {
    await this.run('state-delete', [key]);
    this.#cache.update<Readonly<Record<string, string>>>('state-get', (state) => {
      const { [key]: _removed, ...rest } = state;
      return freeze(rest);
    });
    this.#cache.set(cacheKey('state-get', key), Promise.resolve(null));
  }

  // --- storage ------------------------------------------------------------------------------

  storageGet(name: string, index: number): Promise<schema.StorageInfo> {
    const id = `${name}/${index}`;
    return this.#read(cacheKey('storage-get', id), 'storage-get', ['--format=json', '-s', id], schema.storageSchema());
  }

  /** Instances of one storage (or all), as `{ name, index }`. */
  storageList(name?: string): Promise<readonly { name: string; index: number }[]> {
    const args = name === undefined ? ['--format=json'] : ['--format=json', name];
    return this.#cache.get(cacheKey('storage-list', name ?? ''), async () => {
      const ids = await this.json('storage-list', args, schema.stringListSchema());
      return freeze(
        ids.map((id) => {
          const slash = id.lastIndexOf('/');
          const index = Number(id.slice(slash + 1));
          if (slash <= 0 || !Number.isInteger(index)) throw new HookToolOutputError('storage-list', args, `bad storage id ${JSON.stringify(id)}`);
          return { name: id.slice(0, slash), index };
        }),
      );
    });
  }
}

function bucketKey(ref: string, owner: BucketOwner): string {
  return 'app' in owner ? cacheKey('relation-get', ref, 'app', owner.app) : cacheKey('relation-get', ref, 'unit', owner.unit);
}

/** Cached results are shared by every caller in the hook, so nobody may mutate them. */
function freeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) freeze(child);
  }
  return value;
}
