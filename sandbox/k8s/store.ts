import { randomUUID } from 'node:crypto';
import { serverSideApply } from './apply.ts';
import { alreadyExists, badRequest, conflict, expired, invalid, notFound, unsupportedMediaType } from './errors.ts';
import { clone, isObject, mergePatch, strategicMergePatch, type Json, type JsonObject } from './patch.ts';
import { desiredEndpoints, hasSelector } from './endpoints-controller.ts';
import { RESOURCE_TYPES, resourceType, type ResourceType } from './resources.ts';
import { matchesFields, matchesLabels, type FieldRequirement, type LabelRequirement } from './selectors.ts';

/*
 * One in-memory object store per API server: every write bumps one store-wide counter, which is
 * the new object's `metadata.resourceVersion` (a decimal string; clients must treat it as opaque,
 * Patroni compares it as an integer). Writes append to a bounded event history that watches
 * resume from (https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes).
 */

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  resourceVersion: number;
  plural: string;
  namespace: string | undefined;
  object: JsonObject;
  /** The object before a MODIFIED, for label-selector transitions. */
  previous: JsonObject | undefined;
}

export interface Selectors {
  labels?: readonly LabelRequirement[];
  fields?: readonly FieldRequirement[];
}

export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';
export const PATCH_TYPES = [STRATEGIC_MERGE_PATCH, MERGE_PATCH, APPLY_PATCH] as const;

interface Stored {
  object: JsonObject;
  /** Server-side apply: each manager's last applied configuration. */
  managers: Record<string, JsonObject>;
}

export interface StoreSnapshot {
  resourceVersion: number;
  objects: { plural: string; object: JsonObject; managers: Record<string, JsonObject> }[];
}

export interface StoreOptions {
  /** How many events watches can resume from (default 1000). */
  historySize?: number;
  /** First address of the ClusterIP range handed to Services (default 10.152.183.0/24). */
  serviceCidrPrefix?: string;
  /** Runs the endpoints controller (Services with a selector get Endpoints of the ready pods); default true. */
  endpointsController?: boolean;
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function key(plural: string, namespace: string | undefined, name: string): string {
  return `${plural}/${namespace ?? ''}/${name}`;
}

function meta(object: JsonObject): JsonObject {
  if (!isObject(object['metadata'])) object['metadata'] = {};
  return object['metadata'] as JsonObject;
}

function labelsOf(object: JsonObject): Record<string, string> | undefined {
  const labels = meta(object)['labels'];
  return isObject(labels) ? (labels as Record<string, string>) : undefined;
}

export function matches(selectors: Selectors, object: JsonObject): boolean {
  const metadata = meta(object);
  return (
    matchesLabels(selectors.labels ?? [], labelsOf(object)) &&
    matchesFields(selectors.fields ?? [], {
      ...(typeof metadata['name'] === 'string' ? { name: metadata['name'] } : {}),
      ...(typeof metadata['namespace'] === 'string' ? { namespace: metadata['namespace'] } : {}),
    })
  );
}

export class KubeStore {
  private readonly objects = new Map<string, Stored>();
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  private readonly changeListeners = new Set<() => void>();
  private readonly historySize: number;
  private readonly servicePrefix: string;
  private readonly endpointsController: boolean;
  private revision = 0;
  /** Every event after this revision is still in `history`. */
  private floor = 0;
  private nextClusterIp = 1;
  private syncing = false;

  constructor(options: StoreOptions = {}) {
    this.historySize = options.historySize ?? 1000;
    this.servicePrefix = options.serviceCidrPrefix ?? '10.152.183.';
    this.endpointsController = options.endpointsController ?? true;
  }

  get resourceVersion(): number {
    return this.revision;
  }

  /** The oldest resourceVersion a watch may start from. */
  get oldestResourceVersion(): number {
    return this.floor;
  }

  snapshot(): StoreSnapshot {
    return {
      resourceVersion: this.revision,
      objects: [...this.objects.entries()].map(([id, stored]) => ({ plural: id.split('/')[0]!, object: clone(stored.object), managers: clone(stored.managers) })),
    };
  }

