import { pythonJsonDumps } from '../../../src/relations/python-json.ts';

// Python's json.dumps (ensure_ascii escapes everything outside ' '..'~', DEL included) is the
// charm's own (src/relations/python-json.ts), so both sides of the interface write the same
// bytes; this module adds the decoders the requirer reads with.
export { pythonJsonDumps };

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
