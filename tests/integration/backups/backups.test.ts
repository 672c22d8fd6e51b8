import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP, isClean, SandboxFixture, type StatusDoc } from '../../support/sandbox-fixture.ts';
import { startSandboxS3, type SandboxS3 } from './sandbox-s3.ts';

// One single-unit deployment of the real charm (restore needs one unit), the sandbox's S3 server
// (s3rver over HTTPS with its own CA) and the sandbox's s3-integrator, scenario after scenario:
// the relation connects the cluster (stanza, WAL archiving) and list-backups answers; a backup,
// more writes, and a restore by id bring back exactly the rows at backup time; a point-in-time
// restore between two known writes keeps the first and not the second, and list-backups shows
// the restore as a timeline; bad input fails with the reference's messages; wrong credentials
// block the unit with the reference's message, and the right ones heal it.

const MIN = 60_000;
const UNIT = `${APP}/0`;
const S3_APP = 's3';
const BUCKET = 'pg-backups';
const TABLE = 'backup_rows';
let sbx: SandboxFixture;
let s3: SandboxS3;

function workload(status: StatusDoc, unit: string): { current: string; message?: string } | undefined {
  const app = unit.slice(0, unit.lastIndexOf('/'));
  return status.applications[app]?.units[unit]?.['workload-status'];
}

/** Waits until `unit` shows `current` (and `message`, when given) and its agent is idle. */
async function waitForUnit(unit: string, current: string, message?: string | RegExp, timeoutMs = 3 * MIN): Promise<StatusDoc> {
  const app = unit.slice(0, unit.lastIndexOf('/'));
  return sbx.until(
    () => sbx.status(),
    (status) => {
      const seen = workload(status, unit);
      const messageOk = message === undefined || (typeof message === 'string' ? seen?.message === message : message.test(seen?.message ?? ''));
      return seen?.current === current && messageOk && status.applications[app]?.units[unit]?.['juju-status'].current === 'idle';
    },
    `${unit} ${current} ${String(message ?? '')}`,
    timeoutMs,
  );
}

async function rows(): Promise<string[]> {
  return (await sbx.sql<{ value: string }>(UNIT, `SELECT value FROM ${TABLE} ORDER BY id`)).map((row) => row.value);
}

async function insert(...values: string[]): Promise<void> {
  for (const value of values) await sbx.sql(UNIT, `INSERT INTO ${TABLE} (value) VALUES ($1)`, { params: [value] });
}

/** Waits until the restore has finished (Active "Primary" again, the restore keys gone); the rows it brought back. */
async function waitForRestore(): Promise<string[]> {
  await sbx.until(() => sbx.status(), (status) => workload(status, UNIT)?.message !== 'restoring backup', 'the restore to leave "restoring backup"', 4 * MIN, 2_000);
  await waitForUnit(UNIT, 'active', 'Primary', 4 * MIN);
  return sbx.until(() => rows(), () => true, 'the restored database to answer', 2 * MIN, 1_000);
}

beforeAll(async () => {
  sbx = await SandboxFixture.create('backups');
  await sbx.deploy(1);
  s3 = await startSandboxS3(sbx);
  await sbx.cliOk(
    [
      'deploy', 's3-integrator', S3_APP, '--timeout', '5m',
      '--config', `endpoint=${s3.endpoint}`, '--config', `bucket=${BUCKET}`, '--config', 'path=/cluster-a',
      '--config', 's3-uri-style=path', '--config', 'region=us-east-1', '--config', `tls-ca-chain=${s3.caChain}`,
    ],
    6 * MIN,
  );
}, 15 * MIN);

afterAll(async () => {
  const leftovers = await sbx?.teardown();
  expect(leftovers === null || isClean(leftovers), JSON.stringify(leftovers)).toBe(true);
}, 5 * MIN);

