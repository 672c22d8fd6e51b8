import { access, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Controller } from '../../../sandbox/controller/controller.ts';
import { TestBed, waitFor } from './test-charm.ts';

let bed: TestBed;
let controller: Controller | undefined;

beforeEach(async () => {
  bed = await TestBed.create();
});

afterEach(async () => {
  await controller?.stop();
  controller = undefined;
  await bed.cleanup();
});

const gone = (file: string) => access(file).then(() => false, () => true);

describe('per-unit charm directories', () => {
  it('give each unit its own writable copy that survives a restart, takes a changed charm and goes with the unit', async () => {
    controller = await bed.open();
    await bed.deploy(controller, 'a', 2);
    await controller.settled({ timeoutMs: 20_000 });
    const dirOf = (unit: string) => path.join(bed.stateDir, 'agents', `unit-${unit.replace('/', '-')}`, 'charm');

    // Two units write the same file in their charm dir and do not see each other's.
    for (const unit of ['a/0', 'a/1']) {
      const written = await controller.runAction(unit, 'write-charm-file', { value: `from ${unit}` }, { timeoutMs: 10_000 });
      expect(written).toMatchObject({ status: 'completed', results: { after: `from ${unit}` } });
      expect(written.results).not.toHaveProperty('before');
    }
    expect(await readFile(path.join(dirOf('a/0'), 'mine'), 'utf8')).toBe('from a/0\n');
    expect(await readFile(path.join(dirOf('a/1'), 'mine'), 'utf8')).toBe('from a/1\n');
    expect(await gone(path.join(bed.charmDir, 'mine'))).toBe(true); // the application's charm is untouched
    expect((await bed.log('a/1')).hooks.at(-1)).toMatchObject({ cwd: dirOf('a/1'), charmDir: dirOf('a/1') });

    // A new controller (a daemon restart) keeps what the units wrote; a changed charm is copied over it.
    await controller.stop();
    await writeFile(path.join(bed.charmDir, 'added-by-upgrade'), 'new\n');
    controller = await bed.open();
    const again = await controller.runAction('a/0', 'write-charm-file', { value: 'second' }, { timeoutMs: 10_000 });
    expect(again.results).toMatchObject({ before: 'from a/0', after: 'second' });
    expect(await readFile(path.join(dirOf('a/0'), 'added-by-upgrade'), 'utf8')).toBe('new\n');

    // Removing a unit removes its charm dir.
    await controller.removeUnit('a/1');
    await waitFor(async () => (await gone(dirOf('a/1'))) && !controller!.status().model.units['a/1'], 20_000);
    expect(await gone(dirOf('a/0'))).toBe(false);
  });
});
