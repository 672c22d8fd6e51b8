import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { parseCharmConfig } from '../../../src/config/index.ts';
import { renderPgbackrestConf, retentionSettings } from '../../../src/backups/pgbackrest-conf.ts';
import { readS3Parameters } from '../../../src/backups/s3-parameters.ts';
import {
  describeSchedules,
  nextRun,
  parseBackupSchedule,
  renderDueFunctions,
  renderSchedulerScript,
  scheduleMatches,
  schedulerService,
  type BackupSchedule,
} from '../../../src/backups/schedule.ts';

function schedule(expression: string): BackupSchedule {
  const parsed = parseBackupSchedule(expression);
  if (!parsed.ok || parsed.schedule === undefined) throw new Error(`not a schedule: ${expression}`);
  return parsed.schedule;
}

describe('backup schedule expressions', () => {
  it('take five fields (second 0) or six (seconds first), names and nicknames; "" is no schedule', () => {
    expect(parseBackupSchedule('')).toEqual({ ok: true, schedule: undefined });
    expect(parseBackupSchedule('   ')).toEqual({ ok: true, schedule: undefined });
    const weekly = schedule('30 2 * * 0');
    expect(weekly).toMatchObject({ seconds: [0], minutes: [30], hours: [2], daysOfWeek: [0], dayOr: false });
    expect(weekly.daysOfMonth).toHaveLength(31);
    expect(schedule('*/20 * * * * *').seconds).toEqual([0, 20, 40]);
    expect(schedule('0 0 3 * * MON-FRI').daysOfWeek).toEqual([1, 2, 3, 4, 5]);
    expect(schedule('0 0 * * 7').daysOfWeek).toEqual([0]);
    expect(schedule('@daily')).toMatchObject({ seconds: [0], minutes: [0], hours: [0] });
    expect(schedule('0 0 1 * MON')).toMatchObject({ daysOfMonth: [1], daysOfWeek: [1], dayOr: true });
  });

  it('refuse what is not a cron expression, out-of-range values, and L, W and #', () => {
    for (const bad of ['daily', '* * *', '61 * * * * *', '0 25 * * *', '0 0 L * *', '0 0 15W * *', '0 0 * * 5#2', '0 0 0 1 1 * 2030']) {
      expect(parseBackupSchedule(bad), bad).toMatchObject({ ok: false });
    }
  });

  it('fire when croner says they next run, and not the second before', () => {
    for (const expression of ['30 2 * * 0', '*/15 * * * * *', '0 0 1 * MON', '0 5 4 1,15 * *', '@weekly']) {
      const parsed = schedule(expression);
      let from = new Date(Date.UTC(2026, 0, 1, 0, 0, 0));
      for (let i = 0; i < 5; i++) {
        const next = nextRun(parsed, from);
        expect(next, expression).toBeDefined();
        if (next === undefined) break;
        expect(scheduleMatches(parsed, next), `${expression} at ${next.toISOString()}`).toBe(true);
        expect(scheduleMatches(parsed, new Date(next.getTime() - 1000)), `${expression} before ${next.toISOString()}`).toBe(false);
        from = next;
      }
    }
  });

  it('describe themselves with their next run', () => {
    const now = new Date(Date.UTC(2026, 0, 1, 12, 0, 0));
    expect(describeSchedules({ full: schedule('0 2 * * *'), differential: schedule('0 */6 * * *') }, now)).toBe(
      'full "0 2 * * *" (next 2026-01-02T02:00:00Z), differential "0 */6 * * *" (next 2026-01-01T18:00:00Z)',
    );
    expect(describeSchedules({}, now)).toBe('none');
  });
});

