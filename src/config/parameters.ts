/**
 * Which charm options become PostgreSQL parameters, and under which name (§2.1 of the reference
 * inventory): an option whose first `_`-separated token is one of the prefixes below becomes the
 * parameter named by the rest of the option name, with a few renames. Values are passed on as
 * typed; the cpu_* worker counts may still be "auto" and `wal_compression` is still a boolean —
 * turning those into final settings needs the unit's resources and belongs to the caller.
 */
import { ConfigValidationError } from './errors.ts';
import { CHARM_OPTIONS } from './options.ts';
import type { CharmConfig } from './schema.ts';
import { resolveTrackFunctions } from './track-functions.ts';

export type ParameterValue = string | number | boolean;

export const PARAMETER_PREFIXES: ReadonlySet<string> = new Set([
  'connection',
  'cpu',
  'durability',
  'instance',
  'logging',
  'memory',
  'optimizer',
  'request',
  'response',
  'session',
  'storage',
  'vacuum',
]);

/** Parameter names PostgreSQL spells differently from the option suffix. */
const RENAMES: Readonly<Record<string, string>> = { date_style: 'DateStyle', time_zone: 'TimeZone' };

/** Handed to Patroni's DCS config rather than PostgreSQL. */
const NOT_A_PARAMETER = new Set(['maximum_lag_on_failover']);

const PG_STAT_STATEMENTS = 'pg_stat_statements_';

/** The PostgreSQL parameter an option sets, or undefined when it sets none. */
export function parameterNameFor(option: string): string | undefined {
  const separator = option.indexOf('_');
  if (separator < 0 || !PARAMETER_PREFIXES.has(option.slice(0, separator))) return undefined;
  const rest = option.slice(separator + 1);
  if (NOT_A_PARAMETER.has(rest)) return undefined;
  if (rest.startsWith(PG_STAT_STATEMENTS)) return `pg_stat_statements.${rest.slice(PG_STAT_STATEMENTS.length)}`;
  return RENAMES[rest] ?? rest;
}

/**
 * The PostgreSQL parameters the config sets, in config.yaml order. `track_functions`, which two
 * options feed, follows the rule in `track-functions.ts`.
 */
export function postgresqlParameterOptions(config: CharmConfig): Record<string, ParameterValue> {
  const parameters: Record<string, ParameterValue> = {};
  for (const { name } of CHARM_OPTIONS) {
    const parameter = parameterNameFor(name);
    const value = config[name];
    if (parameter === undefined || value === undefined) continue;
    parameters[parameter] = value;
  }
  const trackFunctions = resolveTrackFunctions(config.logging_track_functions, config.optimizer_track_functions);
  if (!trackFunctions.ok) {
    // parseCharmConfig already rejects this; a hand-built config must not slip through either.
    throw new ConfigValidationError([
      { option: 'optimizer_track_functions', value: config.optimizer_track_functions, allowed: trackFunctions.allowed },
    ]);
  }
  parameters['track_functions'] = trackFunctions.value;
  return parameters;
}