  /** Load a snapshot (at start, before any request): history starts empty at its revision. */
  restore(snapshot: StoreSnapshot): void {
    this.objects.clear();
    this.history.length = 0;
    for (const entry of snapshot.objects) {
      const metadata = meta(entry.object);
      this.objects.set(key(entry.plural, metadata['namespace'] as string | undefined, metadata['name'] as string), {
        object: entry.object,
        managers: entry.managers,
      });
      const ip = isObject(entry.object['spec']) ? entry.object['spec']['clusterIP'] : undefined;
      if (typeof ip === 'string' && ip.startsWith(this.servicePrefix)) this.nextClusterIp = Math.max(this.nextClusterIp, Number(ip.slice(this.servicePrefix.length)) + 1);
    }
    this.revision = snapshot.resourceVersion;
    this.floor = snapshot.resourceVersion;
  }

  /** Called after every committed change (persistence). */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Events after `resourceVersion`, or a 410 Expired error when the history no longer has them all. */
  eventsSince(resourceVersion: number): StoreEvent[] {
    if (resourceVersion < this.floor) throw expired(resourceVersion, this.floor + 1);
    return this.history.filter((event) => event.resourceVersion > resourceVersion);
  }

  type(plural: string): ResourceType {
    const type = resourceType(plural);
    if (type === undefined) throw notFound(plural, '');
    return type;
  }

  exists(plural: string, namespace: string | undefined, name: string): boolean {
    return this.objects.has(key(plural, namespace, name));
  }

  get(plural: string, namespace: string | undefined, name: string): JsonObject {
    const stored = this.objects.get(key(plural, namespace, name));
    if (stored === undefined) throw notFound(plural, name);
    return clone(stored.object);
  }

  list(plural: string, namespace: string | undefined, selectors: Selectors = {}): { items: JsonObject[]; resourceVersion: number } {
    const items: JsonObject[] = [];
    const prefix = namespace === undefined ? `${plural}/` : `${plural}/${namespace}/`;
    for (const [id, stored] of this.objects) {
      if (id.startsWith(prefix) && matches(selectors, stored.object)) items.push(clone(stored.object));
    }
    items.sort((a, b) => `${meta(a)['namespace'] ?? ''}/${meta(a)['name']}`.localeCompare(`${meta(b)['namespace'] ?? ''}/${meta(b)['name']}`));
    return { items, resourceVersion: this.revision };
  }