describe('the rendered scheduler', () => {
  it('matches in sh exactly where scheduleMatches does (date -u words, UTC)', () => {
    const full = schedule('0 0 1 * MON');
    const differential = schedule('*/20 5,35 */6 * * *');
    const functions = renderDueFunctions({ full, differential });
    const probes: Date[] = [];
    let t = Date.UTC(2026, 5, 1, 0, 0, 0);
    for (let i = 0; i < 60; i++) {
      probes.push(new Date(t));
      t += (i % 3 === 0 ? 20_000 : 6 * 3600_000 + 35 * 60_000) + (i % 7 === 0 ? 86_400_000 : 0);
    }
    const script = [
      functions,
      'for t in "$@"; do set -- $(date -u -d "@$t" "+%S %M %H %d %m %w"); r=; if full_due "$@"; then r=F; else r=-; fi; if diff_due "$@"; then r=${r}D; else r=${r}-; fi; echo $r; done',
    ].join('\n');
    const out = execFileSync('/bin/sh', ['-c', script, 'sh', ...probes.map((date) => String(date.getTime() / 1000))], { encoding: 'utf8' }).trim().split('\n');
    const expected = probes.map((date) => `${scheduleMatches(full, date) ? 'F' : '-'}${scheduleMatches(differential, date) ? 'D' : '-'}`);
    expect(out).toEqual(expected);
    expect(expected.some((entry) => entry.startsWith('F'))).toBe(true);
    expect(expected.some((entry) => entry.endsWith('D'))).toBe(true);
  });

  it('backs up on the primary when a schedule fires, one at a time, and records the outcome', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scheduler-'));
    const calls = join(dir, 'calls');
    writeFileSync(join(dir, 'psql'), `#!/bin/sh\ncat ${dir}/recovery\n`);
    writeFileSync(join(dir, 'recovery'), 'f\n');
    // A backup that takes 0.6 s: the fires during it are skipped.
    writeFileSync(join(dir, 'pgbackrest'), `#!/bin/sh\n[ -e ${dir}/running ] && echo OVERLAP >> ${calls}\ntouch ${dir}/running\necho "$*" >> ${calls}\nsleep 0.6\nrm ${dir}/running\necho "P00   INFO: new backup label = 20260101-000000F"\n`);
    for (const tool of ['psql', 'pgbackrest']) chmodSync(join(dir, tool), 0o755);
    const result = join(dir, 'last');
    const script = renderSchedulerScript({ full: schedule('* * * * * *'), stanza: 'model.patroni-app', lastResultFile: result });
    const child = spawn('/bin/sh', ['-c', script], { env: { PATH: `${dir}:${process.env['PATH'] ?? ''}` } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await sleep(2_900);
    writeFileSync(join(dir, 'recovery'), 't\n');
    await sleep(700);
    const onPrimary = readFileSync(calls, 'utf8').trim().split('\n');
    await sleep(1_200);
    child.kill('SIGKILL');
    const ran = readFileSync(calls, 'utf8').trim().split('\n');
    // ~2.9 s at one backup per 0.6 s + 1 s: about two (never overlapping), and none once a replica.
    expect(ran).not.toContain('OVERLAP');
    expect(ran.length).toBeGreaterThanOrEqual(1);
    expect(ran.length).toBeLessThanOrEqual(3);
    expect(ran).toEqual(onPrimary);
    expect(ran[0]).toBe('--stanza=model.patroni-app --type=full --annotation=juju-scheduled=full --log-level-console=info backup --no-backup-standby');
    expect(output).toMatch(/^backup schedule \(UTC\): full \* \* \* \* \* \*\nscheduled full backup starting\nscheduled full backup finished: 20260101-000000F\n/);
    expect(readFileSync(result, 'utf8')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ full ok 20260101-000000F\n$/);
  }, 10_000);

  it('reports a backup another one holds the lock of as skipped, and a failure with pgBackRest\'s error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scheduler-'));
    writeFileSync(join(dir, 'psql'), '#!/bin/sh\necho f\n');
    writeFileSync(join(dir, 'pgbackrest'), `#!/bin/sh\nif [ -e ${dir}/locked ]; then echo "ERROR: [050]: unable to acquire lock on file" >&2; exit 50; fi\necho "P00  ERROR: [039]: HTTP request failed" >&2\nexit 39\n`);
    for (const tool of ['psql', 'pgbackrest']) chmodSync(join(dir, tool), 0o755);
    writeFileSync(join(dir, 'locked'), '');
    const script = renderSchedulerScript({ differential: schedule('* * * * * *'), stanza: 's', lastResultFile: join(dir, 'last') });
    const child = spawn('/bin/sh', ['-c', script], { env: { PATH: `${dir}:${process.env['PATH'] ?? ''}` } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await sleep(1_400);
    expect(readFileSync(join(dir, 'last'), 'utf8')).toMatch(/ diff skipped another-backup-running\n$/);
    execFileSync('rm', [join(dir, 'locked')]);
    await sleep(1_200);
    child.kill('SIGKILL');
    expect(output).toContain('scheduled diff backup skipped: another backup is running');
    expect(output).toContain('scheduled diff backup failed: P00  ERROR: [039]: HTTP request failed');
    expect(readFileSync(join(dir, 'last'), 'utf8')).toMatch(/ diff failed P00  ERROR: \[039\]: HTTP request failed \n$/);
  }, 10_000);

  it('is a Pebble service run as postgres whose command holds no single quote inside', () => {
    const service = schedulerService({ full: schedule('0 2 * * 0'), stanza: 'm.patroni-a', lastResultFile: '/var/log/pgbackrest/x', environment: { PGUSER: 'backup' }, user: 'postgres', group: 'postgres' });
    expect(service).toMatchObject({ override: 'replace', startup: 'enabled', user: 'postgres', group: 'postgres', environment: { PGUSER: 'backup' } });
    expect(service.command?.startsWith("/bin/sh -c '")).toBe(true);
    expect(service.command?.slice(12, -1)).not.toContain("'");
    expect(() => renderSchedulerScript({ stanza: "x';rm", lastResultFile: '/x' })).toThrow(/stanza/);
  });
});

