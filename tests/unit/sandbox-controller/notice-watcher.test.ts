import { afterEach, describe, expect, it } from 'vitest';
import { NoticeWatcher } from '../../../sandbox/controller/notice-watcher.ts';
import type { WorkloadNotice, WorkloadNotices } from '../../../sandbox/controller/runtime.ts';
import { createLogger } from '../../../src/logging.ts';

/** A Pebble's custom notices in memory: unique per key, a repeat bumps last-repeated. */
class FakePebble implements WorkloadNotices {
  private clock = 0;
  private readonly notices = new Map<string, WorkloadNotice>();
  up = true;
  queries = 0;

  notify(key: string): void {
    this.clock += 1;
    const lastRepeated = `2026-01-01T00:00:00.${String(this.clock).padStart(9, '0')}Z`;
    const known = this.notices.get(key);
    this.notices.set(key, { id: known?.id ?? String(this.notices.size + 1), type: 'custom', key, lastRepeated, hook: 'custom-notice' });
  }

  async wait(_unit: string, _container: string, options: { after?: string; waitMs: number; signal: AbortSignal }): Promise<WorkloadNotice[]> {
    this.queries += 1;
    if (!this.up) throw new Error('connect ENOENT pebble.socket');
    const found = [...this.notices.values()].filter((n) => options.after === undefined || n.lastRepeated > options.after).sort((a, b) => a.lastRepeated.localeCompare(b.lastRepeated));
    if (found.length > 0) return found;
    await new Promise((resolve) => setTimeout(resolve, Math.min(options.waitMs, 20)));
    return [];
  }
}

interface Hooked {
  key: string;
  id: string;
}

function watch(pebble: FakePebble, after: Record<string, string> = {}) {
  const queued: Hooked[] = [];
  let running: Hooked | null = null;
  const watcher = new NoticeWatcher({
    notices: pebble,
    watched: () => [{ unit: 'a/0', container: 'workload' }],
    after: (_unit, container) => after[container],
    onNotice: (_unit, container, notice) => {
      after[container] = notice.lastRepeated;
      queued.push({ key: notice.key, id: notice.id });
      running = queued.at(-1)!;
    },
    pending: () => running !== null,
    intervalMs: 10,
    waitMs: 50,
    retryMs: 10,
    pollMs: 5,
    logger: createLogger({ level: 'silent' }),
  });
  watcher.start();
  return {
    watcher,
    queued,
    after,
    /** The queued hook ran. */
    ran(): void {
      running = null;
    },
    get pendingHook(): Hooked | null {
      return running;
    },
  };
}

const settle = (ms = 120) => new Promise((resolve) => setTimeout(resolve, ms));
const until = async (check: () => boolean): Promise<void> => {
  const deadline = Date.now() + 3_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await settle(5);
  }
};

let stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(stops.map((stop) => stop()));
  stops = [];
});

describe('the Pebble notice watcher', () => {
  it('hands on one notice at a time; a repeat while its hook is pending fires once more afterwards, as Juju\'s pebbleNoticer', async () => {
    const pebble = new FakePebble();
    pebble.notify('example.com/db/user-created');
    const w = watch(pebble);
    stops.push(() => w.watcher.stop());
    await until(() => w.queued.length === 1);
    expect(w.queued[0]).toEqual({ key: 'example.com/db/user-created', id: '1' });

    // Two more occurrences and another key while the first hook has not run: nothing yet.
    pebble.notify('example.com/db/user-created');
    pebble.notify('example.com/db/user-created');
    pebble.notify('example.com/other/thing');
    await settle();
    expect(w.queued).toHaveLength(1);

    w.ran();
    await until(() => w.queued.length === 2);
    expect(w.queued[1]).toEqual({ key: 'example.com/db/user-created', id: '1' });
    w.ran();
    await until(() => w.queued.length === 3);
    expect(w.queued[2]).toEqual({ key: 'example.com/other/thing', id: '2' });
    w.ran();
    await settle();
    expect(w.queued).toHaveLength(3);
  });

  it('waits out a Pebble that does not answer and fires nothing twice when it is back', async () => {
    const pebble = new FakePebble();
    pebble.notify('example.com/a/b');
    const w = watch(pebble);
    stops.push(() => w.watcher.stop());
    await until(() => w.queued.length === 1);
    w.ran();
    pebble.up = false;
    const before = pebble.queries;
    await settle();
    expect(pebble.queries).toBeGreaterThan(before + 1); // retried
    pebble.up = true;
    await settle();
    expect(w.queued).toHaveLength(1);
    pebble.notify('example.com/a/b');
    await until(() => w.queued.length === 2);
  });

  it('resumes after a restart from the saved last-repeated time: a notice fires once, its repeat once more', async () => {
    const pebble = new FakePebble();
    pebble.notify('example.com/a/b');
    const first = watch(pebble);
    await until(() => first.queued.length === 1);
    first.ran();
    await first.watcher.stop();
    const second = watch(pebble, { ...first.after });
    stops.push(() => second.watcher.stop());
    await settle();
    expect(second.queued).toEqual([]);
    pebble.notify('example.com/a/b');
    await until(() => second.queued.length === 1);
    expect(second.queued[0]).toEqual({ key: 'example.com/a/b', id: '1' });
  });

  it('asks Pebble nothing while a notice hook of the container is pending (one restored from the queue)', async () => {
    const pebble = new FakePebble();
    pebble.notify('example.com/a/b');
    let pending = true;
    const watcher = new NoticeWatcher({
      notices: pebble,
      watched: () => [{ unit: 'a/0', container: 'workload' }],
      after: () => undefined,
      onNotice: () => {
        pending = true;
      },
      pending: () => pending,
      intervalMs: 10,
      pollMs: 5,
      logger: createLogger({ level: 'silent' }),
    });
    watcher.start();
    stops.push(() => watcher.stop());
    await settle();
    expect(pebble.queries).toBe(0);
    pending = false;
    await until(() => pebble.queries === 1 && pending);
  });
});
