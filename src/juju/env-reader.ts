import * as z from 'zod/mini';
import { transformIssue } from '../zod-setup.ts';
import { DispatchContextError } from './errors.ts';
import { parseJujuVersion } from './juju-version.ts';

/**
 * Reads JUJU_* variables through zod schemas. Any failure becomes a DispatchContextError naming
 * the variable, its value and what was expected. Empty strings count as unset (Juju exports
 * every always-set variable, empty when unknown).
 */
export type Env = Readonly<Record<string, string | undefined>>;

const NAME = /^[a-z][a-z0-9-]*$/;
const UNIT = /^([a-z][a-z0-9-]*)\/(0|[1-9][0-9]*)$/;

export const text = z.string().check(z.minLength(1));
export const entityName = z.string().check(z.regex(NAME));
export const absolutePath = z.string().check(z.regex(/^\//));
export const modelUuid = z.string().check(z.regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i));
export const positiveInt = z.pipe(z.string().check(z.regex(/^[1-9][0-9]*$/)), z.transform(Number));

/** `<app>/<n>` → name, app and number. */
export const unitName = z.pipe(
  z.string().check(z.regex(UNIT)),
  z.transform((value: string) => {
    const slash = value.lastIndexOf('/');
    return { name: value, app: value.slice(0, slash), number: Number(value.slice(slash + 1)) };
  }),
);

/** `<endpoint>:<id>`; like ops, the id is the integer after the last `:`. */
export const relationId = z.pipe(
  z.string().check(z.regex(/^([a-z][a-z0-9-]*):(0|[1-9][0-9]*)$/)),
  z.transform((value: string) => {
    const colon = value.lastIndexOf(':');
    return { endpoint: value.slice(0, colon), id: Number(value.slice(colon + 1)) };
  }),
);

/** `<storage-name>/<index>`. */
export const storageId = z.pipe(
  z.string().check(z.regex(/^([a-z][a-z0-9-]*)\/(0|[1-9][0-9]*)$/)),
  z.transform((value: string) => {
    const slash = value.lastIndexOf('/');
    return { name: value.slice(0, slash), index: Number(value.slice(slash + 1)) };
  }),
);

export const jujuVersion = z.pipe(
  z.string(),
  z.transform((value: string, payload) => parseJujuVersion(value) ?? transformIssue(payload, 'not a Juju version')),
);

export class EnvReader {
  readonly env: Env;

  constructor(env: Env) {
    this.env = env;
  }

  /** Set and non-empty, and valid. */
  required<T>(name: string, schema: z.ZodMiniType<T, string>, expected: string): T {
    const value = this.optional(name, schema, expected);
    if (value === undefined) throw new DispatchContextError(name, this.env[name], expected);
    return value;
  }

  /** Unset or empty → undefined; otherwise it must be valid. */
  optional<T>(name: string, schema: z.ZodMiniType<T, string>, expected: string): T | undefined {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return undefined;
    const result = schema.safeParse(raw);
    if (!result.success) throw new DispatchContextError(name, raw, expected);
    return result.data;
  }

  /** `required` when `needed`, else `optional`. */
  when<T>(needed: boolean, name: string, schema: z.ZodMiniType<T, string>, expected: string): T | undefined {
    return needed ? this.required(name, schema, expected) : this.optional(name, schema, expected);
  }

  text(name: string): string | undefined {
    return this.optional(name, text, 'any text');
  }

  /** Must be present (ops checks presence), but may be empty. */
  present(name: string, expected: string): string {
    const raw = this.env[name];
    if (raw === undefined) throw new DispatchContextError(name, raw, expected);
    return raw;
  }

  /** Fail unless `actual` is what the dispatch path says it must be. */
  matches(name: string, actual: string, wanted: string, what: string): void {
    if (actual !== wanted) {
      throw new DispatchContextError(name, this.env[name], `${JSON.stringify(wanted)}, the ${what} in JUJU_DISPATCH_PATH`);
    }
  }
}

/** Drop undefined members so optional fields are absent rather than present-but-undefined. */
export function definedOnly<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) {
    if (value[key] === undefined) delete value[key];
  }
  return value;
}