describe('retention', () => {
  const parameters = (() => {
    const read = readS3Parameters({ bucket: 'b', 'access-key': 'a', 'secret-key': 's', 'delete-older-than-days': '30' });
    if (read.kind !== 'ok') throw new Error('bag');
    return read.parameters;
  })();
  const conf = (retention: { fullCount: number; days: number }): string =>
    renderPgbackrestConf({ parameters, stanza: 's', pgdata: '/d', logPath: '/l', user: 'backup', cpuCores: 4, retention });

  it('by count, else by the charm\'s days, else by s3-integrator\'s delete-older-than-days', () => {
    expect(conf({ fullCount: 2, days: 0 })).toContain('repo1-retention-full-type=count\nrepo1-retention-full=2\n');
    expect(conf({ fullCount: 0, days: 7 })).toContain('repo1-retention-full-type=time\nrepo1-retention-full=7\n');
    expect(conf({ fullCount: 0, days: 0 })).toContain('repo1-retention-full-type=time\nrepo1-retention-full=30\n');
    expect(retentionSettings('9999999', undefined)).toEqual({ type: 'time', full: '9999999' });
  });
});

describe('the schedule and retention options', () => {
  it('default to no schedule and no retention of the charm\'s own', () => {
    const parsed = parseCharmConfig({});
    expect(parsed.ok && parsed.config).toMatchObject({ backup_schedule_full: '', backup_schedule_differential: '', backup_retention_full_count: 0, backup_retention_days: 0 });
  });

  it('block a bad schedule with the format, and retention by count and age at once', () => {
    const parsed = parseCharmConfig({ backup_schedule_full: 'every sunday', backup_retention_full_count: 3, backup_retention_days: 7 });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.issues.map((issue) => issue.option)).toEqual(['backup_schedule_full', 'backup_retention_days']);
    expect(parsed.issues[0]?.allowed).toMatch(/^a cron expression in UTC: five fields .* \(.+\)$/);
    expect(parsed.issues[1]?.allowed).toMatch(/not both; unset one of them$/);
    expect(parseCharmConfig({ backup_schedule_differential: '0 0 * * 5#2' })).toMatchObject({ ok: false, issues: [{ option: 'backup_schedule_differential' }] });
    expect(parseCharmConfig({ backup_schedule_full: '0 2 * * 0', backup_retention_full_count: 2 })).toMatchObject({ ok: true });
  });
});