describe('backups to the sandbox S3', () => {
  it('backup actions without the relation fail with the reference\'s message', async () => {
    for (const action of ['create-backup', 'list-backups']) {
      expect(await sbx.run(UNIT, action)).toMatchObject({ status: 'failed', message: 'Relation with s3-integrator charm missing, cannot create/restore backup.' });
    }
  }, 2 * MIN);

  it('s3-integrator\'s credentials connect the cluster: stanza created, archiving on, list-backups answers', async () => {
    await sbx.runOk(`${S3_APP}/0`, 'sync-s3-credentials', { 'access-key': s3.accessKey, 'secret-key': s3.secretKey });
    await sbx.cliOk(['relate', `${S3_APP}:s3-credentials`, `${APP}:s3-parameters`, '--timeout', '5m'], 6 * MIN);
    await waitForUnit(UNIT, 'active', 'Primary', 4 * MIN);
    const archive = await sbx.sql<{ archive_command: string }>(UNIT, 'SHOW archive_command');
    expect(archive[0]?.archive_command).toMatch(/^pgbackrest --stanza=.*\.patroni-postgresql-k8s archive-push %p$/);
    const listed = await sbx.runOk(UNIT, 'list-backups');
    expect(String(listed['backups'])).toMatch(/^Storage bucket name: pg-backups\nBackups base path: \/cluster-a\/backup\/\n\nbackup-id {12}\| action/);
  }, 8 * MIN);

  it('a restore by backup id brings back exactly the rows at backup time', async () => {
    await sbx.sql(UNIT, `CREATE TABLE ${TABLE} (id serial PRIMARY KEY, value text NOT NULL)`);
    await insert('before-1', 'before-2', 'before-3');
    const created = await sbx.runOk(UNIT, 'create-backup');
    expect(created['backup-status']).toBe('backup created');
    const backupId = String(created['backup-id']);
    expect(backupId).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    await insert('after-1', 'after-2');
    expect(await rows()).toHaveLength(5);
    const listed = String((await sbx.runOk(UNIT, 'list-backups'))['backups']);
    expect(listed).toContain(`${backupId} | full backup         | finished | None`);

    expect(await sbx.run(UNIT, 'restore', { 'backup-id': '2001-01-01T00:00:00Z' })).toMatchObject({ status: 'failed', message: 'Invalid backup-id: 2001-01-01T00:00:00Z' });
    const restore = await sbx.runOk(UNIT, 'restore', { 'backup-id': backupId });
    expect(restore['restore-status']).toBe('restore started');
    expect(await waitForRestore()).toEqual(['before-1', 'before-2', 'before-3']);
  }, 10 * MIN);

  it('a point-in-time restore keeps the write before the target and not the one after; list-backups shows the restore', async () => {
    await sbx.runOk(UNIT, 'create-backup');
    await insert('pitr-before');
    await sleep(1_500);
    const [{ target } = { target: '' }] = await sbx.sql<{ target: string }>(UNIT, "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00' AS target");
    await sleep(1_500);
    await insert('pitr-after');
    // The WAL holding both writes must be archived for recovery to pass the target.
    await sbx.sql(UNIT, 'SELECT pg_switch_wal()');
    await sleep(3_000);

    expect(await sbx.run(UNIT, 'restore', { 'restore-to-time': 'yesterday' })).toMatchObject({ status: 'failed', message: expect.stringMatching(/^Bad restore-to-time format/) });
    expect(await sbx.run(UNIT, 'restore', { 'restore-to-time': '2999-01-01 00:00:00' })).toMatchObject({ status: 'failed', message: expect.stringMatching(/is in the future/) });
    expect(await sbx.run(UNIT, 'create-backup', { type: 'weekly' })).toMatchObject({ status: 'failed', message: 'Invalid backup type: weekly. Possible values: full, differential, incremental.' });

    await sbx.runOk(UNIT, 'restore', { 'restore-to-time': target });
    const values = await waitForRestore();
    expect(values).toContain('pitr-before');
    expect(values).not.toContain('pitr-after');
    const listed = String((await sbx.runOk(UNIT, 'list-backups'))['backups']);
    expect(listed).toMatch(/\| restore {13}\| finished \| None/);
  }, 10 * MIN);

  it('differential and incremental chains reference their parents, and restoring the incremental brings back exactly its rows', async () => {
    const fullId = String((await sbx.runOk(UNIT, 'create-backup'))['backup-id']);
    await insert('chain-1');
    const diffId = String((await sbx.runOk(UNIT, 'create-backup', { type: 'differential' }))['backup-id']);
    await insert('chain-2');
    const incrId = String((await sbx.runOk(UNIT, 'create-backup', { type: 'incremental' }))['backup-id']);
    const atIncremental = await rows();
    await insert('chain-3');
    const listed = String((await sbx.runOk(UNIT, 'list-backups'))['backups']);
    expect(listed).toContain(`${diffId} | differential backup | finished | ${fullId}`);
    expect(listed).toContain(`${incrId} | incremental backup  | finished | ${diffId}`);

    await sbx.runOk(UNIT, 'restore', { 'backup-id': incrId });
    const restored = await waitForRestore();
    expect(restored).toEqual(atIncremental);
    expect(restored).toContain('chain-2');
    expect(restored).not.toContain('chain-3');
  }, 10 * MIN);

  it('S3 down: create-backup fails at once and says S3 cannot be reached; once S3 is back, backups work again', async () => {
    await waitForUnit(UNIT, 'active', 'Primary', 2 * MIN);
    await sbx.cliOk(['s3', '--stop'], MIN);
    try {
      const started = Date.now();
      const failed = await sbx.run(UNIT, 'create-backup');
      expect(failed).toMatchObject({ status: 'failed', message: expect.stringMatching(/^Cannot reach S3 at https:\/\/\S+ \(.+\): check that the S3 service is up and reachable from the unit, then run create-backup again$/) });
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      await sbx.cliOk(['s3'], 2 * MIN);
    }
    await insert('after-outage');
    expect((await sbx.runOk(UNIT, 'create-backup'))['backup-status']).toBe('backup created');
    await waitForUnit(UNIT, 'active', 'Primary', MIN);
  }, 6 * MIN);

  it('wrong credentials block the unit with the reference\'s message; the right ones heal it', async () => {
    // s3rver checks the access key id, not the SigV4 signature: a wrong key is what it refuses (403).
    await sbx.runOk(`${S3_APP}/0`, 'sync-s3-credentials', { 'access-key': 'NOT-A-KEY', 'secret-key': s3.secretKey });
    await waitForUnit(UNIT, 'blocked', /^failed to (access\/create the bucket|initialize stanza), check your S3 settings/, 4 * MIN);
    expect(await sbx.run(UNIT, 'create-backup')).toMatchObject({ status: 'failed', message: 'Unit is in a blocking state' });
    await sbx.runOk(`${S3_APP}/0`, 'sync-s3-credentials', { 'access-key': s3.accessKey, 'secret-key': s3.secretKey });
    await waitForUnit(UNIT, 'active', 'Primary', 4 * MIN);
    expect((await sbx.runOk(UNIT, 'create-backup'))['backup-status']).toBe('backup created');
  }, 10 * MIN);

  it('a scheduled full backup fires in the workload and retention by count removes the oldest full backups; a bad schedule blocks with the format', async () => {
    const fullIds = async (): Promise<string[]> =>
      String((await sbx.runOk(UNIT, 'list-backups'))['backups'])
        .split('\n')
        .filter((line) => line.includes('| full backup '))
        .map((line) => line.slice(0, 20).trim());
    const before = await fullIds();
    expect(before.length).toBeGreaterThanOrEqual(3);

    const config = (...args: string[]) => sbx.cliOk(['config', APP, ...args, '--timeout', '5m'], 6 * MIN);
    await config('backup_schedule_full=every sunday');
    await waitForUnit(UNIT, 'blocked', 'Configuration Error: backup_schedule_full="every sunday" is invalid', 2 * MIN);
    // Every 10 s (six fields, seconds first); keep two full backups.
    await config('backup_schedule_full=*/10 * * * * *', 'backup_retention_full_count=2');
    await waitForUnit(UNIT, 'active', 'Primary', 2 * MIN);
    // The table lists the scheduled backup, and the schedule result its outcome (written once pgBackRest has exited).
    const listed = await sbx.until(
      () => sbx.runOk(UNIT, 'list-backups'),
      (result) => / full ok \d{8}-\d{6}F$/.test(String(result['schedule'] ?? '')) && String(result['backups']).split('\n').some((line) => line.includes('| full backup ') && !before.includes(line.slice(0, 20).trim())),
      'a scheduled full backup in list-backups',
      2 * MIN,
      2_000,
    );
    expect(String(listed['schedule'])).toMatch(
      /^schedule \(UTC\): full "\*\/10 \* \* \* \* \*" \(next \S+Z\)\nretention: 2 full backups\nlast scheduled backup on this unit: \S+Z full ok \d{8}-\d{6}F$/,
    );
    await config('--reset', 'backup_schedule_full');
    const kept = await fullIds();
    // pgBackRest's expire after each scheduled backup keeps the two newest full backups.
    expect(kept).toHaveLength(2);
    expect(kept).not.toContain(before[0]);
    expect(kept.some((id) => !before.includes(id))).toBe(true);
    // The schedule is off: no more backups.
    await sleep(11_000);
    expect(await fullIds()).toEqual(kept);
    expect((await sbx.runOk(UNIT, 'list-backups'))['schedule']).toBeUndefined();
  }, 8 * MIN);
});
