/**
 * The backups and timelines a pgBackRest repository holds, read from `pgbackrest info
 * --output=json` and `pgbackrest repo-ls archive --recurse --filter '\.history$' --output=json`
 * (https://pgbackrest.org/command.html#command-info), and the `list-backups` table made from
 * them, byte for byte as the reference charm prints it (canonical/postgresql-k8s-operator
 * `src/backups.py`: `_generate_backup_list_output`, `_format_backup_list`, `_list_backups`,
 * `_list_timelines`, `_parse_backup_id`). Pure.
 */
import { BackupError } from './errors.ts';

export interface BackupEntry {
  /** `YYYY-MM-DDTHH:MM:SSZ` from the label. */
  readonly id: string;
  readonly label: string;
  readonly type: 'full' | 'differential' | 'incremental';
  readonly stanza: string;
  /** Hexadecimal timeline of the backup's first WAL segment without leading zeros ('' when unknown). */
  readonly timeline: string;
  /** pgBackRest's `error` flag (or text): the backup is not usable. */
  readonly error: string | undefined;
  readonly referenceId: string | undefined;
  readonly lsnStart: string;
  readonly lsnStop: string;
  readonly startTime: string;
  readonly stopTime: string;
}

export interface StanzaInfo {
  readonly name: string;
  /** `db[].system-id` as exact decimal text (JSON numbers this large lose digits in a double). */
  readonly systemIds: readonly string[];
  /** `status.message` of each repository (why a stanza is `[invalid]`, for instance). */
  readonly repoMessages: readonly string[];
  readonly backups: readonly BackupEntry[];
  /** `status.lock.backup.held`: a backup of this stanza runs now (on the host that asked). */
  readonly backupRunning: boolean;
}

export interface TimelineEntry {
  /** When the `.history` file was written, `YYYY-MM-DDTHH:MM:SSZ`. */
  readonly id: string;
  readonly stanza: string;
  readonly timeline: string;
}

const LABEL = /^(\d{8}-\d{6})F(?:_(\d{8}-\d{6})([DI]))?$/;

/** A label's id and type (`20240102-030405F` → 2024-01-02T03:04:05Z, full; `…F_…D` differential; `…F_…I` incremental). */
export function parseBackupLabel(label: string): { id: string; type: BackupEntry['type'] } {
  const match = LABEL.exec(label);
  if (match === null) throw new BackupError('pgbackrest-output-malformed', `Unknown label format for backup ID: ${label}`);
  const stamp = match[2] ?? match[1] ?? '';
  const type = match[3] === 'D' ? 'differential' : match[3] === 'I' ? 'incremental' : 'full';
  const id = `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13, 15)}Z`;
  return { id, type };
}

