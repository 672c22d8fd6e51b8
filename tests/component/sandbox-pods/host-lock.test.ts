import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withHostLock } from '../../../sandbox/pods/host-lock.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'host-lock-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('withHostLock (util-linux flock), which serialises sandboxes claiming a subnet', () => {
  it('never lets two critical sections overlap', async () => {
    const lock = path.join(dir, 'a.lock');
    const events: string[] = [];
    const section = (name: string) => withHostLock(lock, async () => {
      events.push(`${name} in`);
      await sleep(300);
      events.push(`${name} out`);
      return name;
    });
    const results = await Promise.all([section('one'), section('two'), section('three')]);
    expect(results).toEqual(['one', 'two', 'three']);
    for (let i = 0; i < events.length; i += 2) {
      expect(events[i]!.split(' ')).toEqual([events[i + 1]!.split(' ')[0], 'in']);
    }
  });

  it('releases the lock when the critical section throws', async () => {
    const lock = path.join(dir, 'b.lock');
    await expect(withHostLock(lock, async () => { throw new Error('subnet in use'); })).rejects.toThrow('subnet in use');
    await expect(withHostLock(lock, async () => 'taken again', 2_000)).resolves.toBe('taken again');
  });

  it('gives up with a clear error when the lock stays held past the timeout', async () => {
    const lock = path.join(dir, 'c.lock');
    const holding = withHostLock(lock, () => sleep(2_500));
    await sleep(200);
    await expect(withHostLock(lock, async () => 'never', 1_000)).rejects.toThrow(/cannot take the sandbox lock/);
    await holding;
  });
});
