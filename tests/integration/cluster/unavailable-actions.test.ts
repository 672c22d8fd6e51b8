import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP, isClean, SandboxFixture } from '../../support/sandbox-fixture.ts';

// One unit of the real charm in the sandbox: the actions actions.yaml declares but this version
// does not build fail with their message, and a parameter an action does not declare is refused
// by name before the action is queued, as Juju does when the schema forbids additional ones.

const MIN = 60_000;
const UNIT = `${APP}/0`;
const UNAVAILABLE = ['create-backup', 'create-replication', 'list-backups', 'pre-upgrade-check', 'restore', 'resume-upgrade', 'set-tls-private-key'];
let sbx: SandboxFixture;

beforeAll(async () => {
  sbx = await SandboxFixture.create('unavailable-actions');
  await sbx.deploy(1);
}, 12 * MIN);

afterAll(async () => {
  const leftovers = await sbx?.teardown();
  expect(leftovers === null || isClean(leftovers), JSON.stringify(leftovers)).toBe(true);
}, 5 * MIN);

describe('actions on the real charm', () => {
  it.each(UNAVAILABLE)('%s fails, saying it is not available in this version', async (action) => {
    const outcome = await sbx.run(UNIT, action);
    expect(outcome).toMatchObject({ status: 'failed', message: `${action} is not available in this version of the charm` });
  });

  it('refuses an undeclared parameter by name, and runs the action with its declared ones', async () => {
    const refused = await sbx.cli(['run', UNIT, 'get-password', 'user-name=operator', '--format', 'json']);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stdout + refused.stderr).toContain('additional property "user-name" is not allowed');
    const shown = await sbx.runOk(UNIT, 'get-password', { username: 'operator' });
    expect(typeof shown['password']).toBe('string');
  });
});
