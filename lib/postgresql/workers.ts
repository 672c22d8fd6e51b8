/**
 * The `cpu_*` worker options, resolving "auto" against the vCPU count (reference charm:
 * `src/charm.py` `_calculate_worker_process_config`). Pure.
 */
import { InvalidWorkerProcessValueError, WorkerProcessLimitError } from './errors.ts';

/** PostgreSQL's own max_worker_processes default, the base when the option is unset. */
const POSTGRESQL_DEFAULT_WORKER_PROCESSES = 8;

/** Options that follow max_worker_processes ("auto" = that base), mapped to their parameter. */
const DEPENDENT_OPTIONS = [
  ['cpu_max_parallel_workers', 'max_parallel_workers'],
  ['cpu_max_parallel_maintenance_workers', 'max_parallel_maintenance_workers'],
  ['cpu_max_logical_replication_workers', 'max_logical_replication_workers'],
  ['cpu_max_sync_workers_per_subscription', 'max_sync_workers_per_subscription'],
] as const;

type Setting = 'auto' | number | undefined;

/** "auto", an integer ≥ 2 (numeric strings accepted, as Juju may send them), or unset. */
function readSetting(config: Readonly<Record<string, unknown>>, option: string): Setting {
  const raw = config[option];
  if (raw === undefined || raw === null) return undefined;
  if (raw === 'auto') return 'auto';
  const value = typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 2) {
    throw new InvalidWorkerProcessValueError(option, raw);
  }
  return value;
}

function capped(option: string, value: number, cpuCount: number): number {
  const cap = 10 * cpuCount;
  if (value > cap) throw new WorkerProcessLimitError(option, value, cap);
  return value;
}

/**
 * The worker parameters, all as strings; unset options are left out.
 *
 * * max_worker_processes: "auto" = min(8, 2 × vCPU); a number is capped at 10 × vCPU (over it
 *   throws WorkerProcessLimitError). Its value (or 8 when unset) is the base for the others.
 * * max_parallel_workers: "auto" = base; a number is cap-checked, then limited to the base.
 * * the other three: "auto" = base; a number is cap-checked and used as is.
 */
export function calculateWorkerProcessConfig(
  config: Readonly<Record<string, unknown>>,
  cpuCount: number,
): Record<string, string> {
  const result: Record<string, string> = {};
  const workerProcesses = readSetting(config, 'cpu_max_worker_processes');
  if (workerProcesses === 'auto') {
    result.max_worker_processes = String(Math.min(8, 2 * cpuCount));
  } else if (workerProcesses !== undefined) {
    result.max_worker_processes = String(capped('cpu_max_worker_processes', workerProcesses, cpuCount));
  }
  const base = Number(result.max_worker_processes ?? POSTGRESQL_DEFAULT_WORKER_PROCESSES);

  for (const [option, parameter] of DEPENDENT_OPTIONS) {
    const setting = readSetting(config, option);
    if (setting === undefined) continue;
    if (setting === 'auto') {
      result[parameter] = String(base);
      continue;
    }
    const value = capped(option, setting, cpuCount);
    result[parameter] = String(parameter === 'max_parallel_workers' ? Math.min(value, base) : value);
  }
  return result;
}
