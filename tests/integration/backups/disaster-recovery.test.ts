import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxPaths } from '../../../sandbox/runtime/paths.ts';
import { APP, isClean, SandboxFixture, type StatusDoc } from '../../support/sandbox-fixture.ts';
import { startSandboxS3, type SandboxS3 } from './sandbox-s3.ts';

// Disaster recovery (issue 14 item 3), small data: cluster A (one unit) backs up to the sandbox
// S3; cluster B, a fresh one-unit application of the same charm, is related to a second
// s3-integrator pointed at A's bucket and path and shows the reference's "another cluster";
// given A's system passwords (the reference's procedure for a backup of another cluster), it
// restores A's backup and holds exactly A's rows; pointed at a path of its own, it connects its
// own repository (no longer Blocked) and backs up; scaled to 3, every member has the rows, the
// primary backs up while a replica is frozen, and a restore on 3 units is refused with the
// reference's message.

const MIN = 60_000;
const A = `${APP}/0`;
const B_APP = 'pg-b';
const B = `${B_APP}/0`;
const BUCKET = 'dr-backups';
const ANOTHER_CLUSTER = 'the S3 repository has backups from another cluster';
let sbx: SandboxFixture;
let s3: SandboxS3;

function workload(status: StatusDoc, unit: string): { current: string; message?: string } | undefined {
  return status.applications[unit.slice(0, unit.lastIndexOf('/'))]?.units[unit]?.['workload-status'];
}

async function waitForUnit(unit: string, current: string, message: string | RegExp, timeoutMs = 3 * MIN): Promise<StatusDoc> {
  const app = unit.slice(0, unit.lastIndexOf('/'));
  return sbx.until(
    () => sbx.status(),
    (status) => {
      const seen = workload(status, unit);
      const messageOk = typeof message === 'string' ? seen?.message === message : message.test(seen?.message ?? '');
      return seen?.current === current && messageOk && status.applications[app]?.units[unit]?.['juju-status'].current === 'idle';
    },
    `${unit} ${current} ${String(message)}`,
    timeoutMs,
  );
}

/** The rows on `unit` (of either application: the fixture's own lookup knows the first one only). */
async function rows(unit: string): Promise<string[]> {
  const app = unit.slice(0, unit.lastIndexOf('/'));
  const address = (await sbx.status()).applications[app]?.units[unit]?.address;
  if (address === undefined || address === '') throw new Error(`unit ${unit} has no address`);
  return (await sbx.sql<{ value: string }>(address, 'SELECT value FROM dr_rows ORDER BY id')).map((row) => row.value);
}

async function deployS3Integrator(name: string, path: string): Promise<void> {
  await sbx.cliOk(
    [
      'deploy', 's3-integrator', name, '--timeout', '5m',
      '--config', `endpoint=${s3.endpoint}`, '--config', `bucket=${BUCKET}`, '--config', `path=${path}`,
      '--config', 's3-uri-style=path', '--config', 'region=us-east-1', '--config', `tls-ca-chain=${s3.caChain}`,
    ],
    6 * MIN,
  );
  await sbx.runOk(`${name}/0`, 'sync-s3-credentials', { 'access-key': s3.accessKey, 'secret-key': s3.secretKey });
}

beforeAll(async () => {
  sbx = await SandboxFixture.create('dr');
  await sbx.deploy(1);
  s3 = await startSandboxS3(sbx);
  await deployS3Integrator('s3-a', '/a');
  await sbx.cliOk(['relate', 's3-a:s3-credentials', `${APP}:s3-parameters`, '--timeout', '5m'], 6 * MIN);
  await waitForUnit(A, 'active', 'Primary');
}, 15 * MIN);

afterAll(async () => {
  const leftovers = await sbx?.teardown();
  expect(leftovers === null || isClean(leftovers), JSON.stringify(leftovers)).toBe(true);
}, 5 * MIN);

