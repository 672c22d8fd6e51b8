/**
 * Scheduled backups (beyond the reference charm, which has manual backups only; the model is
 * CloudNativePG's ScheduledBackup, https://cloudnative-pg.io/documentation/current/backup/#scheduled-backups,
 * whose schedule is a cron expression with a leading seconds field). Pure: the config options
 * `backup_schedule_full` and `backup_schedule_differential` are parsed here (croner,
 * https://croner.56k.guru/usage/pattern/, in its 5-or-6-part mode: five fields are classic cron
 * at second 0, six add seconds in front), expanded into the values each field matches, and
 * rendered into the POSIX sh loop of a Pebble service in the workload container
 * (`backup-scheduler`, src/handlers/reconcile/backups.ts). Times are UTC.
 *
 * The loop runs on every unit and survives charm restarts and leadership changes (it is the
 * workload's, not the charm's); each second it asks `date` which fields the second has and, when
 * a schedule matches, backs up only if its own PostgreSQL is the primary (`pg_is_in_recovery()`
 * is false), so one unit backs up however the primary moves. Never two at once: the loop runs
 * one `pgbackrest backup` at a time and skips the fires that fall while it runs; pgBackRest's
 * own backup lock refuses a backup while another (a `create-backup`) runs on the unit, which the
 * loop reports as skipped. Scheduled backups carry a pgBackRest annotation
 * (https://pgbackrest.org/command.html#command-backup/category-command/option-annotation), and
 * pgBackRest's expire after each backup applies the retention (src/backups/pgbackrest-conf.ts).
 */
import { Cron, CronPattern } from 'croner';
import type { Service } from '../pebble/types.ts';
import { BackupError } from './errors.ts';

export const SERVICE_BACKUP_SCHEDULER = 'backup-scheduler';
export const BACKUP_SCHEDULER_LAYER = 'backup-scheduler';

/** The annotation key a scheduled backup carries (`pgbackrest info --output=json`, `annotation`). */
export const SCHEDULE_ANNOTATION = 'juju-scheduled';

export const SCHEDULE_FORMAT_HINT =
  'a cron expression in UTC: five fields (minute hour day-of-month month day-of-week, e.g. "0 2 * * *" for 02:00 daily) or six with seconds in front ("0 0 2 * * 0"), or "" for none; L, W and # are not supported';

/** The values each field of a cron expression matches (day of week 0-6, Sunday 0). */
export interface BackupSchedule {
  readonly expression: string;
  readonly seconds: readonly number[];
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly daysOfMonth: readonly number[];
  readonly months: readonly number[];
  readonly daysOfWeek: readonly number[];
  /** Day of month and day of week both restricted: either matches (classic cron's rule). */
  readonly dayOr: boolean;
}

export type ScheduleParse = { readonly ok: true; readonly schedule: BackupSchedule | undefined } | { readonly ok: false; readonly problem: string };

const CRON_OPTIONS = { mode: '5-or-6-parts' } as const;

function indexesOf(flags: readonly number[], offset = 0): number[] {
  const values: number[] = [];
  flags.forEach((flag, index) => {
    if (flag !== 0) values.push(index + offset);
  });
  return values;
}

/** A schedule option's value: undefined for "" (no schedule), or why it is not one. */
export function parseBackupSchedule(value: string): ScheduleParse {
  const expression = value.trim().replace(/\s+/g, ' ');
  if (expression === '') return { ok: true, schedule: undefined };
  let pattern: CronPattern;
  try {
    pattern = new CronPattern(expression, undefined, CRON_OPTIONS);
  } catch (error) {
    return { ok: false, problem: error instanceof Error ? error.message.replace(/^CronPattern: /, '') : String(error) };
  }
  // L (last day), W (nearest weekday) and # (nth weekday) have no plain set of values.
  const nthWeekday = pattern.dayOfWeek.some((flag) => flag !== 0 && flag !== 0b111111);
  if (pattern.lastDayOfMonth || pattern.lastWeekday || pattern.nearestWeekdays.some((flag) => flag !== 0) || nthWeekday) {
    return { ok: false, problem: 'L, W and # are not supported' };
  }
  const schedule: BackupSchedule = {
    expression,
    seconds: indexesOf(pattern.second),
    minutes: indexesOf(pattern.minute),
    hours: indexesOf(pattern.hour),
    daysOfMonth: indexesOf(pattern.day, 1),
    months: indexesOf(pattern.month, 1),
    daysOfWeek: [...new Set(indexesOf(pattern.dayOfWeek).map((day) => day % 7))].sort((a, b) => a - b),
    dayOr: !pattern.starDOM && !pattern.starDOW && !pattern.useAndLogic,
  };
  if (schedule.daysOfMonth.length === 0 || schedule.daysOfWeek.length === 0) return { ok: false, problem: 'it never fires' };
  return { ok: true, schedule };
}

