import { describe, expect, it } from 'vitest';
import { CharmError } from '../../../src/errors.ts';
import {
  classifyHookToolFailure,
  HookToolError,
  HookToolUsageError,
  NotLeaderError,
  PermissionDeniedError,
  RelationNotFoundError,
  SecretNotFoundError,
} from '../../../src/juju/errors.ts';
import { HookTools } from '../../../src/juju/hook-tools.ts';
import { fail, RecordingToolRunner } from './recording-tool-runner.ts';

const db = { endpoint: 'database', id: 5 };

function failing(tool: string, message: string, exitCode = 1) {
  return new HookTools(new RecordingToolRunner().respond(tool, fail(message, exitCode)), { unitName: 'postgresql-k8s/0' });
}

describe('hook-tool error classification (docs/hook-tools.md#hook-tool-conventions)', () => {
  it('relation not found from relation-* and network-* tools', async () => {
    const error = await failing('relation-get', 'relation not found').relationGet(db, { unit: 'x/0' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RelationNotFoundError);
    expect(error).toBeInstanceOf(HookToolError);
    expect(error).toBeInstanceOf(CharmError);
    expect(error).toMatchObject({
      code: 'relation-not-found',
      tool: 'relation-get',
      args: ['--format=json', '-r', 'database:5', '-', 'x/0'],
      exitCode: 1,
      stderr: 'ERROR relation not found\n',
      message: 'relation-get --format=json -r database:5 - x/0 exited 1: relation not found',
    });
    await expect(failing('network-get', 'relation not found').networkGet('nope')).rejects.toBeInstanceOf(RelationNotFoundError);
    // An unknown -r is a flag error (exit 2) whose text still says "relation not found".
    await expect(failing('relation-list', 'invalid value "database:99" for option -r: relation not found', 2).relationList(db)).rejects.toBeInstanceOf(
      RelationNotFoundError,
    );
  });

  it('secret not found from secret-* tools', async () => {
    const error = await failing('secret-get', 'secret "cs8b2dvmp25c76a1p2k0" not found').secretGet({ id: 'secret:cs8b2dvmp25c76a1p2k0' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretNotFoundError);
    expect(error).toMatchObject({ code: 'secret-not-found' });
    await expect(failing('secret-info-get', 'secret "x" not found').secretInfoGet({ label: 'x' })).rejects.toBeInstanceOf(SecretNotFoundError);
  });

  it('"not found" from other tools is not a secret error', () => {
    const error = classifyHookToolFailure('storage-get', ['-s', 'x/0'], fail('storage "x/0" not found'));
    expect(error.constructor).toBe(HookToolError);
    expect(error.code).toBe('hook-tool-failed');
  });

  it('leadership and permission failures', async () => {
    const notLeader = await failing('secret-set', 'this unit is not the leader').secretSet('secret:abc', { label: 'x' }).catch((e: unknown) => e);
    expect(notLeader).toBeInstanceOf(NotLeaderError);
    expect(notLeader).toBeInstanceOf(PermissionDeniedError);
    expect(notLeader).toMatchObject({ code: 'not-leader' });
    await expect(failing('status-set', 'this unit is not the leader').statusSet('active', '', { application: true })).rejects.toMatchObject({ code: 'not-leader' });
    await expect(failing('relation-set', 'cannot write relation settings').relationSet(db, { a: 'b' }, { app: true })).rejects.toMatchObject({
      code: 'permission-denied',
    });
    await expect(failing('secret-get', 'permission denied').secretGet({ label: 'x' })).rejects.toBeInstanceOf(PermissionDeniedError);
    expect(classifyHookToolFailure('config-get', [], fail('access denied')).code).toBe('permission-denied');
  });

  it('exit 2 is a usage error; anything else a generic HookToolError', async () => {
    await expect(failing('relation-ids', 'no endpoint name specified', 2).relationIds('')).rejects.toBeInstanceOf(HookToolUsageError);
    const runtime = await failing('config-get', 'connection is shut down').configGet().catch((e: unknown) => e);
    expect(runtime).toMatchObject({ code: 'hook-tool-failed', exitCode: 1, message: 'config-get --format=json exited 1: connection is shut down' });
  });

  it('names the action-set keys but never their values in errors', async () => {
    const error = await failing('action-set', 'not running an action').actionSet({ password: 'hunter2' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ args: ['password=[redacted]'] });
    expect((error as Error).message).not.toContain('hunter2');
  });
});
