import { errorMessage } from '../../src/errors.ts';
import type { Logger } from '../../src/logging.ts';
import type { EventLog } from './event-log.ts';
import { subjectOf } from './hook-notes.ts';
import { findOrphans, killOrphans, type RunningDispatch } from './orphans.ts';

/**
 * A controller that starts where another one died first ends the dispatches that one left
 * running (they would otherwise race the hooks' second run), and says so in the progress log
 * (which the unit's debug log copies). Hooks run again (they are still at the head of their queues);
 * actions were aborted by the restart.
 */
export async function endOrphanedDispatches(
  dispatches: Record<string, RunningDispatch>,
  out: { log: EventLog; logger: Logger },
): Promise<void> {
  for (const [unit, record] of Object.entries(dispatches)) {
    const subject = subjectOf(record.event);
    try {
      const killed = await killOrphans(record);
      const left = await findOrphans(record);
      if (left.length > 0) {
        out.logger.error({ unit, pid: record.pid, left }, 'orphaned dispatch processes survived SIGKILL');
      }
      if (killed > 0) {
        const next = record.event.kind === 'hook' ? 'the hook runs again' : 'the action was aborted';
        const what = `killed ${killed} process${killed === 1 ? '' : 'es'} of the ${subject}'s dispatch (pid ${record.pid}) left running by a controller that stopped; ${next}`;
        out.log.add({ unit, type: 'model', what });
        out.logger.warn({ unit, pid: record.pid, killed }, 'killed an orphaned dispatch');
      }
    } catch (error) {
      out.logger.error({ unit, pid: record.pid, err: errorMessage(error) }, 'cannot end an orphaned dispatch');
    }
    delete dispatches[unit];
  }
}
