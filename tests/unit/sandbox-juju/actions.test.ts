import { describe, expect, it } from 'vitest';
import { enqueueAction, finishAction, SandboxModelError, startAction } from '../../../sandbox/juju/model.ts';
import { buildModel, hook } from './fixtures.ts';

describe('enqueueAction', () => {
  it('fills defaults from actions.yaml and numbers actions', () => {
    const { model } = buildModel();
    const first = enqueueAction(model, 'pg/0', 'get-password');
    const second = enqueueAction(model, 'pg/1', 'create-backup', { type: 'incremental' });
    expect(first).toMatchObject({ id: '1', unit: 'pg/0', name: 'get-password', params: { username: 'operator' }, status: 'pending' });
    expect(second).toMatchObject({ id: '2', params: { type: 'incremental' } });
  });

  it('checks params the way Juju validates them', () => {
    const { model } = buildModel();
    expect(() => enqueueAction(model, 'pg/0', 'set-password', {})).toThrow(/"username" is required/);
    expect(() => enqueueAction(model, 'pg/0', 'set-password', { username: 'u', extra: 1 })).toThrow(/additional property "extra"/);
    expect(() => enqueueAction(model, 'pg/0', 'set-password', { username: 5 })).toThrow(/must be of type "string"/);
    expect(() => enqueueAction(model, 'pg/0', 'create-backup', { type: 'weekly' })).toThrow(/must be one of/);
    expect(() => enqueueAction(model, 'pg/0', 'no-such-action')).toThrow(SandboxModelError);
  });
});

describe('action tools', () => {
  function running(params: Record<string, unknown> = { username: 'operator', password: 's3cret' }) {
    const { model } = buildModel();
    const action = enqueueAction(model, 'pg/0', 'set-password', params);
    startAction(model, action.id);
    return { model, action, ...hook(model, { unit: 'pg/0', hookName: '', actionId: action.id }) };
  }

  it('action-get prints params, walks dotted keys and prints null for missing ones', async () => {
    const { model } = buildModel();
    model.applications['pg']!.charm.actions['set-password']!.additionalProperties = true;
    const action = enqueueAction(model, 'pg/0', 'set-password', { username: 'u', nested: { a: { b: 'deep' } } });
    const { json, run } = hook(model, { unit: 'pg/0', actionId: action.id });
    expect(await json('action-get')).toEqual({ username: 'u', nested: { a: { b: 'deep' } } });
    expect(await json('action-get', ['nested.a.b'])).toBe('deep');
    expect(await json('action-get', ['nested.x'])).toBeNull();
    expect((await run('action-get', ['username'])).stdout).toBe('u\n');
    expect(await run('action-get', ['a', 'b'])).toMatchObject({ exitCode: 2, stderr: 'ERROR unrecognized args: ["b"]\n' });
  });

  it('action-set merges nested keys and refuses reserved or malformed keys', async () => {
    const { action, run } = running();
    expect((await run('action-set', ['password=abc', 'outfile.size=10G'])).exitCode).toBe(0);
    expect((await run('action-set', ['outfile.name=dump', 'n=5'])).exitCode).toBe(0);
    expect(action.results).toEqual({ password: 'abc', outfile: { size: '10G', name: 'dump' }, n: '5' });
    expect(await run('action-set', ['stdout=x'])).toEqual({ exitCode: 2, stdout: '', stderr: 'ERROR cannot set reserved action key "stdout"\n' });
    expect(await run('action-set', ['a.stderr-encoding=x'])).toMatchObject({ exitCode: 2, stderr: 'ERROR cannot set reserved action key "stderr-encoding"\n' });
    expect(await run('action-set', ['Bad=x'])).toMatchObject({
      exitCode: 2,
      stderr: 'ERROR key "Bad" must start and end with lowercase alphanumeric, and contain only lowercase alphanumeric, hyphens and periods\n',
    });
    expect(await run('action-set', ['trailing-=x'])).toMatchObject({ exitCode: 2 });
    expect(await run('action-set', ['novalue'])).toMatchObject({ exitCode: 2, stderr: 'ERROR argument "novalue" must be of the form key...=value\n' });
    // A rejected call sets nothing, even the valid keys before the bad one.
    expect(await run('action-set', ['good=1', 'stdout=2'])).toMatchObject({ exitCode: 2 });
    expect(action.results).not.toHaveProperty('good');
  });

  it('action-log and action-fail are kept even when the dispatch fails', async () => {
    const { model, action, ctx, run } = running();
    await run('action-log', ['--', 'rotating', 'password']);
    await run('action-fail', ['--', '']);
    await run('action-set', ['partial=yes']);
    ctx.discard();
    finishAction(model, action.id, { exitCode: 0, stdout: 'out', stderr: '' });
    expect(model.actions[action.id]).toMatchObject({
      status: 'failed',
      failed: true,
      message: '',
      messages: [{ timestamp: '2026-01-02T03:04:05.000Z', message: 'rotating password' }],
      results: { partial: 'yes', stdout: 'out', 'return-code': '0' },
    });
  });

  it('action-fail without a message uses Juju’s default text; a non-zero exit fails the action', async () => {
    const { model, action, run } = running();
    await run('action-fail');
    expect(action.message).toBe('action failed without reason given, check action for errors');
    const other = enqueueAction(model, 'pg/1', 'get-password');
    startAction(model, other.id);
    finishAction(model, other.id, { exitCode: 3, stdout: '', stderr: 'boom' });
    expect(model.actions[other.id]).toMatchObject({ status: 'failed', message: 'exit status 3', results: { stderr: 'boom', 'return-code': '3' } });
    expect(() => startAction(model, other.id)).toThrow(/is failed, not pending/);
  });
});
