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

/** A flat string map, as `json.dumps(dict)` prints it. */
export function pythonJsonDumps(map: Readonly<Record<string, string>>): string {
  const entries = Object.entries(map).map(([key, value]) => `${pythonJsonString(key)}: ${pythonJsonString(value)}`);
  return `{${entries.join(', ')}}`;
}
