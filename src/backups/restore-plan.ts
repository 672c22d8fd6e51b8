/**
 * What `restore` restores, decided from its parameters and the repository's catalog before
 * anything is touched (reference charm `src/backups.py`: `_pre_restore_checks`,
 * `_on_restore_action`, `_get_nearest_timeline`, `_is_psql_timestamp`, `_parse_psql_timestamp`,
 * `_fetch_backup_from_id`). Pure; the messages are the reference's where it has one.
 */
import type { BackupEntry, TimelineEntry } from './catalog.ts';

export interface RestoreParams {
  readonly backupId?: string | undefined;
  readonly restoreToTime?: string | undefined;
}

/** What the app peer bag gets: the bootstrap of patroni.yml reads these keys. */
export interface RestorePlan {
  /** pgBackRest label to restore (`--set`), '' for "the nearest one pgBackRest picks". */
  readonly restoringBackup: string;
  readonly restoreStanza: string;
  /** Timeline to follow (`--target-timeline`), only with a restore-to-time. */
  readonly restoreTimeline: string;
  /** `latest`, a PostgreSQL timestamp, or ''. */
  readonly restoreToTime: string;
}

export type RestoreDecision = { readonly kind: 'restore'; readonly plan: RestorePlan } | { readonly kind: 'fail'; readonly message: string };

const PSQL_TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?([-+](?:\d{2}|\d{4}|\d{2}:\d{2}))?$/;

/**
 * A PostgreSQL timestamp as pgBackRest's `--target` takes it (`2024-01-02 03:04:05[.ffffff][±hh[:mm]]`),
 * as UTC milliseconds (no offset means UTC, as the reference reads it); undefined when it does
 * not match or names no real date and time.
 */
export function parsePsqlTimestamp(value: string): number | undefined {
  const match = PSQL_TIMESTAMP.exec(value);
  if (match === null) return undefined;
  const [year, month, day, hour, minute, second] = [0, 5, 8, 11, 14, 17].map((at, i) => Number(value.slice(at, at + (i === 0 ? 4 : 2))));
  const fraction = match[1] === undefined ? 0 : Number(`0${match[1]}`) * 1000;
  const local = Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 0, hour ?? 0, minute ?? 0, second ?? 0);
  const check = new Date(local);
  if (
    check.getUTCFullYear() !== year || check.getUTCMonth() + 1 !== month || check.getUTCDate() !== day ||
    check.getUTCHours() !== hour || check.getUTCMinutes() !== minute || check.getUTCSeconds() !== second
  ) {
    return undefined;
  }
  let offsetMinutes = 0;
  if (match[2] !== undefined) {
    const sign = match[2].startsWith('-') ? -1 : 1;
    const digits = match[2].slice(1).replace(':', '');
    const hours = Number(digits.slice(0, 2));
    const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
    if (hours > 23 || minutes > 59) return undefined;
    offsetMinutes = sign * (hours * 60 + minutes);
  }
  return local + fraction - offsetMinutes * 60_000;
}

function idMillis(id: string): number {
  return Date.parse(id);
}

/** Timeline ids are hexadecimal: compare them as numbers (the reference compares the strings, so "A" sorted before "9"). */
function timelineNumber(timeline: string): number {
  const value = Number.parseInt(timeline === '' ? '0' : timeline, 16);
  return Number.isNaN(value) ? 0 : value;
}

/** The (stanza, timeline) of the newest backup or restore at or before `target` (or the newest of all for `latest`). */
export function nearestTimeline(
  backups: readonly BackupEntry[],
  timelines: readonly TimelineEntry[],
  target: 'latest' | number,
): { stanza: string; timeline: string } | undefined {
  const byId = new Map<string, { stanza: string; timeline: string }>();
  for (const backup of backups) byId.set(backup.id, { stanza: backup.stanza, timeline: backup.timeline });
  for (const timeline of timelines) byId.set(timeline.id, { stanza: timeline.stanza, timeline: timeline.timeline });
  const ids = [...byId.keys()].filter((id) => target === 'latest' || idMillis(id) <= target).sort();
  const newest = ids[ids.length - 1];
  return newest === undefined ? undefined : byId.get(newest);
}

/**
 * Decide the restore. `backups` are the usable (not failed) backups, `now` the current time: a
 * target in the future cannot be reached (the reference starts the restore anyway and ends
 * Blocked on "cannot restore PITR"; this refuses it up front).
 */
export function planRestore(params: RestoreParams, backups: readonly BackupEntry[], timelines: readonly TimelineEntry[], now: number): RestoreDecision {
  const backupId = params.backupId?.trim() || undefined;
  const restoreToTime = params.restoreToTime?.trim() || undefined;
  if (backupId === undefined && restoreToTime === undefined) {
    return { kind: 'fail', message: 'Either backup-id or restore-to-time parameters need to be provided to be able to do restore' };
  }
  let target: 'latest' | number | undefined;
  if (restoreToTime !== undefined) {
    target = restoreToTime === 'latest' ? 'latest' : parsePsqlTimestamp(restoreToTime);
    if (target === undefined) {
      return { kind: 'fail', message: `Bad restore-to-time format: ${JSON.stringify(restoreToTime)}; use 'latest' or a PostgreSQL timestamp such as '2024-01-02 03:04:05' (UTC unless an offset such as +02:00 follows)` };
    }
    if (target !== 'latest' && target > now) {
      return { kind: 'fail', message: `restore-to-time ${restoreToTime} is in the future: no WAL reaches it yet; give a time that has passed, or 'latest'` };
    }
  }
  const backup = backupId === undefined ? undefined : backups.find((entry) => entry.id === backupId);
  const timeline = backupId === undefined || backup !== undefined ? undefined : timelines.find((entry) => entry.id === backupId);
  if (backupId !== undefined && backup === undefined && timeline === undefined) {
    return { kind: 'fail', message: `Invalid backup-id: ${backupId}` };
  }
  if (timeline !== undefined && restoreToTime === undefined) {
    return { kind: 'fail', message: 'Cannot restore to the timeline without restore-to-time parameter' };
  }
  let source: { stanza: string; timeline: string } | undefined = backup ?? timeline;
  if (source === undefined) {
    if (target === 'latest' && timelines.length > 0) {
      const newest = Math.max(...timelines.map((entry) => timelineNumber(entry.timeline)));
      if (!backups.some((entry) => timelineNumber(entry.timeline) === newest)) {
        return { kind: 'fail', message: 'There is no base backup created from the latest timeline' };
      }
    }
    source = target === undefined ? undefined : nearestTimeline(backups, timelines, target);
    if (source === undefined) {
      return { kind: 'fail', message: `Can't find the nearest timeline before timestamp ${restoreToTime ?? ''} to restore` };
    }
  }
  return {
    kind: 'restore',
    plan: {
      restoringBackup: backup?.label ?? '',
      restoreStanza: source.stanza,
      restoreTimeline: restoreToTime === undefined ? '' : source.timeline,
      restoreToTime: restoreToTime ?? '',
    },
  };
}
