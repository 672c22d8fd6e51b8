import { describe, expect, it } from 'vitest';
import { PASSWORDS, runScenario } from '../scenario/charm-scenario.ts';

// The backup actions through the real charm over an in-memory model: what they refuse before
// touching anything.
describe('backup actions without S3', () => {
  it.each(['create-backup', 'list-backups'])('%s fails with the reference\'s message when s3-parameters is not related', async (action) => {
    const result = await runScenario({ hook: 'action', action }, { appSecret: { ...PASSWORDS } });
    expect(result.exitCode).toBe(0);
    expect(result.action).toMatchObject({ failed: true, message: 'Relation with s3-integrator charm missing, cannot create/restore backup.' });
    expect(result.workloadOperations).toEqual([]);
  });

  it('restore fails the same way, before looking at its parameters', async () => {
    const result = await runScenario({ hook: 'action', action: 'restore', params: { 'backup-id': '2024-01-02T03:04:05Z' } }, { appSecret: { ...PASSWORDS } });
    expect(result.action).toMatchObject({ failed: true, message: 'Relation with s3-integrator charm missing, cannot create/restore backup.' });
    expect(result.workloadOperations).toEqual([]);
  });

  it('create-backup names the valid types for an unknown one', async () => {
    const result = await runScenario({ hook: 'action', action: 'create-backup', params: { type: 'weekly' } }, { appSecret: { ...PASSWORDS } });
    expect(result.action).toMatchObject({ failed: true, message: 'Invalid backup type: weekly. Possible values: full, differential, incremental.' });
  });
});

describe('restore with S3 related', () => {
  const s3 = { id: 7, endpoint: 's3-parameters' as const, remoteApp: 's3', remoteAppData: { bucket: 'b', 'access-key': 'a', 'secret-key': 's' } };

  it('refuses a second restore while one runs (the app bag still names the backup being restored)', async () => {
    const result = await runScenario(
      { hook: 'action', action: 'restore', params: { 'backup-id': '2024-01-02T03:04:05Z' } },
      {
        appSecret: { ...PASSWORDS },
        clientRelations: [s3],
        peerApp: { 'restoring-backup': '20240102-030405F', 'restore-stanza': 'm.patroni-postgresql-k8s' },
        status: { status: 'maintenance', message: 'restoring backup' },
      },
    );
    expect(result.action).toMatchObject({ failed: true, message: 'A restore is already running: wait until the unit is active again (juju status), or see juju debug-log' });
    expect(result.workloadOperations).toEqual([]);
  });

  it('refuses a malformed restore-to-time before touching the workload', async () => {
    const result = await runScenario({ hook: 'action', action: 'restore', params: { 'restore-to-time': 'yesterday' } }, { appSecret: { ...PASSWORDS }, clientRelations: [s3] });
    expect(result.action).toMatchObject({ failed: true, message: expect.stringMatching(/^Bad restore-to-time format: "yesterday"/) });
  });
});
