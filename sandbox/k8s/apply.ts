import { applyConflict } from './errors.ts';
import { clone, isObject, mergeKeyFor, strategicMergePatch, type Json, type JsonObject } from './patch.ts';

/*
 * Server-side apply (https://kubernetes.io/docs/reference/using-api/server-side-apply/), reduced to
 * what a charm relies on: each field manager's last applied configuration is remembered; applying
 * again
 *  - fails with 409 Conflict (`Apply failed with 1 conflict: conflict with "m": .spec.x`) when a
 *    field it sets to a different value is owned by another apply manager, unless `force=true`,
 *    which takes the field over;
 *  - removes the fields this manager applied before and no longer applies (unless another
 *    manager also applies them);
 *  - merges the new configuration in as a strategic merge patch (keyed lists merge item by item).
 * Field ownership is tracked for `Apply` operations only: PUT and PATCH change values but do not
 * take fields over (the API server would record them as `Update` managers).
 */

type Segment = { field: string } | { listKey: string; value: Json };

interface Leaf {
  segments: Segment[];
  /** `.spec.ports[port=5432].targetPort`, the API server's way of naming a field. */
  display: string;
  value: Json;
}

/** Identity fields are not owned by anyone. */
const IDENTITY = new Set(['apiVersion', 'kind', 'metadata.name', 'metadata.namespace', 'metadata.resourceVersion', 'metadata.managedFields']);

function leaves(kind: string, value: Json, path = '', segments: Segment[] = [], display = ''): Leaf[] {
  if (isObject(value)) {
    const out: Leaf[] = [];
    for (const [key, child] of Object.entries(value)) {
      const childPath = path === '' ? key : `${path}.${key}`;
      if (IDENTITY.has(childPath)) continue;
      out.push(...leaves(kind, child, childPath, [...segments, { field: key }], `${display}.${key}`));
    }
    return out;
  }
  if (Array.isArray(value)) {
    const key = mergeKeyFor(kind, path);
    if (key !== undefined && key !== 'primitive' && value.every((item) => isObject(item) && item[key] !== undefined)) {
      return value.flatMap((item) => {
        const id = (item as JsonObject)[key]!;
        return leaves(kind, item, path, [...segments, { listKey: key, value: id }], `${display}[${key}=${JSON.stringify(id)}]`);
      });
    }
  }
  return [{ segments, display, value }];
}

/** Remove the field at `segments` from `object` (in place); missing steps are fine. */
function removeLeaf(object: JsonObject, segments: readonly Segment[]): void {
  let node: Json = object;
  let item: { list: Json[]; index: number; key: string } | undefined;
  for (let i = 0; i < segments.length; i += 1) {
    const segment = segments[i]!;
    const last = i === segments.length - 1;
    if ('field' in segment) {
      if (!isObject(node)) return;
      if (last) {
        // An item's merge key is what identifies it: no longer applied, the item goes.
        if (item !== undefined && i > 0 && segment.field === item.key && 'listKey' in segments[i - 1]!) item.list.splice(item.index, 1);
        else delete node[segment.field];
        return;
      }
      node = node[segment.field] ?? null;
    } else {
      if (!Array.isArray(node)) return;
      const list: Json[] = node;
      const index = list.findIndex((item) => isObject(item) && JSON.stringify(item[segment.listKey]) === JSON.stringify(segment.value));
      if (index < 0) return;
      if (last) {
        list.splice(index, 1);
        return;
      }
      item = { list, index, key: segment.listKey };
      node = list[index]!;
    }
  }
}

export interface ApplyResult {
  object: JsonObject;
  managers: Record<string, JsonObject>;
}

/**
 * Apply `config` as `manager` onto `current` (undefined: the object is created). `managers` holds
 * every apply manager's last configuration; the result carries the updated table.
 */
export function serverSideApply(
  kind: string,
  resource: string,
  name: string,
  current: JsonObject | undefined,
  config: JsonObject,
  manager: string,
  managers: Readonly<Record<string, JsonObject>>,
  force: boolean,
): ApplyResult {
  const table: Record<string, JsonObject> = clone({ ...managers });
  const applied = leaves(kind, config);
  const conflicts: { manager: string; field: string; segments: Segment[] }[] = [];
  if (current !== undefined) {
    for (const [other, otherConfig] of Object.entries(table)) {
      if (other === manager) continue;
      const owned = new Map(leaves(kind, otherConfig).map((leaf) => [leaf.display, leaf]));
      for (const leaf of applied) {
        const theirs = owned.get(leaf.display);
        if (theirs !== undefined && JSON.stringify(theirs.value) !== JSON.stringify(leaf.value)) {
          conflicts.push({ manager: other, field: leaf.display, segments: leaf.segments });
        }
      }
    }
  }
  if (conflicts.length > 0 && !force) throw applyConflict(resource, name, conflicts);
  for (const c of conflicts) removeLeaf(table[c.manager]!, c.segments);

  let object: JsonObject = current === undefined ? {} : clone(current);
  const previous = table[manager];
  if (previous !== undefined && current !== undefined) {
    const now = new Set(applied.map((leaf) => leaf.display));
    const others = new Set(
      Object.entries(table)
        .filter(([other]) => other !== manager)
        .flatMap(([, otherConfig]) => leaves(kind, otherConfig).map((leaf) => leaf.display)),
    );
    for (const leaf of leaves(kind, previous)) {
      if (!now.has(leaf.display) && !others.has(leaf.display)) removeLeaf(object, leaf.segments);
    }
  }
  object = strategicMergePatch(kind, object, config) as JsonObject;
  table[manager] = clone(config);
  return { object, managers: table };
}
