/**
 * Which charm options become PostgreSQL parameters, and under which name (the reference's
 * `build_postgresql_parameters` in `lib/charms/postgresql_k8s/v0/postgresql.py`): an option whose
 * first `_`-separated token is one of the prefixes below becomes the parameter named by the rest of
 * the option name, with a few renames. Values are passed on as typed; the cpu_* worker counts may
 * still be "auto" and `wal_compression` is still a boolean — turning those into final settings
 * needs the unit's resources and belongs to the caller.
 */
import { ConfigValidationError } from './errors.ts';
import { CHARM_OPTIONS } from './options.ts';
import { PARAMETER_OPTION_PREFIXES } from '../../lib/postgresql/constants.ts';
import { parameterNameForOption } from '../../lib/postgresql/parameters.ts';
import type { CharmConfig } from './schema.ts';
import { resolveTrackFunctions } from './track-functions.ts';

export type ParameterValue = string | number | boolean;

/** Option prefixes that make an option a PostgreSQL parameter (as the reference's); lib owns the list. */
export const PARAMETER_PREFIXES: ReadonlySet<string> = new Set(PARAMETER_OPTION_PREFIXES);

/** The PostgreSQL parameter an option sets, or undefined when it sets none (lib's mapping). */
export function parameterNameFor(option: string): string | undefined {
  return parameterNameForOption(option) ?? undefined;
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
