/**
 * The rules of the backup schedule and retention options (extensions, see config.yaml): each
 * schedule is a cron expression croner accepts without L, W or # (src/backups/schedule.ts), and
 * retention is by count or by age, not both (pgBackRest has one `repo1-retention-full-type`,
 * https://pgbackrest.org/configuration.html#section-repository/option-repo-retention-full-type).
 */
import type * as z from 'zod/mini';
import { parseBackupSchedule, SCHEDULE_FORMAT_HINT } from '../backups/schedule.ts';

export const RETENTION_CONFLICT =
  'an integer from 0 to 9999999, and 0 while backup_retention_full_count is set: pgBackRest keeps full backups by count or by age, not both; unset one of them';

export function checkBackupOptions(config: Record<string, unknown>, ctx: z.core.$RefinementCtx): void {
  for (const name of ['backup_schedule_full', 'backup_schedule_differential']) {
    const value = config[name];
    if (typeof value !== 'string') continue;
    const parsed = parseBackupSchedule(value);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', path: [name], message: `${SCHEDULE_FORMAT_HINT} (${parsed.problem})`, input: value });
  }
  const count = config['backup_retention_full_count'];
  const days = config['backup_retention_days'];
  if (typeof count === 'number' && typeof days === 'number' && count > 0 && days > 0) {
    ctx.addIssue({ code: 'custom', path: ['backup_retention_days'], message: RETENTION_CONFLICT, input: days });
  }
}
