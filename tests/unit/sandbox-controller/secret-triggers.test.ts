import { describe, expect, it } from 'vitest';
import { SecretTriggers, SecretTriggerStateSchema, type SecretTriggerState } from '../../../sandbox/controller/secret-triggers.ts';
import type { HookEvent } from '../../../sandbox/controller/queued-event.ts';
import type { Model } from '../../../sandbox/juju/model.ts';
import { buildModel, hook } from '../sandbox-juju/fixtures.ts';

// The fixture's hooks run at 2026-01-02T03:04:05Z.
const T0 = Date.parse('2026-01-02T03:04:05Z');
const MIN = 60_000;

async function addSecret(model: Model, unit: string, args: string[]): Promise<string> {
  const { run, ctx } = hook(model, { unit });
  const added = await run('secret-add', [...args, 'key=v1']);
  expect(added.exitCode, added.stderr).toBe(0);
  ctx.commit();
  return added.stdout.trim();
}

function triggers(model: Model, restored?: SecretTriggerState) {
  const queued: HookEvent[] = [];
  let now = T0;
  const t = new SecretTriggers({ model, enqueue: (e) => queued.push(e), now: () => new Date(now), restored });
  return {
    queued,
    /** What a controller saves, through JSON as on disk. */
    saved(): SecretTriggerState {
      return SecretTriggerStateSchema.parse(JSON.parse(JSON.stringify(t.state())));
    },
    at(ms: number): HookEvent[] {
      now = ms;
      queued.length = 0;
      t.check();
      return [...queued];
    },
    done(event: HookEvent, ok = true): void {
      t.afterHook(event, ok);
    },
  };
}

describe('secret-rotate', () => {
  it('fires for the leader when due, again 5 minutes later without a new revision, then a period after the last rotation', async () => {
    const { model } = buildModel();
    const uri = await addSecret(model, 'pg/0', ['--rotate', 'hourly', '--label', 'creds']);
    const id = uri.slice('secret:'.length);
    expect(model.secrets[id]!.nextRotateTime).toBe('2026-01-02T04:04:05.000Z');
    const t = triggers(model);
    expect(t.at(T0 + 59 * MIN)).toEqual([]);
    const [rotate] = t.at(T0 + 60 * MIN);
    expect(rotate).toEqual({ kind: 'hook', unit: 'pg/0', hook: 'secret-rotate', secretId: uri, secretLabel: 'creds' });
    // Not again while it is queued or running.
    expect(t.at(T0 + 61 * MIN)).toEqual([]);
    // The hook added no revision: SecretsRotated retries RotateRetryDelay after the last rotate time.
    t.done(rotate!);
    expect(model.secrets[id]!.nextRotateTime).toBe('2026-01-02T04:09:05.000Z');
    const [again] = t.at(T0 + 65 * MIN);
    expect(again?.hook).toBe('secret-rotate');
    // This time the charm rotates it: the next rotation is an hour after the last rotate time.
    const leader = hook(model, { unit: 'pg/0', hookName: 'secret-rotate', secretId: uri });
    expect((await leader.run('secret-set', [uri, 'key=v2'])).exitCode).toBe(0);
    leader.ctx.commit();
    t.done(again!);
    expect(model.secrets[id]!.nextRotateTime).toBe('2026-01-02T05:09:05.000Z');
    // A failed hook records nothing; it is retried by the scheduler, not queued again.
    const [third] = t.at(T0 + 125 * MIN);
    t.done(third!, false);
    expect(t.at(T0 + 126 * MIN)).toEqual([]);
  });

  it('goes to the new leader, and to the owning unit for unit-owned secrets', async () => {
    const { model } = buildModel();
    await addSecret(model, 'pg/0', ['--rotate', 'daily']);
    const unitOwned = await addSecret(model, 'pg/2', ['--owner', 'unit', '--rotate', 'hourly']);
    model.applications['pg']!.leader = 'pg/1';
    const t = triggers(model);
    expect(t.at(T0 + 60 * MIN).map((e) => [e.unit, e.secretId])).toEqual([['pg/2', unitOwned]]);
    expect(t.at(T0 + 24 * 60 * MIN).map((e) => e.unit)).toEqual(['pg/1']);
  });
});

