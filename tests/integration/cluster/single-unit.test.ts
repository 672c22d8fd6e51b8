import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP, isClean, SandboxFixture } from '../../support/sandbox-fixture.ts';

// One sandbox unit of the real charm, shared by checks that need no more (a deployment costs a
// minute of the suite):
// - the actions actions.yaml declares but this version does not build fail with their message,
//   and a parameter an action does not declare is refused by name before the action is queued, as
//   Juju does when the schema forbids additional ones;
// - issue 12, item 1: the charm creates its system users and set-password changes one; then, as in
//   the report, operator creates pg_stat_statements in a fresh database and monitoring reads the
//   view. No password, and no verifier, may be in it.

const MIN = 60_000;
const UNIT = `${APP}/0`;
const UNAVAILABLE = ['create-replication', 'pre-upgrade-check', 'resume-upgrade'];
const USERS = ['backup', 'operator', 'replication', 'rewind', 'monitoring'] as const;
const NEW_MONITORING_PASSWORD = "Mon-Rotated p w'x 7731";
let sbx: SandboxFixture;

beforeAll(async () => {
  sbx = await SandboxFixture.create('single-unit');
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

describe('passwords and pg_stat_statements on the real charm', () => {
  it('monitoring reads no password and no verifier from pg_stat_statements after user creation and set-password', async () => {
    await sbx.runOk(UNIT, 'set-password', { username: 'backup', password: 'Backup-Rotated-0099' });
    await sbx.runOk(UNIT, 'set-password', { username: 'monitoring', password: NEW_MONITORING_PASSWORD });
    const passwords: string[] = [];
    for (const user of USERS) {
      const shown = await sbx.runOk(UNIT, 'get-password', { username: user });
      passwords.push(String(shown['password']));
    }
    expect(passwords).toContain(NEW_MONITORING_PASSWORD);

    await sbx.sql(UNIT, 'CREATE DATABASE leak_check');
    await sbx.sql(UNIT, 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements', { database: 'leak_check' });
    const verifiers = (await sbx.sql<{ rolpassword: string }>(UNIT, 'SELECT rolpassword FROM pg_authid WHERE rolpassword IS NOT NULL')).map((r) => r.rolpassword);
    expect(verifiers.length).toBeGreaterThanOrEqual(USERS.length);

    const seen = await sbx.sql<{ query: string }>(UNIT, 'SELECT query FROM pg_stat_statements', {
      user: 'monitoring',
      password: NEW_MONITORING_PASSWORD,
      database: 'leak_check',
    });
    expect(seen.length).toBeGreaterThan(0);
    const texts = seen.map((row) => row.query).join('\n');
    expect(texts).not.toMatch(/\bPASSWORD\s+'/i);
    for (const secret of [...passwords, ...verifiers]) expect(texts).not.toContain(secret);
  });
});
