import type * as z from 'zod/mini';
import { HookToolOutputError, InvalidHookToolArgumentError } from './errors.ts';
import { canonicalSecretId, secretXid, toRfc3339, validateSecretContent } from './hook-tool-args.ts';
import { secretContentSchema, secretIdsSchema, secretInfoSchema, type RotatePolicy, type SecretInfo } from './hook-tool-schemas.ts';
import { cacheKey, type ReadCache } from './read-cache.ts';
import { withSecretFiles } from './secret-files.ts';
import type { ToolRunOptions } from './tool-runner.ts';

/** How SecretTools runs tools: HookTools's run/json, so errors and logging stay in one place. */
export interface ToolExecutor {
  run(tool: string, args: readonly string[], options?: ToolRunOptions): Promise<string>;
  json<T>(tool: string, args: readonly string[], schema: z.ZodMiniType<T>): Promise<T>;
}

export interface SecretMetadataOptions {
  label?: string;
  description?: string;
  /** A Date, or what Juju accepts: RFC 3339, `YYYY-MM-DDTHH:MM:SS` or a Go duration. */
  expire?: Date | string;
  rotate?: RotatePolicy;
}

export interface SecretAddOptions extends SecretMetadataOptions {
  owner: 'application' | 'unit';
}

export interface SecretSetOptions extends SecretMetadataOptions {
  /** New content (a new revision); omit for a metadata-only update. */
  content?: Record<string, string>;
}

/** Look a secret up by id, by label, or by id while (re)setting our label for it. */
export interface SecretLookup {
  id?: string;
  label?: string;
}

const SECRET_READS = ['secret-get', 'secret-info-get'] as const;

/**
 * The secret-* hook tools with their per-hook memo. Reads are keyed by secret id, or by label
 * while we do not know which id a label names; writes drop exactly the reads of that secret.
 * Content only ever travels through files (`key#file=…`) and stdout, never argv or logs.
 */
export class SecretTools {
  readonly #exec: ToolExecutor;
  readonly #cache: ReadCache;
  readonly #modelUuid: string | undefined;
  /** label → xid, as learned from our own calls. */
  readonly #labels = new Map<string, string>();

  constructor(exec: ToolExecutor, cache: ReadCache, modelUuid: string | undefined) {
    this.#exec = exec;
    this.#cache = cache;
    this.#modelUuid = modelUuid;
  }

