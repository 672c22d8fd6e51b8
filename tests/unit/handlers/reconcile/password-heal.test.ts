/**
 * Step `password-heal`: once per set-password (the peer app bag's `password-rotation`), a member
 * whose Patroni cannot query its PostgreSQL (state `unknown`: it started with the old superuser
 * password) is restarted with the new patroni.yml, once, and the status says so meanwhile.
 */
import { describe, expect, it } from 'vitest';
import { healDecision, ROTATION_CHECKED_KEY } from '../../../../src/handlers/reconcile/password-heal.ts';
import { member, runHooks, runScenario } from '../../scenario/charm-scenario.ts';
import { operations, shared, steadyLeader } from './support.ts';

const leader = shared(() => steadyLeader());
const HEALING = { status: 'maintenance', message: 'Restarting Patroni: it could not log in to PostgreSQL after a password change' };

describe('healDecision', () => {
  const base = { rotation: 3, checked: undefined, serviceActive: true, memberState: 'running' } as const;
  it('does nothing without a rotation, or for one already checked', () => {
    expect(healDecision({ ...base, rotation: undefined, memberState: 'unknown' })).toBe('nothing');
    expect(healDecision({ ...base, checked: '3', memberState: 'unknown' })).toBe('nothing');
  });
  it('restarts a member Patroni reports as unknown, for a new rotation', () => {
    expect(healDecision({ ...base, memberState: 'unknown' })).toBe('restart');
    expect(healDecision({ ...base, checked: '2', memberState: 'unknown' })).toBe('restart');
  });
  it('records a running or streaming member as healthy', () => {
    expect(healDecision(base)).toBe('healthy');
    expect(healDecision({ ...base, memberState: 'streaming' })).toBe('healthy');
  });
  it('decides nothing yet while the service is down, Patroni is silent or starting', () => {
    expect(healDecision({ ...base, serviceActive: false, memberState: 'unknown' })).toBe('undecided');
    expect(healDecision({ ...base, memberState: undefined })).toBe('undecided');
    expect(healDecision({ ...base, memberState: 'starting' })).toBe('undecided');
  });
});

describe('password-heal step', () => {
  it('restarts a Patroni that cannot log in after a rotation once, saying so, and not again for the same rotation', async () => {
    const state = await leader();
    const broken = { ...state, peerApp: { ...state.peerApp, 'password-rotation': '3' }, cluster: [member(0, 'leader', { state: 'unknown' })] };
    const [healing, still] = await runHooks([{ hook: 'pebble-check-failed' }, { hook: 'update-status' }], broken);

    expect(operations(healing!, 'restart')).toEqual([{ op: 'restart', services: ['postgresql'] }]);
    expect(healing!.charmState[ROTATION_CHECKED_KEY]).toBe('3');
    expect(healing!.status).toEqual(HEALING);
    // Still broken on the next hook: no restart loop, and never "active".
    expect(operations(still!, 'restart')).toEqual([]);
    expect(still!.status.status).not.toBe('active');
  });

  it('goes on to active once the restarted member runs', async () => {
    const state = await leader();
    const broken = { ...state, peerApp: { ...state.peerApp, 'password-rotation': '3' }, cluster: [member(0, 'leader', { state: 'unknown' })] };
    const [, back] = await runHooks([{ hook: 'pebble-check-failed' }, { hook: 'pebble-check-recovered' }], broken, (next) => ({ ...next, cluster: [member(0, 'leader')] }));
    expect(operations(back!, 'restart')).toEqual([]);
    expect(back!.status).toEqual({ status: 'active', message: 'Primary' });
  });

  it('records a healthy member for the rotation without restarting it', async () => {
    const state = await leader();
    const result = await runScenario({ hook: 'update-status' }, { ...state, peerApp: { ...state.peerApp, 'password-rotation': '4' } });
    expect(operations(result, 'restart')).toEqual([]);
    expect(result.charmState[ROTATION_CHECKED_KEY]).toBe('4');
    expect(result.status).toEqual({ status: 'active', message: 'Primary' });
  });

  it('leaves an unknown member alone when no password was rotated', async () => {
    const state = await leader();
    const result = await runScenario({ hook: 'update-status' }, { ...state, cluster: [member(0, 'leader', { state: 'unknown' })] });
    expect(operations(result, 'restart')).toEqual([]);
    expect(result.charmState[ROTATION_CHECKED_KEY]).toBeUndefined();
  });
});
