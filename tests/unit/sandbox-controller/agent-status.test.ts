import { describe, expect, it } from 'vitest';
import { afterHookStatus, beforeHookStatus } from '../../../sandbox/controller/agent-status.ts';
import { addApplication, addUnit, createModel, status } from '../../../sandbox/juju/model.ts';
import { charmMetaFromYaml } from '../../../sandbox/juju/charm-meta.ts';

function newUnit() {
  const model = createModel({ name: 'm' });
  addApplication(model, { name: 'a', charm: charmMetaFromYaml({ metadata: 'name: a\n' }) });
  return addUnit(model, 'a');
}

describe('agent-set workload statuses (runhook.go beforeHook/afterHook)', () => {
  it('installing charm software before install, unknown after a start that set nothing', () => {
    const unit = newUnit();
    expect(unit.workloadStatus).toMatchObject({ status: 'waiting', message: 'installing agent' });
    expect(beforeHookStatus(unit, 'install')).toBe(true);
    expect(unit.workloadStatus).toMatchObject({ status: 'maintenance', message: 'installing charm software' });
    expect(afterHookStatus(unit, 'start', false)).toBe(true);
    expect(unit.workloadStatus).toMatchObject({ status: 'unknown', message: '' });
  });

  it('leaves what the charm set: before install, and after start', () => {
    const unit = newUnit();
    unit.workloadStatus = status('maintenance', 'preparing storage');
    expect(beforeHookStatus(unit, 'install')).toBe(false);
    expect(afterHookStatus(unit, 'start', false)).toBe(false);
    unit.workloadStatus = status('maintenance', 'installing charm software');
    expect(afterHookStatus(unit, 'start', true)).toBe(false);
    expect(unit.workloadStatus.status).toBe('maintenance');
  });

  it('stopping charm software / cleaning up prior to charm deletion around teardown', () => {
    const unit = newUnit();
    unit.workloadStatus = status('active', 'fine');
    beforeHookStatus(unit, 'stop');
    expect(unit.workloadStatus).toMatchObject({ status: 'maintenance', message: 'stopping charm software' });
    afterHookStatus(unit, 'stop', false);
    expect(unit.workloadStatus).toMatchObject({ status: 'maintenance', message: '' });
    beforeHookStatus(unit, 'remove');
    expect(unit.workloadStatus).toMatchObject({ status: 'maintenance', message: 'cleaning up prior to charm deletion' });
    afterHookStatus(unit, 'remove', false);
    expect(unit.workloadStatus).toMatchObject({ status: 'terminated' });
    expect(beforeHookStatus(unit, 'config-changed')).toBe(false);
  });
});
