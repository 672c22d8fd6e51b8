import type { DebugLog } from '../controller/debug-log.ts';
import type { ProgressEvent } from '../controller/event-log.ts';

/**
 * What Juju's unit agent itself logs about each hook (`ran "install" hook (via hook dispatching
 * script: dispatch)`), written into the unit's debug log next to the hook's own output, so that
 * `debug-log` shows which hooks ran even when the charm printed nothing.
 */
export function uniterLine(event: ProgressEvent): { level: string; line: string } | null {
  if (event.unit === '') return null;
  const subject = event.hook !== undefined ? `"${event.hook}" hook` : event.action !== undefined ? `"${event.action}" action` : null;
  switch (event.type) {
    case 'succeeded':
      return subject === null ? null : { level: 'INFO', line: `ran ${subject} (via hook dispatching script: dispatch)` };
    case 'failed':
      return subject === null ? null : { level: 'ERROR', line: `${subject} (via hook dispatching script: dispatch) failed: exit status ${String(event.exitCode)}` };
    case 'aborted':
    case 'dropped':
    case 'skipped':
      return { level: 'WARNING', line: `${event.what} ${event.type}` };
    case 'model':
      return { level: 'INFO', line: event.what };
    default:
      return null;
  }
}

/** Copy the controller's progress events into the per-unit debug logs as they happen. */
export function recordUniterLines(subscribe: (listener: (event: ProgressEvent) => void) => () => void, debugLog: DebugLog): () => void {
  return subscribe((event) => {
    const entry = uniterLine(event);
    if (!entry) return;
    const hook = event.hook ?? (event.action === undefined ? '' : `action:${event.action}`);
    debugLog.write({ unit: event.unit, hook, stream: 'controller', level: entry.level, line: entry.line });
  });
}
