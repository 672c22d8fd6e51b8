/**
 * `json.dumps` as Python writes it with its defaults (separators `", "` and `": "`,
 * `ensure_ascii=True`), for flat lists and dicts of strings: what the `data_interfaces` library
 * puts in a databag (`requested-secrets`, the `data` snapshot). No partner compares the raw text,
 * but writing it byte for byte as the Python requirer does costs nothing.
 */
export function pythonJsonDumps(value: readonly string[] | Readonly<Record<string, string>>): string {
  if (Array.isArray(value)) return `[${value.map(pythonString).join(', ')}]`;
  const entries = Object.entries(value as Readonly<Record<string, string>>);
  return `{${entries.map(([key, item]) => `${pythonString(key)}: ${pythonString(item)}`).join(', ')}}`;
}

/** A JSON string literal with every non-ASCII code unit escaped, as `ensure_ascii` does. */
function pythonString(text: string): string {
  return JSON.stringify(text).replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A JSON-encoded databag field (`get_encoded_dict`): undefined when absent, empty or not a dict of strings. */
export function decodeDict(text: string | undefined): Record<string, string> | undefined {
  if (text === undefined || text === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    const result: Record<string, string> = {};
    for (const [key, item] of Object.entries(parsed)) {
      if (typeof item === 'string') result[key] = item;
    }
    return result;
  } catch {
    return undefined;
  }
}

/** A JSON-encoded list of strings (`get_encoded_list`): undefined when absent, empty or malformed. */
export function decodeList(text: string | undefined): string[] | undefined {
  if (text === undefined || text === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed)) return undefined;
    return parsed.filter((item): item is string => typeof item === 'string');
  } catch {
    return undefined;
  }
}
