/**
 * pgBackRest in the workload container, run through Pebble as `postgres` (as the reference's
 * `_execute_command`). The config is pgBackRest's default path (`/etc/pgbackrest/pgbackrest.conf`,
 * https://pgbackrest.org/configuration.html#introduction), which archive-push and the restore
 * Patroni runs find without a `--config`.
 */
import type { WorkloadPebble } from '../clients/workload-pebble.ts';
import type { ExecOutput } from '../pebble/index.ts';
import { ExecError } from '../pebble/errors.ts';
import { WORKLOAD_OS_GROUP, WORKLOAD_OS_USER } from '../workload/index.ts';
import { parseInfo, parseTimelines, type StanzaInfo, type TimelineEntry } from './catalog.ts';

export type PgbackrestPebble = Pick<WorkloadPebble, 'exec'>;

/** Run `pgbackrest <args>`; a non-zero exit throws ExecError (its stdout and stderr attached). */
export async function pgbackrest(pebble: PgbackrestPebble, args: readonly string[], options: { timeoutMs?: number } = {}): Promise<ExecOutput> {
  const process = await pebble.exec(['pgbackrest', ...args], {
    user: WORKLOAD_OS_USER,
    group: WORKLOAD_OS_GROUP,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  return process.waitOutput();
}

export async function repositoryInfo(pebble: PgbackrestPebble): Promise<StanzaInfo[]> {
  return parseInfo((await pgbackrest(pebble, ['info', '--output=json'], { timeoutMs: 30_000 })).stdout);
}

export async function repositoryTimelines(pebble: PgbackrestPebble): Promise<TimelineEntry[]> {
  const output = await pgbackrest(pebble, ['repo-ls', 'archive', '--recurse', '--filter', '\\.history$', '--output=json'], { timeoutMs: 30_000 });
  return parseTimelines(output.stdout);
}

export function isExecError(error: unknown): error is ExecError {
  return error instanceof ExecError;
}