/** Seconds since the epoch as `%Y-%m-%dT%H:%M:%SZ` in UTC. */
export function formatEpoch(seconds: number): string {
  return new Date(Math.floor(seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function timelineOf(segment: unknown): string {
  return typeof segment === 'string' && segment !== '' ? segment.slice(0, 8).replace(/^0+/, '') : '';
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function malformed(what: string): BackupError {
  return new BackupError('pgbackrest-output-malformed', `pgbackrest info --output=json: ${what}`);
}

function parseBackup(stanza: string, raw: unknown): BackupEntry {
  if (!isObject(raw) || typeof raw['label'] !== 'string') throw malformed('a backup without a label');
  const { id, type } = parseBackupLabel(raw['label']);
  const reference = Array.isArray(raw['reference']) && raw['reference'].length > 0 ? raw['reference'][raw['reference'].length - 1] : undefined;
  const lsn = isObject(raw['lsn']) ? raw['lsn'] : {};
  const timestamp = isObject(raw['timestamp']) ? raw['timestamp'] : {};
  const archive = isObject(raw['archive']) ? raw['archive'] : undefined;
  const error = raw['error'] === true ? 'True' : typeof raw['error'] === 'string' && raw['error'] !== '' ? raw['error'] : undefined;
  return {
    id,
    label: raw['label'],
    type,
    stanza,
    timeline: timelineOf(archive?.['start']),
    error,
    referenceId: typeof reference === 'string' ? parseBackupLabel(reference).id : undefined,
    lsnStart: String(lsn['start'] ?? ''),
    lsnStop: String(lsn['stop'] ?? ''),
    startTime: formatEpoch(Number(timestamp['start'] ?? 0)),
    stopTime: formatEpoch(Number(timestamp['stop'] ?? 0)),
  };
}

/** Every stanza of `pgbackrest info --output=json`. */
export function parseInfo(output: string): StanzaInfo[] {
  // Quote the system ids before parsing so that their digits survive.
  const quoted = output.replace(/("system-id"\s*:\s*)(\d+)/g, '$1"$2"');
  let parsed: unknown;
  try {
    parsed = JSON.parse(quoted);
  } catch (error) {
    throw new BackupError('pgbackrest-output-malformed', 'pgbackrest info --output=json did not print JSON', { cause: error });
  }
  if (!Array.isArray(parsed)) throw malformed('not a list of stanzas');
  return parsed.map((stanza): StanzaInfo => {
    if (!isObject(stanza) || typeof stanza['name'] !== 'string') throw malformed('a stanza without a name');
    const name = stanza['name'];
    const db = Array.isArray(stanza['db']) ? stanza['db'] : [];
    const repos = Array.isArray(stanza['repo']) ? stanza['repo'] : [];
    return {
      name,
      systemIds: db.filter(isObject).map((entry) => String(entry['system-id'] ?? '')),
      repoMessages: repos.filter(isObject).map((repo) => (isObject(repo['status']) ? String(repo['status']['message'] ?? '') : '')),
      backupRunning: isObject(stanza['status']) && isObject(stanza['status']['lock']) && isObject(stanza['status']['lock']['backup']) && stanza['status']['lock']['backup']['held'] === true,
      backups: (Array.isArray(stanza['backup']) ? stanza['backup'] : []).map((backup) => parseBackup(name, backup)),
    };
  });
}

/** The `.history` files of `repo-ls archive --recurse --filter '\.history$' --output=json`, keyed by their time. */
export function parseTimelines(output: string): TimelineEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(output);
  } catch (error) {
    throw new BackupError('pgbackrest-output-malformed', 'pgbackrest repo-ls --output=json did not print JSON', { cause: error });
  }
  if (!isObject(parsed)) throw new BackupError('pgbackrest-output-malformed', 'pgbackrest repo-ls --output=json: not an object');
  // Keyed by time, as the reference's dict: a later file with the same second replaces an earlier one.
  const byId = new Map<string, TimelineEntry>();
  for (const [file, entry] of Object.entries(parsed)) {
    if (file.endsWith('backup.history') || !isObject(entry)) continue;
    const parts = file.split('/');
    const id = formatEpoch(Number(entry['time'] ?? 0));
    byId.set(id, { id, stanza: parts[0] ?? '', timeline: (parts[parts.length - 1] ?? '').split('.')[0]?.replace(/^0+/, '') ?? '' });
  }
  return [...byId.values()];
}

/** The repository's first stanza's backups (the reference reads `[0]`), failed ones only when asked. */
export function listBackups(stanzas: readonly StanzaInfo[], options: { showFailed: boolean }): BackupEntry[] {
  const first = stanzas[0];
  if (first === undefined) return [];
  return first.backups.filter((backup) => options.showFailed || backup.error === undefined);
}

type Row = readonly [string, string, string, string, string, string, string, string, string];
const WIDTHS = [20, 19, 8, 20, 23, 20, 20, 8] as const;

function formatRow(row: Row): string {
  return row.map((cell, index) => (index < WIDTHS.length ? cell.padEnd(WIDTHS[index] ?? 0) : cell)).join(' | ');
}

/** The `list-backups` table: backups and restores (timelines), ordered by id. */
export function formatBackupList(input: {
  bucket: string;
  path: string;
  stanzaName: string;
  backups: readonly BackupEntry[];
  timelines: readonly TimelineEntry[];
}): string {
  const rows: Row[] = input.backups.map((backup) => [
    backup.id,
    `${backup.type} backup`,
    backup.error === undefined ? 'finished' : `failed: ${backup.error}`,
    backup.referenceId ?? 'None',
    `${backup.lsnStart} / ${backup.lsnStop}`,
    backup.startTime,
    backup.stopTime,
    backup.timeline,
    `/${input.stanzaName}/${backup.label}`,
  ]);
  for (const timeline of input.timelines) {
    rows.push([timeline.id, 'restore', 'finished', 'None', 'n/a', timeline.id, 'n/a', timeline.timeline, 'n/a']);
  }
  rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const header = formatRow(['backup-id', 'action', 'status', 'reference-backup-id', 'LSN start/stop', 'start-time', 'finish-time', 'timeline', 'backup-path']);
  return [`Storage bucket name: ${input.bucket}`, `Backups base path: ${input.path}/backup/\n`, header, '-'.repeat(header.length), ...rows.map(formatRow)].join('\n');
}
