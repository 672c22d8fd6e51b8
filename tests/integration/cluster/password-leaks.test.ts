import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP, isClean, SandboxFixture } from '../../support/sandbox-fixture.ts';

// Issue 12, item 1, on one sandbox unit of the real charm: the charm creates its system users and
// set-password changes one; then, as in the report, operator creates pg_stat_statements in a fresh
// database and monitoring reads the view. No password, and no verifier, may be in it.

const MIN = 60_000;
const UNIT = `${APP}/0`;
const USERS = ['backup', 'operator', 'replication', 'rewind', 'monitoring'] as const;
const NEW_MONITORING_PASSWORD = "Mon-Rotated p w'x 7731";
let sbx: SandboxFixture;

beforeAll(async () => {
  sbx = await SandboxFixture.create('password-leaks');
  await sbx.deploy(1);
}, 12 * MIN);

afterAll(async () => {
  const leftovers = await sbx?.teardown();
  expect(leftovers === null || isClean(leftovers), JSON.stringify(leftovers)).toBe(true);
}, 5 * MIN);

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