/** `parseBackupSchedule`, throwing BackupError (for callers given an already validated config). */
export function backupScheduleOrThrow(value: string): BackupSchedule | undefined {
  const parsed = parseBackupSchedule(value);
  if (!parsed.ok) throw new BackupError('backup-schedule-invalid', `invalid backup schedule ${JSON.stringify(value)}: ${parsed.problem}`);
  return parsed.schedule;
}

/** Whether `schedule` fires at `date`'s second (UTC): the rule the rendered loop applies. */
export function scheduleMatches(schedule: BackupSchedule, date: Date): boolean {
  const dom = schedule.daysOfMonth.includes(date.getUTCDate());
  const dow = schedule.daysOfWeek.includes(date.getUTCDay());
  return (
    schedule.seconds.includes(date.getUTCSeconds()) &&
    schedule.minutes.includes(date.getUTCMinutes()) &&
    schedule.hours.includes(date.getUTCHours()) &&
    schedule.months.includes(date.getUTCMonth() + 1) &&
    (schedule.dayOr ? dom || dow : dom && dow)
  );
}

/** The next time (UTC, after `from`) the schedule fires, from croner. */
export function nextRun(schedule: BackupSchedule, from: Date): Date | undefined {
  return new Cron(schedule.expression, { ...CRON_OPTIONS, timezone: 'UTC', paused: true }).nextRun(from) ?? undefined;
}

export interface BackupScheduleSettings {
  readonly full?: BackupSchedule | undefined;
  readonly differential?: BackupSchedule | undefined;
}

export function hasSchedule(settings: BackupScheduleSettings): boolean {
  return settings.full !== undefined || settings.differential !== undefined;
}

/** One line for logs and list-backups: `full "0 2 * * 0" (next 2024-01-07T02:00:00Z), differential …`. */
export function describeSchedules(settings: BackupScheduleSettings, now: Date): string {
  const parts: string[] = [];
  for (const [type, schedule] of [['full', settings.full], ['differential', settings.differential]] as const) {
    if (schedule === undefined) continue;
    const next = nextRun(schedule, now);
    parts.push(`${type} "${schedule.expression}" (next ${next === undefined ? 'never' : next.toISOString().replace(/\.\d{3}Z$/, 'Z')})`);
  }
  return parts.length === 0 ? 'none' : parts.join(', ');
}

const pad2 = (value: number): string => String(value).padStart(2, '0');

/** `case` test of one field ($n) against its values; nothing when the field matches everything. */
function fieldTest(position: number, values: readonly number[], all: number, format: (value: number) => string): string | undefined {
  if (values.length >= all) return undefined;
  return `case "$${position}" in ${values.map(format).join('|')}) ;; *) return 1 ;; esac`;
}

/** A sh function `<name>_due S M H d m w` that succeeds when the schedule matches. */
function dueFunction(name: string, schedule: BackupSchedule | undefined): string[] {
  if (schedule === undefined) return [`${name}_due() { return 1; }`];
  const tests = [
    fieldTest(1, schedule.seconds, 60, pad2),
    fieldTest(2, schedule.minutes, 60, pad2),
    fieldTest(3, schedule.hours, 24, pad2),
    fieldTest(5, schedule.months, 12, pad2),
  ].filter((test): test is string => test !== undefined);
  const dom = fieldTest(4, schedule.daysOfMonth, 31, pad2);
  const dow = fieldTest(6, schedule.daysOfWeek, 7, String);
  if (schedule.dayOr && dom !== undefined && dow !== undefined) {
    tests.push(`dom_ok() { ${dom}; }`, `dow_ok() { ${dow}; }`, 'dom_ok "$@" || dow_ok "$@" || return 1');
  } else {
    if (dom !== undefined) tests.push(dom);
    if (dow !== undefined) tests.push(dow);
  }
  return [`${name}_due() {`, ...tests.map((test) => `  ${test}`), '  return 0', '}'];
}

/** `full_due` and `diff_due`: given `date -u "+%S %M %H %d %m %w"`'s words, whether each schedule fires. */
export function renderDueFunctions(input: BackupScheduleSettings): string {
  return [...dueFunction('full', input.full), ...dueFunction('diff', input.differential)].join('\n');
}

export interface SchedulerScriptInput extends BackupScheduleSettings {
  readonly stanza: string;
  /** Where the loop writes the outcome of its last backup (one line). */
  readonly lastResultFile: string;
  /** Fires missed while the loop was not scheduled (a frozen pod) are caught up for this long. */
  readonly catchUpSeconds?: number;
}

