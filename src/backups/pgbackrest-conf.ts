/**
 * pgbackrest.conf for one unit (reference charm: `templates/pgbackrest.conf.j2`, rendered by
 * `_render_pgbackrest_conf_file` in `src/backups.py`), as a pure function. Options:
 * https://pgbackrest.org/configuration.html. The charm's TLS relation is not built yet, so the
 * pgBackRest TLS server section (peers as pg2.., `tls-server-*`) is never rendered: backups run on
 * the primary (`--no-backup-standby`).
 */
import { BackupError } from './errors.ts';
import type { S3Parameters } from './s3-parameters.ts';

export interface PgbackrestConfInput {
  readonly parameters: S3Parameters;
  readonly stanza: string;
  /** PGDATA (`pg1-path`). */
  readonly pgdata: string;
  readonly logPath: string;
  /** Where the S3 CA chain was pushed, when the relation sent one. */
  readonly caFile?: string;
  /** The database user pgBackRest logs in as (over the socket, `peer map=operator`). */
  readonly user: string;
  /** CPUs of the container; restores use all but two (at least one). */
  readonly cpuCores: number;
  /**
   * Block incremental backups (`repo1-block`), as the reference renders them. pgBackRest made them
   * generally available in 2.46; before that (Debian 12's 2.45) they need `--beta`, so a workload
   * with an older pgBackRest leaves them out. Default true.
   */
  readonly blockIncremental?: boolean;
  /** The charm's retention options (0 = not set); they override s3-integrator's delete-older-than-days. */
  readonly retention?: BackupRetention;
}

export interface BackupRetention {
  /** `backup_retention_full_count`. */
  readonly fullCount: number;
  /** `backup_retention_days`. */
  readonly days: number;
}

/**
 * pgBackRest's full-backup retention (https://pgbackrest.org/configuration.html#section-repository/option-repo-retention-full):
 * by count when `backup_retention_full_count` is set, else by age from `backup_retention_days`,
 * else from s3-integrator's `delete-older-than-days` (the reference's only retention).
 */
export function retentionSettings(deleteOlderThanDays: string, retention: BackupRetention | undefined): { type: 'count' | 'time'; full: string } {
  if (retention !== undefined && retention.fullCount > 0) return { type: 'count', full: String(retention.fullCount) };
  if (retention !== undefined && retention.days > 0) return { type: 'time', full: String(retention.days) };
  return { type: 'time', full: deleteOlderThanDays };
}

/** `process-max` for restores: max(cpu − 2, 1). */
export function restoreProcessMax(cpuCores: number): number {
  return Math.max(Math.floor(cpuCores) - 2, 1);
}

const LINE_BREAK = /[\r\n]/;

function option(name: string, value: string): string {
  // A line break would end the option and start another: refuse instead of writing it.
  if (LINE_BREAK.test(value)) throw new BackupError('pgbackrest-conf-invalid', `pgbackrest.conf: ${name} must be on one line`);
  return `${name}=${value}`;
}

export function renderPgbackrestConf(input: PgbackrestConfInput): string {
  const p = input.parameters;
  const retention = retentionSettings(p.deleteOlderThanDays, input.retention);
  const global = [
    option('backup-standby', 'y'),
    option('log-level-stderr', 'warn'),
    option('compress-type', 'zst'),
    option('repo1-retention-full-type', retention.type),
    option('repo1-retention-full', retention.full),
    option('repo1-retention-history', '365'),
    option('repo1-type', 's3'),
    option('repo1-path', p.path),
    option('repo1-s3-region', p.region ?? '""'),
    option('repo1-s3-endpoint', p.endpoint),
    option('repo1-s3-bucket', p.bucket),
    option('repo1-s3-uri-style', p.uriStyle),
    ...(input.caFile === undefined ? [] : [option('repo1-s3-ca-file', input.caFile)]),
    option('repo1-s3-key', p.accessKey),
    option('repo1-s3-key-secret', p.secretKey),
    ...(input.blockIncremental === false ? [] : [option('repo1-block', 'y')]),
    option('repo1-bundle', 'y'),
    option('log-path', input.logPath),
    option('start-fast', 'y'),
  ];
  const stanza = [option('pg1-path', input.pgdata), option('pg1-user', input.user)];
  const restore = [option('process-max', String(restoreProcessMax(input.cpuCores)))];
  return [`[global]`, ...global, '', `[${input.stanza}]`, ...stanza, '', '[global:restore]', ...restore, ''].join('\n');
}
