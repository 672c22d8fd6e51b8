import * as z from 'zod/mini';
import { transformIssue } from '../zod-setup.ts';

/**
 * Juju relation data is a flat map of strings. A field codec turns one string into a typed value
 * (zod schema, so a bad value becomes an issue, not a crash) and back.
 */
export interface FieldCodec<T> {
  decode: z.ZodMiniType<T, string>;
  encode: (value: T) => string;
}

/** The reference writes booleans as Python's `str(True)`; accept its spellings, write "True". */
export const flagCodec: FieldCodec<boolean> = {
  decode: z.pipe(
    z.string(),
    z.transform((raw: string, payload) => {
      const value = raw.trim().toLowerCase();
      if (value === 'true') return true;
      if (value === 'false') return false;
      return transformIssue(payload, `expected "True" or "False", got ${JSON.stringify(raw)}`);
    }),
  ),
  encode: (value) => (value ? 'True' : 'False'),
};

export const textCodec: FieldCodec<string> = {
  decode: z.string(),
  encode: (value) => value,
};

export const integerCodec: FieldCodec<number> = {
  decode: z.pipe(
    z.string(),
    z.transform((raw: string, payload) => {
      if (!/^-?\d+$/.test(raw.trim())) return transformIssue(payload, `expected an integer, got ${JSON.stringify(raw)}`);
      return Number.parseInt(raw, 10);
    }),
  ),
  encode: (value) => String(value),
};

/** A JSON-encoded list of strings, as the reference stores `endpoints`. */
export const stringListCodec: FieldCodec<string[]> = {
  decode: z.pipe(
    z.string(),
    z.transform((raw: string, payload) => {
      const notAList = () => transformIssue(payload, `expected a JSON list of strings, got ${JSON.stringify(raw)}`);
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        return notAList();
      }
      const list = z.array(z.string()).safeParse(parsed);
      return list.success ? list.data : notAList();
    }),
  ),
  encode: (value) => JSON.stringify(value),
};

export type CodecMap = Record<string, FieldCodec<any>>;
export type Decoded<M extends CodecMap> = {
  [K in keyof M]?: M[K] extends FieldCodec<infer T> ? T : never;
};

export interface FieldIssue {
  key: string;
  value: string;
  message: string;
}

/**
 * Decodes the known fields of a databag; unknown keys are kept verbatim in `extra` so that a newer
 * or older charm revision's keys survive a round trip. Empty strings mean "unset" (Juju deletes a
 * key when it is set to "").
 */
export function decodeBag<M extends CodecMap>(
  codecs: M,
  raw: Record<string, string>,
): { data: Decoded<M>; extra: Record<string, string>; issues: FieldIssue[] } {
  const data: Record<string, unknown> = {};
  const extra: Record<string, string> = {};
  const issues: FieldIssue[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const codec = codecs[key];
    if (!codec) {
      extra[key] = value;
      continue;
    }
    if (value === '') continue;
    const result = codec.decode.safeParse(value);
    if (result.success) data[key] = result.data;
    else issues.push({ key, value, message: result.error.issues.map((i) => i.message).join('; ') });
  }
  return { data: data as Decoded<M>, extra, issues };
}

/** Encodes a partial update; `null` or `undefined` values become "" so Juju deletes the key. */
export function encodeBag<M extends CodecMap>(
  codecs: M,
  update: { [K in keyof M]?: (M[K] extends FieldCodec<infer T> ? T : never) | null },
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(update)) {
    const codec = codecs[key];
    if (!codec) throw new TypeError(`unknown databag key ${key}`);
    out[key] = value === null || value === undefined ? '' : codec.encode(value);
  }
  return out;
}
