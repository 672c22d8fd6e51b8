/**
 * In-memory doubles for the TLS relation code: one `certificates` relation and any number of
 * `receive-ca-cert` relations as bags, the unit secret as a map, and an action's params and
 * outcome. State in, state out: a test reads the bags and the secret after the call.
 */
import type { RelationRef } from '../../../../src/juju/hook-tools.ts';
import type { NetworkInfo, SecretInfo } from '../../../../src/juju/hook-tool-schemas.ts';
import { createLogger } from '../../../../src/logging.ts';

export const APP = 'postgresql-k8s';
export const UNIT = 'postgresql-k8s/0';
export const PROVIDER = 'tls-provider';

export interface FakeRelation {
  ref: RelationRef;
  remoteApp: string;
  /** Bags by owner: our unit, our app, the remote app, remote units. */
  bags: Record<string, Record<string, string>>;
  remoteUnits: string[];
}

export class FakeTools {
  readonly relations: FakeRelation[] = [];
  readonly appName = APP;
  readonly unitName = UNIT;
  leader = true;
  params: Record<string, unknown> = {};
  failed: string | undefined;
  results: Record<string, unknown> = {};

  relation(endpoint: string, id: number, remoteApp = PROVIDER, remoteUnits = [`${remoteApp}/0`]): FakeRelation {
    const relation: FakeRelation = { ref: { endpoint, id }, remoteApp, bags: {}, remoteUnits };
    this.relations.push(relation);
    return relation;
  }

  #find(ref: RelationRef): FakeRelation {
    const found = this.relations.find((r) => r.ref.id === ref.id);
    if (found === undefined) throw new Error(`no relation ${ref.id}`);
    return found;
  }

  async relationIds(endpoint: string): Promise<readonly RelationRef[]> {
    return this.relations.filter((r) => r.ref.endpoint === endpoint).map((r) => r.ref);
  }
  async relationList(ref: RelationRef): Promise<readonly string[]> {
    return this.#find(ref).remoteUnits;
  }
  async relationRemoteApp(ref: RelationRef): Promise<string | undefined> {
    return this.#find(ref).remoteApp;
  }
  async relationGet(ref: RelationRef, owner: { unit: string } | { app: string }): Promise<Readonly<Record<string, string>>> {
    const key = 'app' in owner ? owner.app : owner.unit;
    return { ...(this.#find(ref).bags[key] ?? {}) };
  }
  async relationSet(ref: RelationRef, changes: Readonly<Record<string, string>>, options: { app?: boolean } = {}): Promise<void> {
    const key = options.app ? APP : UNIT;
    const bag = { ...(this.#find(ref).bags[key] ?? {}) };
    for (const [k, v] of Object.entries(changes)) {
      if (v === '') delete bag[k];
      else bag[k] = v;
    }
    this.#find(ref).bags[key] = bag;
  }
  async networkGet(): Promise<NetworkInfo> {
    return { bindAddresses: [{ addresses: [{ value: '10.1.42.7' }] }], egressSubnets: [], ingressAddresses: ['10.1.42.7'] };
  }
  /** Unit-owned secrets by label. */
  readonly secrets: Record<string, { id: string; content: Record<string, string>; expire?: Date | string | undefined }> = {};

  async secretInfoGet(lookup: { label?: string; id?: string }): Promise<SecretInfo> {
    const found = Object.entries(this.secrets).find(([label, s]) => label === lookup.label || s.id === lookup.id);
    if (found === undefined) throw Object.assign(new Error('secret not found'), { code: 'secret-not-found' });
    return { id: found[1].id, revision: 1, owner: 'unit' } as SecretInfo;
  }
  async secretGet(lookup: { label?: string; id?: string }): Promise<Readonly<Record<string, string>>> {
    const found = Object.entries(this.secrets).find(([label, s]) => label === lookup.label || s.id === lookup.id);
    if (found === undefined) throw Object.assign(new Error('secret not found'), { code: 'secret-not-found' });
    return { ...found[1].content };
  }
  async secretAdd(content: Record<string, string>, options: { label?: string; expire?: Date | string }): Promise<string> {
    const id = `secret:${Object.keys(this.secrets).length + 1}`;
    this.secrets[options.label ?? id] = { id, content: { ...content }, expire: options.expire };
    return id;
  }
  async secretSet(id: string, options: { content?: Record<string, string>; expire?: Date | string }): Promise<void> {
    const entry = Object.values(this.secrets).find((s) => s.id === id)!;
    if (options.content) entry.content = { ...options.content };
    if (options.expire !== undefined) entry.expire = options.expire;
  }
  /** Revisions removed, as `<id>/<revision>`. */
  readonly removedRevisions: string[] = [];
  async secretRemove(id: string, revision?: number): Promise<void> {
    this.removedRevisions.push(`${id}/${revision ?? 'all'}`);
  }
  async isLeader(): Promise<boolean> {
    return this.leader;
  }
  async actionGet(): Promise<Record<string, unknown>> {
    return this.params;
  }
  async actionSet(results: Record<string, unknown>): Promise<void> {
    Object.assign(this.results, results);
  }
  async actionFail(message = ''): Promise<void> {
    this.failed = message;
  }
  async actionLog(): Promise<void> {}
}

/** The unit secret's fields (the SecretStore's get/set contract: empty or undefined removes). */
export class FakeSecrets {
  constructor(readonly fields: Record<string, string> = {}) {}
  async get(_scope: 'app' | 'unit', field: string): Promise<string | undefined> {
    return this.fields[field];
  }
  async set(_scope: 'app' | 'unit', changes: Record<string, string | undefined>): Promise<void> {
    for (const [field, value] of Object.entries(changes)) {
      if (value === undefined || value === '') delete this.fields[field];
      else this.fields[field] = value;
    }
  }
}

export const silentLogger = createLogger({ level: 'silent' });

export function deps(tools = new FakeTools(), secrets = new FakeSecrets()) {
  return { unitName: UNIT, appName: APP, modelName: 'dev', tools, secrets, logger: silentLogger };
}
