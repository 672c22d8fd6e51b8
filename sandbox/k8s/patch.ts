/*
 * The PATCH flavours of the Kubernetes API ("API concepts", Patch operations,
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#patch-and-apply, and
 * https://kubernetes.io/docs/tasks/manage-kubernetes-objects/update-api-object-kubectl-patch/):
 *
 * - `application/merge-patch+json`: RFC 7386 — maps merge, `null` deletes a key, lists replace.
 * - `application/strategic-merge-patch+json`: like a merge patch, but the lists Kubernetes tags
 *   with `patchStrategy: merge` merge item by item on their `patchMergeKey` (containers by
 *   `name`, a Service's ports by `port`, a container's ports by `containerPort`, ownerReferences
 *   by `uid`, …); other lists replace. The `$patch: replace|delete` directives are honoured.
 * - `application/apply-patch+yaml` (server-side apply) is in apply.ts, on top of these.
 *
 * JSON patch (RFC 6902) is not served: neither Patroni's Kubernetes DCS (it sends strategic merge
 * patches only, patroni/dcs/kubernetes.py `CoreV1Api.__getattr__`) nor the charm (src/k8s/) sends it.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** A list's merge key, `primitive` for a set-like list of scalars, undefined when it is replaced whole. */
export type MergeKey = string | 'primitive' | undefined;

/**
 * `patchMergeKey`s of the core/v1 (and pod template) lists, from the Go types in k8s.io/api/core/v1
 * (`+patchMergeKey` / `+patchStrategy=merge` tags). `path` is the dotted field path of the list,
 * array items adding no segment (`spec.containers.ports`).
 */
export function mergeKeyFor(kind: string | undefined, path: string): MergeKey {
  if (path === 'metadata.ownerReferences') return 'uid';
  if (path === 'metadata.finalizers') return 'primitive';
  if (kind === 'Service' && path === 'spec.ports') return 'port';
  if (kind === 'Node' && (path === 'status.conditions' || path === 'status.addresses')) return 'type';
  const last = path.split('.').slice(-2).join('.');
  const tail = path.split('.').at(-1);
  if (last === 'containers.ports' || last === 'initContainers.ports' || last === 'ephemeralContainers.ports') return 'containerPort';
  if (last.endsWith('ontainers.volumeMounts')) return 'mountPath';
  if (last.endsWith('ontainers.volumeDevices')) return 'devicePath';
  if (last.endsWith('ontainers.env')) return 'name';
  switch (tail) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'volumes':
    case 'imagePullSecrets':
      return path.startsWith('spec') ? 'name' : undefined;
    case 'hostAliases':
      return 'ip';
    case 'conditions':
      return path.startsWith('status') ? 'type' : undefined;
    default:
      return undefined;
  }
}

const DIRECTIVE = '$patch';

/** Strategic merge patch of `target` (an object of `kind`) with `patch`. */
export function strategicMergePatch(kind: string | undefined, target: Json | undefined, patch: Json): Json {
  return mergeValue(kind, '', target, patch) ?? {};
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function mergeValue(kind: string | undefined, path: string, target: Json | undefined, patch: Json): Json | undefined {
  if (Array.isArray(patch)) return mergeList(kind, path, Array.isArray(target) ? target : undefined, patch);
  if (!isObject(patch)) return clone(patch);
  const directive = patch[DIRECTIVE];
  if (directive === 'delete') return undefined;
  const rest = withoutDirective(patch);
  if (directive === 'replace') return clone(rest);
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(rest)) {
    if (value === null) {
      delete result[key];
      continue;
    }
    const merged = mergeValue(kind, join(path, key), result[key], value);
    if (merged === undefined) delete result[key];
    else result[key] = merged;
  }
  return result;
}

function withoutDirective(object: JsonObject): JsonObject {
  const { [DIRECTIVE]: _ignored, ...rest } = object;
  return rest;
}

function mergeList(kind: string | undefined, path: string, target: Json[] | undefined, patch: Json[]): Json[] {
  const key = mergeKeyFor(kind, path);
  if (patch.some((item) => isObject(item) && item[DIRECTIVE] === 'replace')) {
    return clone(patch.filter((item) => !(isObject(item) && item[DIRECTIVE] === 'replace')));
  }
  if (key === undefined || target === undefined) {
    return clone(patch.filter((item) => !(isObject(item) && item[DIRECTIVE] === 'delete'))).map((item) =>
      isObject(item) && key !== undefined && key !== 'primitive' ? (mergeValue(kind, path, undefined, item) as Json) : item,
    );
  }
  if (key === 'primitive') {
    const result = [...target];
    for (const item of patch) if (!result.some((existing) => JSON.stringify(existing) === JSON.stringify(item))) result.push(clone(item));
    return result;
  }
  const result = [...target];
  for (const item of patch) {
    if (!isObject(item)) {
      result.push(clone(item));
      continue;
    }
    const index = result.findIndex((existing) => isObject(existing) && JSON.stringify(existing[key]) === JSON.stringify(item[key]));
    if (item[DIRECTIVE] === 'delete') {
      if (index >= 0) result.splice(index, 1);
      continue;
    }
    if (index >= 0) {
      const merged = mergeValue(kind, path, result[index], item);
      if (merged === undefined) result.splice(index, 1);
      else result[index] = merged;
    } else {
      result.push(mergeValue(kind, path, undefined, item) as Json);
    }
  }
  return result;
}