  create(plural: string, namespace: string | undefined, body: unknown): JsonObject {
    const type = this.type(plural);
    const object = this.checkBody(type, namespace, body, undefined);
    const metadata = meta(object);
    if (typeof metadata['name'] !== 'string' || metadata['name'] === '') {
      if (typeof metadata['generateName'] === 'string' && metadata['generateName'] !== '') {
        metadata['name'] = `${metadata['generateName']}${randomUUID().replace(/-/g, '').slice(0, 5)}`;
      } else {
        throw invalid(type.kind, '', [{ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' }]);
      }
    }
    const name = metadata['name'] as string;
    this.checkName(type, name);
    this.checkNamespace(type, namespace);
    if (this.objects.has(key(plural, namespace, name))) throw alreadyExists(plural, name);
    delete metadata['resourceVersion'];
    return this.commitNew(type, namespace, object, {});
  }

  /** PUT: replace the object; a resourceVersion in the body must be the current one. */
  update(plural: string, namespace: string | undefined, name: string, body: unknown): { object: JsonObject; created: boolean } {
    const type = this.type(plural);
    const object = this.checkBody(type, namespace, body, name);
    const stored = this.objects.get(key(plural, namespace, name));
    if (stored === undefined) {
      if (!type.createOnUpdate) throw notFound(plural, name);
      this.checkNamespace(type, namespace);
      delete meta(object)['resourceVersion'];
      return { object: this.commitNew(type, namespace, object, {}), created: true };
    }
    const wanted = meta(object)['resourceVersion'];
    const current = meta(stored.object)['resourceVersion'];
    if (wanted !== undefined && wanted !== null && wanted !== '' && wanted !== current) throw conflict(plural, name);
    return { object: this.commitUpdate(type, namespace, name, stored, object, stored.managers), created: false };
  }

  patch(
    plural: string,
    namespace: string | undefined,
    name: string,
    contentType: string,
    patch: unknown,
    options: { fieldManager?: string; force?: boolean } = {},
  ): { object: JsonObject; created: boolean } {
    const type = this.type(plural);
    const stored = this.objects.get(key(plural, namespace, name));
    if (contentType === APPLY_PATCH) {
      const config = this.checkBody(type, namespace, patch, name);
      if (!options.fieldManager) throw badRequest('PATCH, fieldManager is required for apply requests');
      if (stored === undefined) {
        this.checkName(type, name);
        this.checkNamespace(type, namespace);
        delete meta(config)['resourceVersion'];
        const applied = serverSideApply(type.kind, plural, name, undefined, config, options.fieldManager, {}, options.force ?? false);
        return { object: this.commitNew(type, namespace, withIdentity(type, namespace, name, applied.object), applied.managers), created: true };
      }
      const wanted = meta(config)['resourceVersion'];
      if (typeof wanted === 'string' && wanted !== '' && wanted !== meta(stored.object)['resourceVersion']) throw conflict(plural, name);
      delete meta(config)['resourceVersion'];
      const applied = serverSideApply(type.kind, plural, name, stored.object, config, options.fieldManager, stored.managers, options.force ?? false);
      return { object: this.commitUpdate(type, namespace, name, stored, applied.object, applied.managers), created: false };
    }
    if (stored === undefined) throw notFound(plural, name);
    if (!isObject(patch)) throw badRequest('the body of the patch must be a JSON object');
    let patched: Json;
    if (contentType === MERGE_PATCH) patched = mergePatch(stored.object, patch);
    else if (contentType === STRATEGIC_MERGE_PATCH) patched = strategicMergePatch(type.kind, stored.object, patch);
    else throw unsupportedMediaType(contentType, PATCH_TYPES);
    if (!isObject(patched)) throw badRequest('the patch did not produce an object');
    const patchedMeta = meta(patched);
    // A resourceVersion in the patch is a precondition (the patched object carries it).
    const wanted = isObject(patch['metadata']) ? patch['metadata']['resourceVersion'] : undefined;
    if (wanted !== undefined && wanted !== null && wanted !== meta(stored.object)['resourceVersion']) throw conflict(plural, name);
    if (patchedMeta['name'] !== name) throw badRequest(`the name of the object (${String(patchedMeta['name'])}) does not match the name on the URL (${name})`);
    return { object: this.commitUpdate(type, namespace, name, stored, patched, stored.managers), created: false };
  }

  delete(plural: string, namespace: string | undefined, name: string, preconditions: { resourceVersion?: string; uid?: string } = {}): JsonObject {
    const type = this.type(plural);
    const id = key(plural, namespace, name);
    const stored = this.objects.get(id);
    if (stored === undefined) throw notFound(plural, name);
    const metadata = meta(stored.object);
    if (preconditions.uid !== undefined && preconditions.uid !== metadata['uid']) {
      throw conflict(plural, name, `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${String(metadata['uid'])}`);
    }
    if (preconditions.resourceVersion !== undefined && preconditions.resourceVersion !== metadata['resourceVersion']) {
      throw conflict(plural, name, `Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${String(metadata['resourceVersion'])}`);
    }
    this.objects.delete(id);
    const object = clone(stored.object);
    this.revision += 1;
    meta(object)['resourceVersion'] = String(this.revision);
    this.emit({ type: 'DELETED', resourceVersion: this.revision, plural, namespace, object, previous: undefined });
    if (type.plural === 'namespaces') {
      for (const [other, entry] of [...this.objects]) {
        if (meta(entry.object)['namespace'] === name) this.delete(other.split('/')[0]!, name, meta(entry.object)['name'] as string);
      }
    }
    if (type.plural === 'services' && hasSelector(stored.object) && this.objects.has(key('endpoints', namespace, name))) {
      this.delete('endpoints', namespace, name);
    }
    this.afterWrite(type, namespace);
    return object;
  }

  deleteCollection(plural: string, namespace: string | undefined, selectors: Selectors): JsonObject[] {
    return this.list(plural, namespace, selectors).items.map((object) => this.delete(plural, namespace, meta(object)['name'] as string));
  }

  // ---- internals ----

  private checkBody(type: ResourceType, namespace: string | undefined, body: unknown, name: string | undefined): JsonObject {
    if (!isObject(body)) throw badRequest(`the body of the request was not a ${type.kind} object`);
    // kind and apiVersion first, as the API server serialises them.
    const object: JsonObject = { kind: type.kind, apiVersion: 'v1', ...clone(body) };
    if (body['kind'] !== undefined && body['kind'] !== type.kind) {
      throw badRequest(`${String(body['kind'])} in version "v1" cannot be handled as a ${type.kind}: the kind does not match the URL`);
    }
    if (body['apiVersion'] !== undefined && body['apiVersion'] !== 'v1') {
      throw badRequest(`the API version in the data (${String(body['apiVersion'])}) does not match the expected API version (v1)`);
    }
    object['kind'] = type.kind;
    object['apiVersion'] = 'v1';
    const metadata = meta(object);
    if (type.namespaced) {
      if (metadata['namespace'] !== undefined && metadata['namespace'] !== null && metadata['namespace'] !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      metadata['namespace'] = namespace ?? null;
    } else {
      delete metadata['namespace'];
    }
    if (name !== undefined) {
      if (metadata['name'] === undefined || metadata['name'] === null) metadata['name'] = name;
      if (metadata['name'] !== name) throw badRequest(`the name of the object (${String(metadata['name'])}) does not match the name on the URL (${name})`);
    }
    return object;
  }

  private checkName(type: ResourceType, name: string): void {
    if (name.length > 253 || !NAME.test(name)) {
      throw invalid(type.kind, name, [
        {
          reason: 'FieldValueInvalid',
          message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
          field: 'metadata.name',
        },
      ]);
    }
  }

  private checkNamespace(type: ResourceType, namespace: string | undefined): void {
    if (type.namespaced && (namespace === undefined || !this.objects.has(key('namespaces', undefined, namespace)))) {
      throw notFound('namespaces', namespace ?? '');
    }
  }

  private commitNew(type: ResourceType, namespace: string | undefined, object: JsonObject, managers: Record<string, JsonObject>): JsonObject {
    const metadata = meta(object);
    const name = metadata['name'] as string;
    metadata['uid'] = randomUUID();
    metadata['creationTimestamp'] = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    if (type.namespaced) metadata['namespace'] = namespace ?? null;
    for (const field of ['deletionTimestamp', 'generation', 'managedFields', 'selfLink']) delete metadata[field];
    defaults(type, object, () => this.allocateClusterIp());
    this.revision += 1;
    metadata['resourceVersion'] = String(this.revision);
    this.objects.set(key(type.plural, namespace, name), { object, managers });
    this.emit({ type: 'ADDED', resourceVersion: this.revision, plural: type.plural, namespace, object: clone(object), previous: undefined });
    this.afterWrite(type, namespace);
    return clone(object);
  }

  private commitUpdate(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    stored: Stored,
    next: JsonObject,
    managers: Record<string, JsonObject>,
  ): JsonObject {
    const before = stored.object;
    const metadata = meta(next);
    const old = meta(before);
    // The server owns these: a client cannot change them.
    metadata['name'] = name;
    if (type.namespaced) metadata['namespace'] = namespace ?? null;
    metadata['uid'] = old['uid'] ?? null;
    metadata['creationTimestamp'] = old['creationTimestamp'] ?? null;
    next['kind'] = type.kind;
    next['apiVersion'] = 'v1';
    delete metadata['managedFields'];
    if (type.plural === 'services' && isObject(before['spec']) && before['spec']['clusterIP'] !== undefined) {
      if (!isObject(next['spec'])) next['spec'] = {};
      (next['spec'] as JsonObject)['clusterIP'] ??= before['spec']['clusterIP'];
    }
    defaults(type, next, () => this.allocateClusterIp());
    metadata['resourceVersion'] = old['resourceVersion'] ?? null;
    const changed = JSON.stringify(next) !== JSON.stringify(before) || JSON.stringify(managers) !== JSON.stringify(stored.managers);
    if (!changed) return clone(before);
    this.revision += 1;
    metadata['resourceVersion'] = String(this.revision);
    this.objects.set(key(type.plural, namespace, name), { object: next, managers });
    this.emit({ type: 'MODIFIED', resourceVersion: this.revision, plural: type.plural, namespace, object: clone(next), previous: clone(before) });
    this.afterWrite(type, namespace);
    return clone(next);
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    while (this.history.length > this.historySize) this.floor = this.history.shift()!.resourceVersion;
    for (const listener of [...this.listeners]) listener(event);
    for (const listener of [...this.changeListeners]) listener();
  }

  private allocateClusterIp(): string {
    const ip = `${this.servicePrefix}${this.nextClusterIp}`;
    this.nextClusterIp += 1;
    return ip;
  }

  private afterWrite(type: ResourceType, namespace: string | undefined): void {
    if (!this.endpointsController || this.syncing || namespace === undefined) return;
    if (type.plural !== 'pods' && type.plural !== 'services') return;
    this.syncing = true;
    try {
      this.syncEndpoints(namespace);
    } finally {
      this.syncing = false;
    }
  }

  /** The endpoints controller (endpoints-controller.ts) over this namespace's Services and pods. */
  private syncEndpoints(namespace: string): void {
    const pods = this.list('pods', namespace).items;
    for (const service of this.list('services', namespace).items) {
      const desired = desiredEndpoints(service, pods, namespace);
      if (desired === undefined) continue;
      const name = meta(service)['name'] as string;
      const existing = this.objects.get(key('endpoints', namespace, name));
      if (existing === undefined) {
        this.commitNew(RESOURCE_TYPES['endpoints']!, namespace, desired, {});
      } else if (JSON.stringify(existing.object['subsets'] ?? []) !== JSON.stringify(desired['subsets'])) {
        const next = clone(existing.object);
        next['subsets'] = desired['subsets'] as Json;
        this.commitUpdate(RESOURCE_TYPES['endpoints']!, namespace, name, existing, next, existing.managers);
      }
    }
  }
}

function withIdentity(type: ResourceType, namespace: string | undefined, name: string, object: JsonObject): JsonObject {
  const metadata = meta(object);
  metadata['name'] = name;
  if (type.namespaced) metadata['namespace'] = namespace ?? null;
  object['kind'] = type.kind;
  object['apiVersion'] = 'v1';
  return object;
}

/** Defaults the API server fills in (Service: type, clusterIP, ports' protocol and targetPort). */
function defaults(type: ResourceType, object: JsonObject, allocateClusterIp: () => string): void {
  if (type.plural === 'services') {
    if (!isObject(object['spec'])) object['spec'] = {};
    const spec = object['spec'] as JsonObject;
    spec['type'] ??= 'ClusterIP';
    spec['sessionAffinity'] ??= 'None';
    if (spec['clusterIP'] === undefined || spec['clusterIP'] === '') spec['clusterIP'] = allocateClusterIp();
    spec['clusterIPs'] = [spec['clusterIP'] as string];
    if (Array.isArray(spec['ports'])) {
      for (const port of spec['ports']) {
        if (!isObject(port)) continue;
        port['protocol'] ??= 'TCP';
        port['targetPort'] ??= port['port'] ?? null;
      }
    }
  }
  if (type.plural === 'namespaces') {
    object['spec'] ??= { finalizers: ['kubernetes'] };
    object['status'] ??= { phase: 'Active' };
    const metadata = meta(object);
    const labels = isObject(metadata['labels']) ? metadata['labels'] : {};
    labels['kubernetes.io/metadata.name'] = metadata['name'] as string;
    metadata['labels'] = labels;
  }
}
