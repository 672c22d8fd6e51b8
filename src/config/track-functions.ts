/**
 * Two options set PostgreSQL's `track_functions`: `logging_track_functions` and
 * `optimizer_track_functions` (both default "none"). The reference copies both into the parameter
 * map and whichever comes last silently wins. Our rule instead:
 *
 * - a value other than "none" wins over "none", whichever option carries it;
 * - if both carry the same value, that value is used;
 * - if both carry different values other than "none", the config is invalid and the error names
 *   both options, so the operator decides rather than the key order.
 */
import { listChoices } from './allowed.ts';

export const TRACK_FUNCTIONS_VALUES = ['none', 'pl', 'all'] as const;
export type TrackFunctions = (typeof TRACK_FUNCTIONS_VALUES)[number];

export type TrackFunctionsResolution =
  | { readonly ok: true; readonly value: TrackFunctions }
  | { readonly ok: false; readonly allowed: string };

export function resolveTrackFunctions(
  logging: TrackFunctions,
  optimizer: TrackFunctions,
): TrackFunctionsResolution {
  if (optimizer === 'none' || optimizer === logging) return { ok: true, value: logging };
  if (logging === 'none') return { ok: true, value: optimizer };
  return {
    ok: false,
    allowed:
      `${listChoices(['none', logging])} while logging_track_functions=${JSON.stringify(logging)} ` +
      "(both options set PostgreSQL's track_functions)",
  };
}

export function isTrackFunctions(value: unknown): value is TrackFunctions {
  return (TRACK_FUNCTIONS_VALUES as readonly unknown[]).includes(value);
}
