/**
 * The workload's `backup-scheduler` Pebble service (src/backups/schedule.ts), in a layer of its
 * own so the main layer's step (pebble-layer.ts) never sees it: added or changed when the
 * schedule options change, started with `restart` (a replan could start Patroni where the
 * cluster must not yet run it), and disabled and stopped when there is no schedule, no usable
 * S3 repository, or a restore runs.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Service } from '../../pebble/types.ts';
import { BACKUP_SCHEDULER_LAYER, SERVICE_BACKUP_SCHEDULER } from '../../backups/schedule.ts';
import type { HandlerDeps } from '../deps.ts';

function sameService(planned: Service | undefined, wanted: Service): boolean {
  if (planned === undefined) return false;
  return (Object.keys(wanted) as (keyof Service)[]).every((key) => isDeepStrictEqual(planned[key], wanted[key]));
}

/** Run `wanted` (undefined: none) as the scheduler; returns whether anything changed. */
export async function ensureBackupScheduler(deps: Pick<HandlerDeps, 'pebble' | 'logger'>, wanted: Service | undefined, describe: string): Promise<boolean> {
  const pebble = await deps.pebble();
  const planned = (await pebble.plan()).services[SERVICE_BACKUP_SCHEDULER] as Service | undefined;
  const [info] = planned === undefined ? [] : await pebble.services([SERVICE_BACKUP_SCHEDULER]);
  const running = info !== undefined && info.current !== 'inactive' && info.current !== 'error';
  if (wanted === undefined) {
    if (planned === undefined || (planned.startup === 'disabled' && !running)) return false;
    await pebble.addLayer(BACKUP_SCHEDULER_LAYER, { services: { [SERVICE_BACKUP_SCHEDULER]: { override: 'merge', startup: 'disabled' } } }, { combine: true });
    if (running) await pebble.stop([SERVICE_BACKUP_SCHEDULER]);
    deps.logger.info({ reason: describe }, 'backup schedule stopped');
    return true;
  }
  const changed = !sameService(planned, wanted);
  if (changed) await pebble.addLayer(BACKUP_SCHEDULER_LAYER, { services: { [SERVICE_BACKUP_SCHEDULER]: wanted } }, { combine: true });
  if (!changed && info?.current === 'active') return false;
  await pebble.restart([SERVICE_BACKUP_SCHEDULER]);
  deps.logger.info({ schedule: describe }, 'backup schedule running');
  return true;
}
