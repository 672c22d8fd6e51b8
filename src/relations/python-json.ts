/**
 * JSON as Python's `json.dumps(value)` writes it with its defaults (`ensure_ascii=True`,
 * separators `", "` and `": "`), for values a Python requirer compares or parses: the `data`
 * snapshot data_interfaces keeps in the provider's bag is such a string. Keys keep the order
 * given; callers sort them as Juju hands a bag to ops (relation-get output is a sorted map).
 */

/** One string as Python quotes it: like JSON.stringify, but every character outside ' '..'~' escaped. */
export function pythonJsonString(value: string): string {
  return JSON.stringify(value).replace(/[^\x20-\x7e]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A flat list or map of strings, as `json.dumps(list)` / `json.dumps(dict)` prints it. */
export function pythonJsonDumps(value: readonly string[] | Readonly<Record<string, string>>): string {
  if (Array.isArray(value)) return `[${value.map(pythonJsonString).join(', ')}]`;
  const entries = Object.entries(value as Readonly<Record<string, string>>).map(([key, item]) => `${pythonJsonString(key)}: ${pythonJsonString(item)}`);
  return `{${entries.join(', ')}}`;
}
