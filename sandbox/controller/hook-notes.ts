import type { QueuedEvent } from './queued-event.ts';

/**
 * What the unit agent itself says in the debug log about each dispatch, in Juju's words
 * (`ran "install" hook (via hook dispatching script: dispatch)`), with the exit code and the
 * duration, so that a hook that printed nothing still leaves a trace.
 */

export interface Note {
  level: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';
  line: string;
}

/** How a dispatch ended, as far as the notes care. */
export interface DispatchEnd {
  exitCode: number | null;
  signal: string | null;
  aborted: boolean;
  spawnError?: string;
  /** The controller refused the dispatch's changes (e.g. a follower's secret-set). */
  commitError?: string;
}

const VIA = '(via hook dispatching script: dispatch)';

/** `"install" hook` or `"backup" action`. */
export function subjectOf(event: QueuedEvent): string {
  return event.kind === 'hook' ? `"${event.hook}" hook` : `"${event.name}" action`;
}

export function startNote(event: QueuedEvent): Note {
  return { level: 'INFO', line: `running ${subjectOf(event)}` };
}

/** A charm without `dispatch` nor the legacy file: Juju skips the hook. */
export function missingNote(event: QueuedEvent): Note {
  return { level: 'INFO', line: `skipped ${subjectOf(event)} (missing)` };
}

export function endNote(event: QueuedEvent, end: DispatchEnd, durationMs: number): Note {
  const subject = subjectOf(event);
  const took = `${Math.round(durationMs)} ms`;
  if (end.spawnError !== undefined) return { level: 'ERROR', line: `${subject} failed: cannot run dispatch: ${end.spawnError} (${took})` };
  if (end.aborted) return { level: 'WARNING', line: `${subject} ${VIA} stopped: the controller is shutting down and runs it again later (${took})` };
  if (end.commitError !== undefined) return { level: 'ERROR', line: `${subject} ${VIA} failed: ${end.commitError} (${took})` };
  if (end.exitCode === 0) return { level: 'INFO', line: `ran ${subject} ${VIA}: exit code 0 (${took})` };
  const why = end.exitCode !== null ? `exit status ${end.exitCode}` : `killed by ${end.signal ?? 'a signal'}`;
  return { level: 'ERROR', line: `${subject} ${VIA} failed: ${why} (${took})` };
}
