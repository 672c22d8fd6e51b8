import { describe, expect, it } from 'vitest';
import { blocked, DONE, maintenance, waiting, type StepOutcome } from '../../../src/handlers/reconcile/outcome.ts';
import { activeMessage, applicationStatus, unitStatus, type ActiveView } from '../../../src/handlers/reconcile/status.ts';

const FALLBACK = 'awaiting for member to start';

describe('activeMessage (reference _set_active_status)', () => {
  const cases: Array<[ActiveView['role'], number, number, string]> = [
    ['primary', 3, 3, 'Primary'],
    ['primary', 4, 3, 'Primary'],
    ['primary', 2, 3, 'Primary (degraded)'],
    ['primary', 0, 1, 'Primary (degraded)'],
    ['standby-leader', 3, 3, 'Standby'],
    ['standby-leader', 1, 3, 'Standby (degraded)'],
    ['replica', 3, 3, ''],
    ['replica', 1, 3, ''],
  ];
  it.each(cases)('%s with %i of %i running → %j', (role, runningMembers, plannedUnits, message) => {
    expect(activeMessage({ role, runningMembers, plannedUnits })).toBe(message);
  });
});

describe('unitStatus', () => {
  const view: ActiveView = { role: 'primary', runningMembers: 2, plannedUnits: 2 };
  const kinds = { done: DONE, waiting: waiting('w'), maintenance: maintenance('m'), blocked: blocked('b') };
  const names = Object.keys(kinds) as Array<keyof typeof kinds>;

  // Every pair of outcomes in either order: the most urgent kind wins, whatever the order.
  const rank = { blocked: 3, maintenance: 2, waiting: 1, done: 0 } as const;
  for (const first of names) {
    for (const second of names) {
      it(`${first} then ${second}`, () => {
        const status = unitStatus([kinds[first], kinds[second]], view, FALLBACK);
        const winner = rank[first] >= rank[second] ? first : second;
        if (winner === 'done') expect(status).toEqual({ status: 'active', message: 'Primary' });
        else expect(status).toEqual({ status: winner, message: winner[0] });
      });
    }
  }

  it('shows the earliest step of the most urgent kind', () => {
    const outcomes: StepOutcome[] = [waiting('first wait'), blocked('first block'), blocked('second block'), maintenance('m')];
    expect(unitStatus(outcomes, view, FALLBACK)).toEqual({ status: 'blocked', message: 'first block' });
  });

  it('is Waiting with the fallback when every step is done but the member is not in the cluster', () => {
    expect(unitStatus([DONE, DONE], undefined, FALLBACK)).toEqual({ status: 'waiting', message: FALLBACK });
  });

  it('is Active for a replica with an empty message', () => {
    expect(unitStatus([DONE], { role: 'replica', runningMembers: 1, plannedUnits: 3 }, FALLBACK)).toEqual({ status: 'active', message: '' });
  });
});

describe('applicationStatus', () => {
  it('mirrors a leader that is not active', () => {
    for (const status of ['blocked', 'waiting', 'maintenance'] as const) {
      expect(applicationStatus({ status, message: 'why' }, undefined)).toEqual({ status, message: 'why' });
    }
  });

  it('is Active, saying when members are missing', () => {
    const active = { status: 'active' as const, message: 'Primary' };
    expect(applicationStatus(active, { role: 'primary', runningMembers: 3, plannedUnits: 3 })).toEqual({ status: 'active', message: '' });
    expect(applicationStatus(active, { role: 'replica', runningMembers: 2, plannedUnits: 3 })).toEqual({
      status: 'active',
      message: 'degraded: 2 of 3 members running',
    });
    expect(applicationStatus(active, undefined)).toEqual({ status: 'active', message: '' });
  });
});
