/**
 * The zod schema of the charm config, derived from the option table. It is built on first use,
 * not at import: every hook is a fresh Node process and most never parse the config, so the
 * module must cost nothing to load. Options with the same rule share one zod instance, which keeps
 * the first build to a few dozen schemas instead of ~190.
 */
import * as z from 'zod/mini';
import '../zod-setup.ts';
import { MIN_WORKERS, type AnyOption, type NumericRange, type OptionValue } from './option-kinds.ts';
import { CHARM_OPTIONS, type CharmOption } from './options.ts';
import { isTrackFunctions, resolveTrackFunctions } from './track-functions.ts';
import { checkBackupOptions } from './backup-options.ts';

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/**
 * The validated charm config. Options config.yaml gives a default are always present; the four
 * without one (`experimental_max_connections`, `ldap_map`, `memory_shared_buffers`,
 * `profile_limit_memory`) are absent unless the operator set them.
 */
export type CharmConfig = Simplify<
  {
    readonly [D in CharmOption as D['default'] extends undefined ? never : D['name']]: OptionValue<D>;
  } & {
    readonly [D in CharmOption as D['default'] extends undefined ? D['name'] : never]?: OptionValue<D>;
  }
>;

/** Juju sends the cpu_* counts and synchronous_node_count as strings: "4" means 4. */
function numericStringToInt(value: unknown): unknown {
  return typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
}

/** One `.check()` with both bounds, rather than a clone of the schema per bound. */
function bounded<T extends z.ZodMiniNumber>(schema: T, [min, max]: NumericRange): T {
  const checks: z.core.$ZodCheck<number>[] = [];
  if (min !== undefined) checks.push(z.gte(min));
  if (max !== undefined) checks.push(z.lte(max));
  return checks.length > 0 ? schema.check(...checks) : schema;
}

function buildMemberSchema(option: AnyOption): z.ZodMiniType {
  switch (option.kind) {
    case 'flag':
      return z.boolean();
    case 'int':
      return bounded(z.int(), option.range);
    case 'float':
      return bounded(z.number(), option.range);
    case 'choice':
      return z.enum(option.values as [string, ...string[]]);
    case 'text':
      return z.string();
    case 'workers':
      return z.pipe(z.transform(numericStringToInt), z.union([z.literal('auto'), z.int().check(z.gte(MIN_WORKERS))]));
    case 'sync-node-count':
      return z.pipe(z.transform(numericStringToInt), z.union([z.enum(['all', 'majority']), z.int().check(z.gte(1))]));
  }
}

/** Options whose rule is identical get the same key, hence the same zod instance. */
function ruleKey(option: AnyOption): string {
  const optional = option.default === undefined ? '?' : '';
  switch (option.kind) {
    case 'int':
    case 'float':
      return `${option.kind}:${option.range.join(':')}${optional}`;
    case 'choice':
      return `choice:${option.values.join('|')}${optional}`;
    default:
      return `${option.kind}${optional}`;
  }
}

/** Juju omits unset options without a default; config-get --all reports them as null. */
function applyDefaults(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const input = raw as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const option of CHARM_OPTIONS) {
    const value = input[option.name];
    if (value !== undefined && value !== null) out[option.name] = value;
    else if (option.default !== undefined) out[option.name] = option.default;
  }
  return out;
}

function checkTrackFunctions(config: Record<string, unknown>, ctx: z.core.$RefinementCtx): void {
  const logging = config['logging_track_functions'];
  const optimizer = config['optimizer_track_functions'];
  // Field errors are reported on their own; only two valid values can conflict.
  if (!isTrackFunctions(logging) || !isTrackFunctions(optimizer)) return;
  const resolution = resolveTrackFunctions(logging, optimizer);
  if (!resolution.ok) {
    ctx.addIssue({
      code: 'custom',
      path: ['optimizer_track_functions'],
      message: resolution.allowed,
      input: optimizer,
    });
  }
}

function buildCharmConfigSchema(): z.ZodMiniType<CharmConfig> {
  const shared = new Map<string, z.ZodMiniType>();
  const shape: Record<string, z.ZodMiniType> = {};
  for (const option of CHARM_OPTIONS) {
    const key = ruleKey(option);
    let member = shared.get(key);
    if (member === undefined) {
      const base = buildMemberSchema(option);
      member = option.default === undefined ? z.optional(base) : base;
      shared.set(key, member);
    }
    shape[option.name] = member;
  }
  // zod runs this after out-of-range values (both get reported at once) but skips it after a
  // wrong type or an unknown choice; the conflict then shows up once those are fixed.
  const object = z.object(shape).check(z.superRefine(checkTrackFunctions), z.superRefine(checkBackupOptions));
  return z.pipe(z.transform(applyDefaults), object) as unknown as z.ZodMiniType<CharmConfig>;
}

let schema: z.ZodMiniType<CharmConfig> | undefined;

/**
 * The charm config schema: fills in config.yaml defaults for absent options, validates every
 * option and the cross-option `track_functions` rule, and drops keys it does not know.
 */
export function charmConfigSchema(): z.ZodMiniType<CharmConfig> {
  schema ??= buildCharmConfigSchema();
  return schema;
}