describe('disaster recovery into a fresh cluster', () => {
  let backupId = '';
  let aRows: string[] = [];

  it('a fresh cluster related to another cluster\'s bucket and path shows "another cluster" and lists its backups', async () => {
    await sbx.sql(A, 'CREATE TABLE dr_rows (id serial PRIMARY KEY, value text NOT NULL)');
    await sbx.sql(A, "INSERT INTO dr_rows (value) VALUES ('a-1'), ('a-2'), ('a-3')");
    backupId = String((await sbx.runOk(A, 'create-backup'))['backup-id']);
    aRows = await rows(A);
    await sbx.sql(A, "INSERT INTO dr_rows (value) VALUES ('a-after-backup')");

    const charmDir = new SandboxPaths(sbx.stateDir).charmDir(APP);
    await sbx.cliOk(['deploy', '--units', '1', '--trust', '--wait', '--timeout', '10m', charmDir, B_APP], 11 * MIN);
    await deployS3Integrator('s3-b', '/a');
    await sbx.cliOk(['relate', 's3-b:s3-credentials', `${B_APP}:s3-parameters`, '--timeout', '5m'], 6 * MIN);
    await waitForUnit(B, 'blocked', ANOTHER_CLUSTER);
    expect(String((await sbx.runOk(B, 'list-backups'))['backups'])).toContain(`${backupId} | full backup `);
  }, 15 * MIN);

  it('with the other cluster\'s passwords it restores that cluster\'s backup: exactly its rows', async () => {
    for (const username of ['operator', 'replication', 'rewind', 'monitoring']) {
      const password = String((await sbx.runOk(A, 'get-password', { username }))['password']);
      await sbx.runOk(B, 'set-password', { username, password });
    }
    await sbx.runOk(B, 'restore', { 'backup-id': backupId });
    await sbx.until(() => sbx.status(), (status) => workload(status, B)?.message !== 'restoring backup', 'the restore to end', 4 * MIN, 2_000);
    // Restored, it still points at A's repository: "another cluster" again, until the path changes.
    await waitForUnit(B, 'blocked', ANOTHER_CLUSTER, 4 * MIN);
    expect(await sbx.until(() => rows(B), () => true, 'the restored database to answer', 2 * MIN, 1_000)).toEqual(aRows);
  }, 10 * MIN);

  it('pointed at a path of its own, it connects its own repository (not Blocked forever) and backs up', async () => {
    await sbx.cliOk(['config', 's3-b', 'path=/b', '--timeout', '5m'], 6 * MIN);
    await waitForUnit(B, 'active', 'Primary', 4 * MIN);
    expect((await sbx.runOk(B, 'create-backup'))['backup-status']).toBe('backup created');
    const listed = String((await sbx.runOk(B, 'list-backups'))['backups']);
    expect(listed).toMatch(/^Storage bucket name: dr-backups\nBackups base path: \/b\/backup\/\n/);
    expect(listed).not.toContain(backupId);
  }, 8 * MIN);

  it('scaled to 3, every member holds the restored rows, a backup works while a replica is down, and restore is refused on 3 units', async () => {
    await sbx.cliOk(['add-unit', B_APP, '-n', '2', '--wait', '--timeout', '10m'], 11 * MIN);
    for (const unit of [`${B_APP}/1`, `${B_APP}/2`]) {
      expect(await sbx.until(() => rows(unit), (values) => values.length === aRows.length, `${unit} to hold the rows`, 2 * MIN, 1_000)).toEqual(aRows);
    }
    // A backup while a replica is down (frozen): the primary backs up on its own.
    const primary = String((await sbx.runOk(B, 'get-primary'))['primary']);
    const replica = [B, `${B_APP}/1`, `${B_APP}/2`].find((unit) => unit !== primary) ?? '';
    await sbx.cliOk(['chaos', 'freeze', replica], MIN);
    try {
      expect((await sbx.runOk(primary, 'create-backup'))['backup-status']).toBe('backup created');
    } finally {
      await sbx.cliOk(['chaos', 'thaw', replica], MIN);
    }
    expect(await sbx.run(B, 'restore', { 'backup-id': backupId })).toMatchObject({
      status: 'failed',
      message: 'Unit cannot restore backup as there are more than one unit in the cluster',
    });
  }, 12 * MIN);
});
