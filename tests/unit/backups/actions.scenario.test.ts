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
