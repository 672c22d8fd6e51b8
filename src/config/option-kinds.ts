/**
 * The vocabulary the option table (`options.ts`) is written in: one small constructor per kind of
 * option, plus the numeric ranges several options share. Each definition carries the Juju type
 * (what config.yaml declares), the default (exactly config.yaml's, `undefined` when config.yaml
 * has none) and the rule the value must satisfy. The zod schema, the `CharmConfig` type and the
 * "allowed values" wording are all derived from these definitions, so they cannot drift apart.
 */

/** The option types config.yaml declares (Juju's vocabulary). */
export type JujuOptionType = 'string' | 'int' | 'float' | 'boolean';

/** An inclusive `[min, max]`; `undefined` means unbounded on that side. */
export type NumericRange = readonly [min: number | undefined, max: number | undefined];

interface OptionBase<N extends string, K extends string, T extends JujuOptionType, D> {
  readonly name: N;
  readonly kind: K;
  readonly type: T;
  /** config.yaml's default; `undefined` when the option has none (Juju then omits it). */
  readonly default: D;
}

export interface FlagOption<N extends string = string> extends OptionBase<N, 'flag', 'boolean', boolean> {}

export interface IntOption<N extends string = string, D extends number | undefined = number | undefined>
  extends OptionBase<N, 'int', 'int', D> {
  readonly range: NumericRange;
}

export interface FloatOption<N extends string = string> extends OptionBase<N, 'float', 'float', number> {
  readonly range: NumericRange;
}

export interface ChoiceOption<N extends string = string, V extends string = string>
  extends OptionBase<N, 'choice', 'string', V> {
  readonly values: readonly V[];
}

/**
 * A free string; some are checked against the running database later (reference
 * `_validate_config_options`).
 */
export interface TextOption<N extends string = string, D extends string | undefined = string | undefined>
  extends OptionBase<N, 'text', 'string', D> {}

/** `"auto"` or an integer ≥ 2 (the cpu_* worker counts); a numeric string becomes an int. */
export interface WorkersOption<N extends string = string> extends OptionBase<N, 'workers', 'string', 'auto'> {}

/** `"all"`, `"majority"` or a positive integer; a numeric string becomes an int. */
export interface SyncNodeCountOption<N extends string = string>
  extends OptionBase<N, 'sync-node-count', 'string', 'all'> {}

export type AnyOption =
  | FlagOption
  | IntOption
  | FloatOption
  | ChoiceOption
  | TextOption
  | WorkersOption
  | SyncNodeCountOption;

/** The smallest worker count the reference accepts for the cpu_* options. */
export const MIN_WORKERS = 2;

// PostgreSQL's own GUC limits, named once so the table reads like the documentation.
const INT4_MAX = 2_147_483_647;
const HALF_INT4_MAX = 1_073_741_823;

export const RANGES = {
  nonNegativeInt4: [0, INT4_MAX],
  positiveInt4: [1, INT4_MAX],
  int4OrMinusOne: [-1, INT4_MAX],
  buffers: [16, HALF_INT4_MAX],
  tempBuffers: [100, HALF_INT4_MAX],
  lruMaxPages: [0, HALF_INT4_MAX],
  atLeast64Kb: [64, INT4_MAX],
  parallelScanSize: [0, 715_827_882],
  vacuumCost: [0, 10_000],
  freezeMaxAge: [100_000, 2_000_000_000],
  freezeTableAge: [0, 2_000_000_000],
  freezeMinAge: [0, 1_000_000_000],
  failsafeAge: [0, 2_100_000_000],
  nonNegative: [0, undefined],
  /** The reference's upper bound 1.80E+308 is above every finite double: only the floor bites. */
  cost: [0, undefined],
  costOrMinusOne: [-1, undefined],
  fraction: [0, 1],
  percent: [0, 100],
  unbounded: [undefined, undefined],
  /** pgBackRest's repo1-retention-full limit. */
  retentionCount: [0, 9_999_999],
} as const satisfies Record<string, NumericRange>;

export function flag<const N extends string>(name: N, fallback: boolean): FlagOption<N> {
  return { name, kind: 'flag', type: 'boolean', default: fallback };
}

export function int<const N extends string, const D extends number | undefined>(
  name: N,
  fallback: D,
  range: NumericRange,
): IntOption<N, D> {
  return { name, kind: 'int', type: 'int', default: fallback, range };
}

export function float<const N extends string>(name: N, fallback: number, range: NumericRange): FloatOption<N> {
  return { name, kind: 'float', type: 'float', default: fallback, range };
}

export function choice<const N extends string, const V extends string>(
  name: N,
  fallback: NoInfer<V>,
  values: readonly V[],
): ChoiceOption<N, V> {
  return { name, kind: 'choice', type: 'string', default: fallback, values };
}

export function text<const N extends string, const D extends string | undefined>(
  name: N,
  fallback: D,
): TextOption<N, D> {
  return { name, kind: 'text', type: 'string', default: fallback };
}

export function workers<const N extends string>(name: N): WorkersOption<N> {
  return { name, kind: 'workers', type: 'string', default: 'auto' };
}

export function syncNodeCount<const N extends string>(name: N): SyncNodeCountOption<N> {
  return { name, kind: 'sync-node-count', type: 'string', default: 'all' };
}

/** The validated value type of an option definition. */
export type OptionValue<D> = D extends { kind: 'flag' }
  ? boolean
  : D extends { kind: 'int' | 'float' }
    ? number
    : D extends ChoiceOption<string, infer V>
      ? V
      : D extends { kind: 'workers' }
        ? 'auto' | number
        : D extends { kind: 'sync-node-count' }
          ? 'all' | 'majority' | number
          : string;