  /** Create a secret; returns its URI. */
  async add(content: Record<string, string>, options: SecretAddOptions): Promise<string> {
    validateSecretContent('secret-add', content);
    const args = [...metadataArgs('secret-add', options), '--owner', options.owner];
    const stdout = await withSecretFiles(content, (files) => this.#exec.run('secret-add', [...args, ...files]));
    const uri = stdout.trim();
    if (!uri.startsWith('secret:')) throw new HookToolOutputError('secret-add', args, 'expected a secret URI');
    this.#cache.delete('secret-ids');
    if (options.label !== undefined) this.#learnLabel(options.label, secretXid(uri));
    return uri;
  }

  /**
   * Content of the revision this unit tracks; `peek` reads the latest without tracking it,
   * `refresh` reads the latest and tracks it from now on.
   */
  async get(lookup: SecretLookup, options: { peek?: boolean; refresh?: boolean } = {}): Promise<Readonly<Record<string, string>>> {
    if (lookup.id === undefined && lookup.label === undefined) throw new InvalidHookToolArgumentError('secret-get', 'give an id or a label');
    if (options.peek && options.refresh) throw new InvalidHookToolArgumentError('secret-get', 'peek and refresh exclude each other');
    const args = ['--format=json'];
    if (lookup.id !== undefined) args.push(canonicalSecretId(lookup.id, this.#modelUuid));
    if (lookup.label !== undefined) args.push('--label', lookup.label);
    if (options.refresh) args.push('--refresh');
    if (options.peek) args.push('--peek');
    const mode = options.refresh ? 'refresh' : options.peek ? 'peek' : 'get';
    const key = cacheKey('secret-get', mode, ...this.#identity(lookup));
    const load = () => this.#exec.json('secret-get', args, secretContentSchema());
    // Passing id and a label we have not seen for it (re)labels the secret: that must run.
    const relabels = lookup.id !== undefined && lookup.label !== undefined && this.#labels.get(lookup.label) !== secretXid(lookup.id);
    const content = await (relabels ? this.#cache.set(key, load()) : this.#cache.get(key, load));
    if (relabels) this.#learnLabel(lookup.label as string, secretXid(lookup.id as string));
    if (mode === 'refresh') {
      // The refreshed revision is now the tracked one: a plain read would return the same.
      this.#cache.set(cacheKey('secret-get', 'get', ...this.#identity(lookup)), Promise.resolve(content));
    }
    return content;
  }

  /** Metadata of a secret we own, by id or by label. */
  async infoGet(lookup: { id: string; label?: undefined } | { label: string; id?: undefined }): Promise<SecretInfo> {
    const args =
      lookup.id !== undefined
        ? ['--format=json', canonicalSecretId(lookup.id, this.#modelUuid)]
        : ['--format=json', '--label', lookup.label];
    const info = await this.#cache.get(cacheKey('secret-info-get', ...this.#identity(lookup)), () =>
      this.#exec.json('secret-info-get', args, secretInfoSchema()),
    );
    if (info.label !== undefined) this.#learnLabel(info.label, info.id);
    // The answer names the secret's id: a later lookup by id is the same read.
    const byId = cacheKey('secret-info-get', 'id', info.id);
    if (!this.#cache.has(byId)) this.#cache.set(byId, Promise.resolve(info));
    return info;
  }

  /** Update content (new revision) and/or metadata. `--owner` is ignored by Juju here; ops sends `application`. */
  async set(id: string, options: SecretSetOptions): Promise<void> {
    if (options.content !== undefined) validateSecretContent('secret-set', options.content);
    const args = [...metadataArgs('secret-set', options), '--owner', 'application', canonicalSecretId(id, this.#modelUuid)];
    if (options.content === undefined) await this.#exec.run('secret-set', args);
    else await withSecretFiles(options.content, (files) => this.#exec.run('secret-set', [...args, ...files]));
    const xid = secretXid(id);
    this.#forget(xid, SECRET_READS);
    if (options.label !== undefined) this.#learnLabel(options.label, xid);
  }

  async grant(id: string, relationId: number, unit?: string): Promise<void> {
    await this.#exec.run('secret-grant', accessArgs(relationId, unit, canonicalSecretId(id, this.#modelUuid)));
    this.#forget(secretXid(id), ['secret-info-get']);
  }

  async revoke(id: string, relationId: number, unit?: string): Promise<void> {
    await this.#exec.run('secret-revoke', accessArgs(relationId, unit, canonicalSecretId(id, this.#modelUuid)));
    this.#forget(secretXid(id), ['secret-info-get']);
  }

  /** Remove one revision, or the whole secret when no revision is given. */
  async remove(id: string, revision?: number): Promise<void> {
    const args = [canonicalSecretId(id, this.#modelUuid)];
    if (revision !== undefined) args.push('--revision', String(revision));
    await this.#exec.run('secret-remove', args);
    this.#forget(secretXid(id), SECRET_READS);
    this.#cache.delete('secret-ids');
  }

  /** Ids of the secrets this unit (or, for the leader, its app) owns, as Juju prints them. */
  ids(): Promise<readonly string[]> {
    return this.#cache.get('secret-ids', () => this.#exec.json('secret-ids', ['--format=json'], secretIdsSchema()));
  }

  #identity(lookup: SecretLookup): [string, string] {
    if (lookup.id !== undefined) return ['id', secretXid(lookup.id)];
    const known = this.#labels.get(lookup.label as string);
    return known === undefined ? ['label', lookup.label as string] : ['id', known];
  }

  #learnLabel(label: string, xid: string): void {
    for (const [other, id] of this.#labels) {
      if (id === xid && other !== label) this.#labels.delete(other);
    }
    this.#labels.set(label, xid);
  }

  /** Drop reads of this secret: by id, and by any label that is (or may be) its label. */
  #forget(xid: string, tools: readonly string[]): void {
    this.#cache.deleteWhere((key) => {
      const parts = key.split('\u0000');
      if (!tools.includes(parts[0] as string)) return false;
      const [kind, name] = parts.slice(-2) as [string, string];
      if (kind === 'id') return name === xid;
      const mapped = this.#labels.get(name);
      return mapped === undefined || mapped === xid;
    });
  }
}

function metadataArgs(tool: string, options: SecretMetadataOptions): string[] {
  const args: string[] = [];
  if (options.label !== undefined) args.push('--label', options.label);
  if (options.description !== undefined) args.push('--description', options.description);
  if (options.expire !== undefined) args.push('--expire', toRfc3339(tool, options.expire));
  if (options.rotate !== undefined) args.push('--rotate', options.rotate);
  return args;
}

function accessArgs(relationId: number, unit: string | undefined, uri: string): string[] {
  return unit === undefined ? ['--relation', String(relationId), uri] : ['--relation', String(relationId), '--unit', unit, uri];
}

