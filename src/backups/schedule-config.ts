/** The backup schedule and retention options (config.yaml extensions) as the backup code uses them. */
import type { CharmConfig } from '../config/index.ts';
import { DEFAULT_WORKLOAD_PATHS } from '../workload/paths.ts';
import type { BackupRetention } from './pgbackrest-conf.ts';
import { backupScheduleOrThrow, type BackupScheduleSettings } from './schedule.ts';

/** Where the scheduler writes the outcome of its last backup (list-backups shows it). */
export const SCHEDULED_BACKUP_RESULT_FILE = `${DEFAULT_WORKLOAD_PATHS.pgbackrestLogs}/scheduled-backup.last`;

export function backupSchedules(config: Pick<CharmConfig, 'backup_schedule_full' | 'backup_schedule_differential'>): BackupScheduleSettings {
  return { full: backupScheduleOrThrow(config.backup_schedule_full), differential: backupScheduleOrThrow(config.backup_schedule_differential) };
}

export function backupRetention(config: Pick<CharmConfig, 'backup_retention_full_count' | 'backup_retention_days'>): BackupRetention {
  return { fullCount: config.backup_retention_full_count, days: config.backup_retention_days };
}
