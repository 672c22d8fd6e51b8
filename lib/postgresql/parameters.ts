/**
 * Config options → PostgreSQL parameters, with the memory tuning of the `production` profile
 * (the reference's `PostgreSQL.build_postgresql_parameters`, in
 * `lib/charms/postgresql_k8s/v0/postgresql.py`, reproduced exactly, including its unit arithmetic). Pure.
 */
import { PARAMETER_OPTION_PREFIXES } from './constants.ts';
import { SharedBuffersTooLargeError } from './errors.ts';

export type ParameterValue = string | number | boolean;

const RENAMES: Readonly<Record<string, string>> = { date_style: 'DateStyle', time_zone: 'TimeZone' };
const PG_STAT_STATEMENTS = 'pg_stat_statements_';
/** Goes to Patroni's DCS config, not to PostgreSQL. */
const NOT_A_PARAMETER = 'maximum_lag_on_failover';

/**
 * The PostgreSQL parameter an option sets, or null when it sets none. The parameter is the
 * option without its first `_` token (`memory_work_mem` → `work_mem`).
 */
export function parameterNameForOption(option: string): string | null {
  if (!PARAMETER_OPTION_PREFIXES.some((prefix) => option.startsWith(prefix))) return null;
  let parameter = option.split('_').slice(1).join('_');
  if (parameter === NOT_A_PARAMETER) return null;
  parameter = RENAMES[parameter] ?? parameter;
  if (parameter.startsWith(PG_STAT_STATEMENTS)) {
    parameter = `pg_stat_statements.${parameter.slice(PG_STAT_STATEMENTS.length)}`;
  }
  return parameter;
}

function isParameterValue(value: unknown): value is ParameterValue {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/**
 * The parameters for PostgreSQL from the charm's config options (name → value, in config
 * order; unset options absent or undefined).
 *
 * * Memory is `availableMemoryBytes`, lowered to `limitMemoryBytes` when that is given and
 *   non-zero.
 * * `shared_buffers` (8 kB pages) may be at most 40 % of it, else SharedBuffersTooLargeError.
 * * Profile `production` adds `shared_buffers` (25 % of memory, unless set) and
 *   `effective_cache_size`, both as strings; `testing` adds nothing.
 *
 * Values are copied as they are (the cpu_* ones stay "auto"; the charm overrides them with
 * `calculateWorkerProcessConfig`). When two options map to one parameter (the reference's
 * `track_functions` quirk), the later option wins.
 */
export function buildPostgresqlParameters(
  configOptions: Readonly<Record<string, unknown>>,
  availableMemoryBytes: number,
  limitMemoryBytes?: number | null,
): Record<string, ParameterValue> {
  let availableMemory = availableMemoryBytes;
  if (limitMemoryBytes) availableMemory = Math.min(availableMemory, limitMemoryBytes);
  const profile = configOptions.profile;

  const parameters: Record<string, ParameterValue> = {};
  for (const [option, value] of Object.entries(configOptions)) {
    if (!isParameterValue(value)) continue;
    const parameter = parameterNameForOption(option);
    if (parameter !== null) parameters[parameter] = value;
  }

  const availableMegabytes = Math.trunc((availableMemory * 0.4) / 10 ** 6);
  const maxSharedBuffers = Math.trunc((availableMegabytes * 10 ** 3) / 8);
  const requestedSharedBuffers = parameters.shared_buffers;
  if (Number(requestedSharedBuffers ?? 0) > maxSharedBuffers) {
    throw new SharedBuffersTooLargeError(availableMegabytes);
  }

  if (profile === 'production') {
    let sharedBuffersBytes: number;
    if (requestedSharedBuffers !== undefined) {
      sharedBuffersBytes = Number(requestedSharedBuffers) * 8 * 10 ** 3;
    } else {
      sharedBuffersBytes = Math.trunc(availableMemory * 0.25);
      parameters.shared_buffers = String(Math.trunc((sharedBuffersBytes * 128) / 10 ** 6));
    }
    parameters.effective_cache_size = String(
      Math.trunc((availableMemory - sharedBuffersBytes) / 10 ** 6) * 128,
    );
  }
  return parameters;
}
