import { setTimeout as sleep } from 'node:timers/promises';
import type { ControllerClient } from '../controller/controller-client.ts';
import type { ControllerStatus } from '../controller/controller.ts';
import { readDebugLog } from '../controller/debug-log.ts';
import type { ProgressEvent } from '../controller/event-log.ts';
import { SandboxError } from '../runtime/errors.ts';
import { formatDuration } from './args.ts';
import { formatDebugEntry } from './log-format.ts';
import type { Output } from './output.ts';

/**
 * Following a long operation: the hooks each unit runs, as they start and end, until a condition
 * on the model holds. A timeout names the unit that is stuck, what it shows, the hook it is on
 * or last failed, and the tail of its debug log.
 */

export type Condition = (status: ControllerStatus) => boolean;

/** What a unit waits for; a daemon started before `waitingFor` existed does not send it. */
const waitingFor = (u: ControllerStatus['units'][string]): string[] => (u.waitingFor as string[] | undefined) ?? [];

/** No hook runs or waits anywhere and no unit still waits for its workload's Pebble. */
export const settled: Condition = (status) =>
  Object.values(status.units).every((u) => u.running === null && u.queue.length === 0 && u.phase !== 'awaiting-workload' && waitingFor(u).length === 0);

/** Every unit of `apps` is active and idle, and the model has settled (what `--wait` means). */
export function activeAndIdle(apps: readonly string[]): Condition {
  return (status) => settled(status) && unitsOf(status, apps).every((u) => isActiveIdle(status, u));
}

function unitsOf(status: ControllerStatus, apps: readonly string[]): string[] {
  return Object.values(status.model.units).filter((u) => apps.includes(u.app)).map((u) => u.name);
}

function isActiveIdle(status: ControllerStatus, unit: string): boolean {
  const u = status.model.units[unit];
  return u?.workloadStatus.status === 'active' && u.agentStatus.status === 'idle' && status.units[unit]?.running == null;
}

export interface WatchOptions {
  /** Print events after this sequence number (take it before the operation starts). */
  since: number;
  timeoutMs: number;
  until: Condition;
  /** What is awaited, for the timeout message ("every unit of x to be active and idle"). */
  describe: string;
  /** Units the timeout report should look at; default: every unit not done. */
  apps?: readonly string[];
  /** The controller's per-unit debug logs, for the timeout report. */
  debugLogDir: string;
  pollMs?: number;
}

/** The last sequence number the daemon has (to print only what comes after). */
export async function lastSeq(client: ControllerClient): Promise<number> {
  return (await client.events()).at(-1)?.seq ?? 0;
}

export async function watch(client: ControllerClient, output: Output, options: WatchOptions): Promise<ControllerStatus> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  let seq = options.since;
  const lastFailure = new Map<string, ProgressEvent>();
  for (;;) {
    for (const event of await client.events(seq)) {
      seq = event.seq;
      if (event.type === 'failed') lastFailure.set(event.unit, event);
      const line = describeProgress(event);
      if (line !== null) output.note(line);
    }
    const status = await client.status();
    if (options.until(status)) return status;
    if (Date.now() >= deadline) {
      throw new SandboxError('sandbox-wait-timeout', await stuckReport(status, options, lastFailure, Date.now() - started));
    }
    await sleep(options.pollMs ?? 400);
  }
}

/** One progress line for an event worth showing, or null. */
export function describeProgress(event: ProgressEvent): string | null {
  const who = event.unit === '' ? 'model' : event.unit;
  const took = event.durationMs === undefined ? '' : ` (${formatDuration(event.durationMs)})`;
  switch (event.type) {
    case 'started':
      return `${who}: running ${event.what}`;
    case 'retrying':
      return `${who}: retrying ${event.what} (attempt ${event.attempt ?? '?'})`;
    case 'succeeded':
      return `${who}: ${event.what} done${took}`;
    case 'failed':
      return `${who}: ${event.what} FAILED (exit ${String(event.exitCode)})${took}${event.retryInMs === undefined ? '' : `, retrying in ${formatDuration(event.retryInMs)}`}`;
    case 'aborted':
    case 'dropped':
    case 'skipped':
      return `${who}: ${event.what} ${event.type}`;
    case 'model':
      return `${who}: ${event.what}`;
    default:
      return null;
  }
}

async function stuckReport(status: ControllerStatus, options: WatchOptions, failures: Map<string, ProgressEvent>, waitedMs: number): Promise<string> {
  const lines = [`timed out after ${formatDuration(waitedMs)} waiting for ${options.describe}`];
  const apps = options.apps ?? Object.keys(status.model.applications);
  const stuck = Object.values(status.model.units).filter((u) => apps.includes(u.app) && !isDone(status, u.name));
  for (const unit of stuck) {
    const progress = status.units[unit.name];
    lines.push(`  ${unit.name}: workload ${unit.workloadStatus.status}${unit.workloadStatus.message ? ` "${unit.workloadStatus.message}"` : ''}, agent ${unit.agentStatus.status}${unit.agentStatus.message ? ` "${unit.agentStatus.message}"` : ''}`);
    if (progress?.running) lines.push(`    running: ${progress.running}`);
    if (progress && progress.failedAttempts > 0) lines.push(`    failing: ${progress.queue[0]} (${progress.failedAttempts} failed attempts)`);
    else if (failures.has(unit.name)) lines.push(`    last failed: ${failures.get(unit.name)!.what}`);
    const waiting = progress?.running ? progress.queue.slice(1) : (progress?.queue ?? []);
    if (waiting.length > 0) lines.push(`    queued: ${waiting.join(', ')}`);
    if (progress && waitingFor(progress).length > 0) lines.push(`    waiting for the Pebble of ${waitingFor(progress).join(', ')} to answer`);
    const tail = (await readDebugLog(options.debugLogDir, unit.name).catch(() => [])).slice(-8);
    if (tail.length > 0) {
      lines.push('    debug log (last lines):');
      for (const entry of tail) lines.push(`      ${formatDebugEntry(entry)}`);
    }
  }
  if (stuck.length === 0) lines.push('  every unit is done; hooks are still queued or running elsewhere in the model');
  return lines.join('\n');
}

function isDone(status: ControllerStatus, unit: string): boolean {
  const progress = status.units[unit];
  return isActiveIdle(status, unit) && (progress === undefined || progress.queue.length === 0);
}
