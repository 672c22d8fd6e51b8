/**
 * Request helpers: reading bodies, decoding JSON with messages shaped like Go's
 * encoding/json errors, and Pebble's comma-separated list parameters.
 */
import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import { badRequest } from '../errors.ts';

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const JSON_STARTS = '{["-0123456789tfn';

/** Go's message for JSON that does not parse. */
function goSyntaxError(text: string, err: unknown): string {
  const trimmed = text.trimStart();
  if (trimmed === '') return 'EOF';
  const first = trimmed[0] as string;
  if (!JSON_STARTS.includes(first)) return `invalid character '${first}' looking for beginning of value`;
  const message = err instanceof Error ? err.message : '';
  if (/end of JSON input|Unterminated/i.test(message)) return 'unexpected EOF';
  const token = /Unexpected token '?(.)'?/.exec(message)?.[1];
  return token ? `invalid character '${token}' looking for beginning of value` : message;
}

const GO_TYPES: Record<string, string> = { array: '[]string', boolean: 'bool', number: 'int', object: 'map[string]string' };

const jsonTypeName = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : typeof v === 'boolean' ? 'bool' : typeof v;

/**
 * Decode a JSON body against a schema. `prefix` is the endpoint's wording
 * ("cannot decode data from request body" or "cannot decode request body").
 */
export function decodeJson<S extends z.ZodType>(body: Buffer, prefix: string, schema: S): z.output<S> {
  const text = body.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw badRequest(`${prefix}: ${goSyntaxError(text, err)}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path ?? [];
    let actual: unknown = value;
    for (const key of path) actual = (actual as Record<string | number, unknown> | undefined)?.[key as string | number];
    const field = path.filter((p) => typeof p === 'string').join('.');
    const expected = issue && 'expected' in issue ? String(issue.expected) : 'value';
    const goType = GO_TYPES[expected] ?? expected;
    throw badRequest(`${prefix}: json: cannot unmarshal ${jsonTypeName(actual)} into Go struct field .${field} of type ${goType}`);
  }
  return parsed.data;
}

/** Every occurrence of a query parameter, each split on commas (strutil.MultiCommaSeparatedList). */
export function commaList(params: URLSearchParams, key: string): string[] {
  return params
    .getAll(key)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}