describe('secret-expired', () => {
  it('fires with the revision for the owner, a minute early at most, and every 5 minutes until the revision goes', async () => {
    const { model } = buildModel();
    const uri = await addSecret(model, 'pg/0', ['--expire', '90m', '--label', 'creds']);
    const id = uri.slice('secret:'.length);
    expect(model.secrets[id]!.revisions[0]!.expireTime).toBe('2026-01-02T04:34:05.000Z');
    const t = triggers(model);
    // Juju truncates the expire time to the minute: 04:34:00.
    expect(t.at(Date.parse('2026-01-02T04:34:00Z'))).toEqual([]);
    expect(t.at(Date.parse('2026-01-02T04:34:01Z'))).toEqual([
      { kind: 'hook', unit: 'pg/0', hook: 'secret-expired', secretId: uri, secretLabel: 'creds', secretRevision: 1 },
    ]);
    expect(t.at(Date.parse('2026-01-02T04:38:00Z'))).toEqual([]);
    expect(t.at(Date.parse('2026-01-02T04:39:01Z')).map((e) => e.secretRevision)).toEqual([1]);
    // A new revision without --expire does not expire; removing the expired one stops the retries.
    const leader = hook(model, { unit: 'pg/0' });
    expect((await leader.run('secret-set', [uri, 'key=v2'])).exitCode).toBe(0);
    expect((await leader.run('secret-remove', [uri, '--revision', '1'])).exitCode).toBe(0);
    leader.ctx.commit();
    expect(t.at(Date.parse('2026-01-02T05:30:00Z'))).toEqual([]);
  });

  it('sets the latest revision\'s expiry with secret-set --expire and no content', async () => {
    const { model } = buildModel();
    const uri = await addSecret(model, 'pg/0', []);
    const leader = hook(model, { unit: 'pg/0' });
    expect((await leader.run('secret-set', [uri, '--expire', '2026-01-02T03:10:00Z'])).exitCode).toBe(0);
    leader.ctx.commit();
    const t = triggers(model);
    expect(t.at(Date.parse('2026-01-02T03:10:01Z')).map((e) => [e.hook, e.secretRevision])).toEqual([['secret-expired', 1]]);
  });
});

describe('after a daemon restart', () => {
  it('does not queue a rotation in flight again, and still knows whether the hook rotated', async () => {
    const { model } = buildModel();
    const uri = await addSecret(model, 'pg/0', ['--rotate', 'hourly']);
    const id = uri.slice('secret:'.length);
    const before = triggers(model);
    const [rotate] = before.at(T0 + 60 * MIN);
    expect(rotate?.hook).toBe('secret-rotate');
    // The daemon restarts with the hook still queued (restored with the queues).
    const after = triggers(model, before.saved());
    expect(after.at(T0 + 61 * MIN)).toEqual([]);
    const leader = hook(model, { unit: 'pg/0', hookName: 'secret-rotate', secretId: uri });
    expect((await leader.run('secret-set', [uri, 'key=v2'])).exitCode).toBe(0);
    leader.ctx.commit();
    after.done(rotate!);
    // Rotated: a period after the last rotate time, not the 5-minute retry of "not rotated".
    expect(model.secrets[id]!.nextRotateTime).toBe('2026-01-02T05:04:05.000Z');
    expect(after.at(T0 + 119 * MIN)).toEqual([]);
    expect(after.at(T0 + 120 * MIN).map((e) => e.hook)).toEqual(['secret-rotate']);
  });

  it('fires a due rotation from the saved next rotate time, and keeps the expiry retry time', async () => {
    const { model } = buildModel();
    const uri = await addSecret(model, 'pg/0', ['--rotate', 'hourly', '--expire', '30m']);
    const first = triggers(model);
    expect(first.at(T0 + 31 * MIN).map((e) => e.hook)).toEqual(['secret-expired']);
    // A new daemon (nothing in flight saved but the expiry) half an hour before the rotation.
    const second = triggers(model, first.saved());
    expect(second.at(T0 + 32 * MIN)).toEqual([]);
    expect(second.at(T0 + 36 * MIN).map((e) => [e.hook, e.secretId])).toEqual([['secret-expired', uri]]);
    expect(second.at(T0 + 59 * MIN).filter((e) => e.hook === 'secret-rotate')).toEqual([]);
    expect(second.at(T0 + 60 * MIN).filter((e) => e.hook === 'secret-rotate').map((e) => e.secretId)).toEqual([uri]);
  });
});