const SAFE = /^[A-Za-z0-9._/-]+$/;

/** Text inside the script's double quotes: no quote, $, backtick or backslash. */
function safeText(value: string): string {
  if (/["$`\\'\n]/.test(value)) throw new BackupError('backup-schedule-invalid', `cannot quote ${JSON.stringify(value)} in the scheduler script`);
  return value;
}

function safe(value: string, what: string): string {
  if (!SAFE.test(value)) throw new BackupError('backup-schedule-invalid', `${what} must be letters, digits, . _ / or -: ${JSON.stringify(value)}`);
  return value;
}

/**
 * The loop. It prints one line when it starts, one when a backup starts and one when it ends
 * (label, or the failure's last lines), and writes the last outcome to `lastResultFile`
 * (`<ISO time> <full|diff> <ok|failed|skipped> <label or reason>`). It never prints a secret:
 * pgBackRest reads its key from pgbackrest.conf. No single quotes: it is single-quoted in the
 * Pebble command.
 */
export function renderSchedulerScript(input: SchedulerScriptInput): string {
  const stanza = safe(input.stanza, 'the stanza');
  const resultFile = safe(input.lastResultFile, 'the result file');
  const catchUp = input.catchUpSeconds ?? 60;
  const describe = [input.full === undefined ? undefined : `full ${input.full.expression}`, input.differential === undefined ? undefined : `differential ${input.differential.expression}`]
    .filter((part) => part !== undefined)
    .join(', ');
  const lines = [
    renderDueFunctions(input),
    'is_primary() { [ "$(psql -X -q -A -t -w -c "SELECT pg_is_in_recovery()" 2>/dev/null)" = f ]; }',
    'record() { printf "%s %s %s %s\\n" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" "$2" "$3" > ' + resultFile + '.tmp && mv ' + resultFile + '.tmp ' + resultFile + '; }',
    `echo "backup schedule (UTC): ${safeText(describe)}"`,
    'last=$(date -u +%s)',
    'while :; do',
    '  sleep 1',
    '  now=$(date -u +%s)',
    '  t=$last',
    `  if [ $((now - t)) -gt ${catchUp} ]; then t=$((now - ${catchUp})); fi`,
    '  due=',
    '  while [ "$t" -lt "$now" ]; do',
    '    t=$((t + 1))',
    '    set -- $(date -u -d "@$t" "+%S %M %H %d %m %w")',
    '    if full_due "$@"; then due=full; elif [ -z "$due" ] && diff_due "$@"; then due=diff; fi',
    '  done',
    '  last=$now',
    '  [ -n "$due" ] || continue',
    '  is_primary || continue',
    '  echo "scheduled $due backup starting"',
    `  if out=$(pgbackrest --stanza=${stanza} --type=$due --annotation=${SCHEDULE_ANNOTATION}=$due --log-level-console=info backup --no-backup-standby 2>&1); then`,
    '    label=$(printf "%s\\n" "$out" | sed -n "s/.*new backup label = \\([0-9FDI_-]*\\).*/\\1/p" | tail -n 1)',
    '    echo "scheduled $due backup finished: $label"',
    '    record "$due" ok "$label"',
    '  elif printf "%s" "$out" | grep -q "unable to acquire lock"; then',
    '    echo "scheduled $due backup skipped: another backup is running"',
    '    record "$due" skipped another-backup-running',
    '  else',
    '    reason=$(printf "%s\\n" "$out" | grep -E "ERROR|WARN" | tail -n 3 | tr "\\n" " ")',
    '    echo "scheduled $due backup failed: $reason"',
    '    record "$due" failed "$reason"',
    '  fi',
    // Fires that fell while the backup ran are skipped: one backup at a time.
    '  last=$(date -u +%s)',
    'done',
  ];
  const script = lines.join('\n');
  if (script.includes("'")) throw new BackupError('backup-schedule-invalid', 'the scheduler script must not contain a single quote');
  return script;
}

export interface SchedulerServiceInput extends SchedulerScriptInput {
  /** libpq settings for the primary check (this member, over the socket, as the backup user). */
  readonly environment: Readonly<Record<string, string>>;
  readonly user: string;
  readonly group: string;
}

/** The Pebble service; `startup: enabled` so a replan (pod restart) starts it again. */
export function schedulerService(input: SchedulerServiceInput): Service {
  return {
    override: 'replace',
    summary: 'scheduled pgBackRest backups (backup_schedule_full / backup_schedule_differential)',
    command: `/bin/sh -c '${renderSchedulerScript(input)}'`,
    startup: 'enabled',
    user: input.user,
    group: input.group,
    environment: { ...input.environment },
  };
}
