import { describe, expect, it } from 'vitest';
import { gateStrictMode, synchronousConfiguration } from '../../../src/patroni/index.ts';

describe('synchronousConfiguration', () => {
  it('all → planned − 1, strict when asked and there are peers', () => {
    expect(synchronousConfiguration('all', 3, 3, true)).toEqual({ synchronous_node_count: 2, synchronous_mode_strict: true });
    expect(synchronousConfiguration('all', 5, 3, false)).toEqual({ synchronous_node_count: 4, synchronous_mode_strict: false });
  });

  it('majority → ⌊planned / 2⌋', () => {
    expect(synchronousConfiguration('majority', 5, 5, true).synchronous_node_count).toBe(2);
    expect(synchronousConfiguration('majority', 4, 4, true).synchronous_node_count).toBe(2);
    expect(synchronousConfiguration('majority', 3, 3, true).synchronous_node_count).toBe(1);
  });

  it('an integer is kept while it is below members − 1, else falls back to planned − 1', () => {
    expect(synchronousConfiguration(1, 5, 5, true).synchronous_node_count).toBe(1);
    expect(synchronousConfiguration(3, 5, 5, true).synchronous_node_count).toBe(3);
    expect(synchronousConfiguration(4, 5, 5, true).synchronous_node_count).toBe(4); // 4 == members − 1 → planned − 1
    expect(synchronousConfiguration(4, 7, 5, true).synchronous_node_count).toBe(6);
    expect(synchronousConfiguration(2, 3, 3, true).synchronous_node_count).toBe(2);
  });

  it('is never strict for a single member or a zero count', () => {
    expect(synchronousConfiguration('all', 1, 1, true)).toEqual({ synchronous_node_count: 0, synchronous_mode_strict: false });
    expect(synchronousConfiguration('all', 3, 1, true)).toEqual({ synchronous_node_count: 2, synchronous_mode_strict: false });
    expect(synchronousConfiguration('majority', 1, 2, true)).toEqual({ synchronous_node_count: 0, synchronous_mode_strict: false });
  });

  it('does not go below zero when scaled to zero units', () => {
    expect(synchronousConfiguration('all', 0, 2, true)).toEqual({ synchronous_node_count: 0, synchronous_mode_strict: false });
  });
});

describe('gateStrictMode', () => {
  const strict = { synchronous_node_count: 1, synchronous_mode_strict: true };
  const creating = { role: 'replica', state: 'creating replica' };
  const leader = { role: 'leader', state: 'running' };

  it('waits for Patroni to have a running synchronous standby before turning strict mode on', () => {
    expect(gateStrictMode(strict, false, [leader, creating])).toEqual({ synchronous_node_count: 1, synchronous_mode_strict: false });
    expect(gateStrictMode(strict, false, [leader, { role: 'replica', state: 'starting' }]).synchronous_mode_strict).toBe(false);
    expect(gateStrictMode(strict, false, [leader])).toEqual({ synchronous_node_count: 1, synchronous_mode_strict: false });
    // Running, even streaming, but not yet caught up and chosen: commits would wait for it.
    expect(gateStrictMode(strict, false, [leader, creating, { role: 'replica', state: 'streaming' }]).synchronous_mode_strict).toBe(false);
    expect(gateStrictMode(strict, false, [leader, { role: 'sync_standby', state: 'stopped' }]).synchronous_mode_strict).toBe(false);
    expect(gateStrictMode(strict, false, [leader, { role: 'sync_standby', state: 'running' }])).toEqual(strict);
    expect(gateStrictMode(strict, false, [leader, creating, { role: 'sync_standby', state: 'streaming' }])).toEqual(strict);
  });

  it('never counts a leader as the replica to wait for', () => {
    expect(gateStrictMode(strict, false, [leader, { role: 'standby_leader', state: 'running' }]).synchronous_mode_strict).toBe(false);
  });

  it('keeps strict mode on once it is on, even with no replica running', () => {
    expect(gateStrictMode(strict, true, [leader, creating])).toEqual(strict);
  });

  it('turns it off whenever the wanted configuration says so', () => {
    const relaxed = { synchronous_node_count: 0, synchronous_mode_strict: false };
    expect(gateStrictMode(relaxed, true, [leader, { role: 'sync_standby', state: 'streaming' }])).toEqual(relaxed);
  });
});
