import { describe, expect, it } from 'vitest';
import { restartCandidate, restartDecision, type RestartCandidate } from '../../../src/handlers/reconcile/restart.ts';

const m = (n: number, role: string, state = 'running', pendingRestart = false): RestartCandidate => ({
  name: `postgresql-k8s-${n}`,
  role,
  state,
  pendingRestart,
});

describe('restartDecision', () => {
  it('does nothing when this member has nothing pending, is not running, or is unknown', () => {
    expect(restartDecision('postgresql-k8s-0', [m(0, 'leader'), m(1, 'replica', 'running', true)])).toEqual({ kind: 'none' });
    expect(restartDecision('postgresql-k8s-1', [m(0, 'leader'), m(1, 'replica', 'stopped', true)])).toEqual({ kind: 'none' });
    expect(restartDecision('postgresql-k8s-9', [m(0, 'leader', 'running', true)])).toEqual({ kind: 'none' });
  });

  it('waits while another member is not running', () => {
    for (const state of ['starting', 'stopped', 'restarting', 'creating replica']) {
      expect(restartDecision('postgresql-k8s-1', [m(0, 'leader', state), m(1, 'replica', 'running', true)])).toEqual({
        kind: 'wait',
        reason: 'postgresql-k8s-0 is not running',
      });
    }
  });

  it('restarts replicas in unit-number order, the primary last', () => {
    const cluster = [m(0, 'leader', 'running', true), m(1, 'sync_standby', 'running', true), m(2, 'replica', 'running', true), m(10, 'replica', 'streaming', true)];
    expect(restartDecision('postgresql-k8s-1', cluster)).toEqual({ kind: 'restart' });
    expect(restartDecision('postgresql-k8s-2', cluster)).toEqual({ kind: 'wait', reason: 'postgresql-k8s-1 restarts first' });
    expect(restartDecision('postgresql-k8s-10', cluster)).toEqual({ kind: 'wait', reason: 'postgresql-k8s-1 restarts first' });
    expect(restartDecision('postgresql-k8s-0', cluster)).toEqual({ kind: 'wait', reason: 'the replicas restart first' });
    // Once the replicas are done the primary goes.
    expect(restartDecision('postgresql-k8s-0', [m(0, 'leader', 'running', true), m(1, 'replica'), m(2, 'replica')])).toEqual({ kind: 'restart' });
  });

  it('lets a replica go while only the primary (or a higher-numbered replica) is pending', () => {
    expect(restartDecision('postgresql-k8s-2', [m(0, 'leader', 'running', true), m(2, 'replica', 'running', true), m(3, 'replica', 'running', true)])).toEqual({
      kind: 'restart',
    });
  });

  it('a standby leader counts as the primary of its cluster', () => {
    const cluster = [m(0, 'standby_leader', 'running', true), m(1, 'replica', 'running', true)];
    expect(restartDecision('postgresql-k8s-0', cluster)).toEqual({ kind: 'wait', reason: 'the replicas restart first' });
    expect(restartDecision('postgresql-k8s-1', cluster)).toEqual({ kind: 'restart' });
  });

  // Every 3-member cluster (leader position, states, pending flags): never two restarts at once,
  // and whenever all members run and someone is pending, someone restarts (no deadlock).
  it('lets exactly one member restart at a time over every 3-member cluster', () => {
    const states = ['running', 'starting', 'stopped'];
    let clusters = 0;
    for (let leader = 0; leader < 3; leader++) {
      for (let s = 0; s < 27; s++) {
        for (let p = 0; p < 8; p++) {
          const cluster = [0, 1, 2].map((i) => m(i, i === leader ? 'leader' : 'replica', states[Math.floor(s / 3 ** i) % 3], ((p >> i) & 1) === 1));
          const restarting = cluster.filter((member) => restartDecision(member.name, cluster).kind === 'restart');
          expect(restarting.length).toBeLessThanOrEqual(1);
          const allRunning = cluster.every((member) => member.state === 'running');
          if (allRunning && cluster.some((member) => member.pendingRestart)) expect(restarting).toHaveLength(1);
          clusters++;
        }
      }
    }
    expect(clusters).toBe(648);
  });
});

describe('restartCandidate', () => {
  it('reads pending_restart from a /cluster member', () => {
    const base = { name: 'postgresql-k8s-1', role: 'replica', state: 'running', host: 'h', port: 5432 };
    expect(restartCandidate({ ...base, pending_restart: true }).pendingRestart).toBe(true);
    expect(restartCandidate(base).pendingRestart).toBe(false);
    expect(restartCandidate({ ...base, pending_restart: 'yes' }).pendingRestart).toBe(false);
  });
});
