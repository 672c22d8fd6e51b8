import { describe, expect, it } from 'vitest';
import { InvalidWorkerProcessValueError, WorkerProcessLimitError } from '../../../lib/postgresql/errors.ts';
import { calculateWorkerProcessConfig } from '../../../lib/postgresql/workers.ts';

const allAuto = {
  cpu_max_worker_processes: 'auto',
  cpu_max_parallel_workers: 'auto',
  cpu_max_parallel_maintenance_workers: 'auto',
  cpu_max_logical_replication_workers: 'auto',
  cpu_max_sync_workers_per_subscription: 'auto',
};

function expectAll(value: string) {
  return {
    max_worker_processes: value,
    max_parallel_workers: value,
    max_parallel_maintenance_workers: value,
    max_logical_replication_workers: value,
    max_sync_workers_per_subscription: value,
  };
}

describe('calculateWorkerProcessConfig', () => {
  it.each([
    [1, '2'],
    [2, '4'],
    [4, '8'],
    [8, '8'],
    [16, '8'],
  ])('all auto with %i vCPU → min(8, 2 × vCPU) = %s everywhere', (cpu, value) => {
    expect(calculateWorkerProcessConfig(allAuto, cpu)).toEqual(expectAll(value));
  });

  it('leaves unset options out and uses PostgreSQL’s 8 as the base', () => {
    expect(calculateWorkerProcessConfig({}, 4)).toEqual({});
    expect(calculateWorkerProcessConfig({ cpu_max_parallel_workers: 'auto' }, 1)).toEqual({
      max_parallel_workers: '8',
    });
  });

  it('a number for max_worker_processes up to 10 × vCPU is used as is and becomes the base', () => {
    expect(calculateWorkerProcessConfig({ ...allAuto, cpu_max_worker_processes: 20 }, 2)).toEqual(expectAll('20'));
  });

  it('max_worker_processes above 10 × vCPU throws the reference message', () => {
    let error: unknown;
    try {
      calculateWorkerProcessConfig({ cpu_max_worker_processes: 21 }, 2);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WorkerProcessLimitError);
    expect((error as WorkerProcessLimitError).code).toBe('worker-processes-over-limit');
    expect((error as WorkerProcessLimitError).option).toBe('cpu_max_worker_processes');
    expect((error as Error).message).toBe(
      'cpu_max_worker_processes value 21 exceeds maximum allowed of 20 (10 * vCores). Please set a value <= 20.',
    );
  });

  it('max_parallel_workers as a number is limited to the base; the others are not', () => {
    const config = {
      cpu_max_worker_processes: 'auto',
      cpu_max_parallel_workers: 12,
      cpu_max_parallel_maintenance_workers: 12,
      cpu_max_logical_replication_workers: 12,
      cpu_max_sync_workers_per_subscription: 12,
    };
    expect(calculateWorkerProcessConfig(config, 4)).toEqual({
      max_worker_processes: '8',
      max_parallel_workers: '8',
      max_parallel_maintenance_workers: '12',
      max_logical_replication_workers: '12',
      max_sync_workers_per_subscription: '12',
    });
  });

  it('max_parallel_workers below the base stays', () => {
    expect(
      calculateWorkerProcessConfig({ cpu_max_worker_processes: 16, cpu_max_parallel_workers: 6 }, 2),
    ).toEqual({ max_worker_processes: '16', max_parallel_workers: '6' });
  });

  it.each([
    'cpu_max_parallel_workers',
    'cpu_max_parallel_maintenance_workers',
    'cpu_max_logical_replication_workers',
    'cpu_max_sync_workers_per_subscription',
  ])('%s above 10 × vCPU throws naming that option', (option) => {
    expect(() => calculateWorkerProcessConfig({ [option]: 11 }, 1)).toThrow(
      `${option} value 11 exceeds maximum allowed of 10 (10 * vCores). Please set a value <= 10.`,
    );
  });

  it('accepts numeric strings, as Juju may deliver them', () => {
    expect(calculateWorkerProcessConfig({ cpu_max_worker_processes: '6' }, 1)).toEqual({
      max_worker_processes: '6',
    });
  });

  it.each([1, '1', 0, -3, 2.5, 'many', true])('rejects %s (must be "auto" or an integer ≥ 2)', (value) => {
    expect(() => calculateWorkerProcessConfig({ cpu_max_worker_processes: value }, 4)).toThrow(
      InvalidWorkerProcessValueError,
    );
  });
});
