/** `list-backups` (reference charm `src/backups.py` `_on_list_backups_action`): the backups and restores as the reference's table. */
import { formatBackupList, listBackups } from '../backups/catalog.ts';
import { repositoryInfo, repositoryTimelines } from '../backups/pgbackrest.ts';
import { retentionSettings } from '../backups/pgbackrest-conf.ts';
import { describeSchedules, hasSchedule } from '../backups/schedule.ts';
import { errorMessage } from '../errors.ts';
import { backupRetention, backupSchedules, SCHEDULED_BACKUP_RESULT_FILE } from '../backups/schedule-config.ts';
import type { ActionEvent } from '../juju/events.ts';
import { stanzaName } from '../workload/index.ts';
import { requireS3Parameters, type BackupActionDeps } from './backup-common.ts';
import { ActionFailedError, runAction } from './common.ts';

/**
 * The backup schedule and retention options (extensions, src/backups/schedule.ts) and, on the
 * unit that ran it, the last scheduled backup's outcome; undefined without a schedule. Apart from
 * the table, which stays the reference's.
 */
async function scheduleSummary(deps: BackupActionDeps): Promise<string | undefined> {
  const parsed = await deps.config?.();
  if (parsed === undefined || !parsed.ok) return undefined;
  const schedules = backupSchedules(parsed.config);
  if (!hasSchedule(schedules)) return undefined;
  const retention = retentionSettings('', backupRetention(parsed.config));
  const kept = retention.full === '' ? "s3-integrator's delete-older-than-days" : retention.type === 'count' ? `${retention.full} full backups` : `${retention.full} days`;
  const last = (await (await deps.pebble()).pullText(SCHEDULED_BACKUP_RESULT_FILE).catch(() => '')).trim();
  return [`schedule (UTC): ${describeSchedules(schedules, new Date())}`, `retention: ${kept}`, ...(last === '' ? [] : [`last scheduled backup on this unit: ${last}`])].join('\n');
}

export async function listBackupsAction(_event: ActionEvent, deps: BackupActionDeps): Promise<void> {
  await runAction(deps, async () => {
    const parameters = await requireS3Parameters(deps);
    const pebble = await deps.pebble();
    let table: string;
    try {
      const [stanzas, timelines] = await Promise.all([repositoryInfo(pebble), repositoryTimelines(pebble)]);
      table = formatBackupList({
        bucket: parameters.bucket,
        path: parameters.path,
        stanzaName: stanzaName(deps.modelName, deps.appName),
        backups: listBackups(stanzas, { showFailed: true }),
        timelines,
      });
    } catch (cause) {
      throw new ActionFailedError(`Failed to list PostgreSQL backups with error: ${errorMessage(cause)}`, { cause });
    }
    const schedule = await scheduleSummary(deps);
    await deps.tools.actionSet({ backups: table, ...(schedule === undefined ? {} : { schedule }) });
  });
}
