/** A relation as hook tools address it: `-r <endpoint>:<id>` (Juju checks the id belongs to it). */
export interface RelationRef {
  endpoint: string;
  id: number;
}

/** `db:5` — the form ops passes to `-r` and Juju prints from `relation-ids`. */
export function formatRelationRef(relation: RelationRef): string {
  return `${relation.endpoint}:${relation.id}`;
}

/** Parse `relation-ids` output entries; like ops, the id is the integer after the last `:`. */
export function parseRelationRef(value: string): RelationRef | undefined {
  const colon = value.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const id = value.slice(colon + 1);
  if (!/^(0|[1-9][0-9]*)$/.test(id)) return undefined;
  return { endpoint: value.slice(0, colon), id: Number(id) };
}
