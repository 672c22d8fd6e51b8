/**
 * No password, and no SCRAM verifier, in pg_stat_statements (its view and its query-text file) or
 * in the server log, when lib/postgresql creates and alters users on a real PostgreSQL 15 that
 * preloads pg_stat_statements and pgaudit (as the charm does) and logs every statement with its
 * duration. The users still log in with their passwords, over an `md5` pg_hba rule as the charm
 * writes them (PostgreSQL then runs SCRAM for a user whose stored password is a SCRAM verifier).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgreSQL, scramSha256Verifier } from '../../../lib/postgresql/index.ts';
import { asSuperuser, startPostgres, tryLogin, type PostgresInstance } from '../../support/postgres-instance.ts';

const OPERATOR_PASSWORD = 'Operator-Secret-0001';
const NEW_OPERATOR_PASSWORD = 'Operator-Rotated-0002';
/** Each user's passwords in order: created with the first, then changed to the second. */
const PASSWORDS = {
  backup: ['Backup-Secret-1111', 'Backup-Rotated-1112'],
  monitoring: ["Mon p w'x\\y:z-2221", 'Monitoring-Rotated-2222'],
  replication: ['Replication-Secret-3331', 'Replication-Rotated-3332'],
  relation_id_7: ['Relation-Secret-4441', 'Relation-Rotated-4442'],
} satisfies Record<string, [string, string]>;
type PasswordUser = keyof typeof PASSWORDS;
const MD5_USER_PASSWORDS = ['Md5-Secret-5551', 'Md5-Rotated-5552'] as const;
const ALL_PASSWORDS = [OPERATOR_PASSWORD, NEW_OPERATOR_PASSWORD, ...Object.values(PASSWORDS).flat(), ...MD5_USER_PASSWORDS];

let instance: PostgresInstance;
let postgresql: PostgreSQL;

async function rows<T>(text: string, user?: { name: string; password: string }): Promise<T[]> {
  if (user === undefined) return asSuperuser(instance, async (client) => (await client.query(text)).rows as T[]);
  const client = new pg.Client({ host: instance.host, port: instance.port, user: user.name, password: user.password, database: 'postgres' });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Every stored verifier, to check none of them was sent in a statement either. */
async function storedVerifiers(): Promise<string[]> {
  const found = await rows<{ rolpassword: string }>('SELECT rolpassword FROM pg_authid WHERE rolpassword IS NOT NULL');
  return found.map((row) => row.rolpassword);
}

beforeAll(async () => {
  instance = await startPostgres({
    settings: {
      // As the charm runs it: pgaudit logs role statements (lib/postgresql/extensions.ts's pgaudit.log).
      shared_preload_libraries: 'pgaudit,pg_stat_statements',
      'pgaudit.log': 'ROLE,DDL,MISC,MISC_SET',
      'pgaudit.log_client': 'off',
      'pgaudit.log_parameter': 'off',
      'pg_stat_statements.track_utility': 'on',
      log_statement: 'all',
      log_min_duration_statement: '0',
      log_min_error_statement: 'debug5',
    },
  });
  // The charm's pg_hba method for every password login is md5.
  const hba = join(instance.dataDir, 'pg_hba.conf');
  await writeFile(hba, `local all all trust\nhost all all 127.0.0.1/32 md5\n${await readFile(hba, 'utf8')}`);
  await asSuperuser(instance, async (client) => {
    await client.query('SELECT pg_reload_conf()');
    // Set-up is not under test: operator's verifier goes in, then the statistics start empty.
    await client.query(`CREATE ROLE operator WITH LOGIN SUPERUSER PASSWORD '${scramSha256Verifier(OPERATOR_PASSWORD)}'`);
    await client.query('CREATE EXTENSION pgaudit');
    await client.query('CREATE EXTENSION pg_stat_statements');
    await client.query('SELECT pg_stat_statements_reset()');
  });
  postgresql = new PostgreSQL({
    primaryHost: instance.host,
    currentHost: instance.host,
    port: instance.port,
    user: 'operator',
    password: OPERATOR_PASSWORD,
    database: 'postgres',
    systemUsers: ['backup', 'operator', 'replication', 'monitoring'],
  });
});

afterAll(async () => {
  await instance?.stop();
});

describe('passwords in statements, through lib/postgresql as operator', () => {
  it('creates and alters users with SCRAM verifiers the users log in with', async () => {
    await postgresql.createUser('backup', { password: PASSWORDS.backup[0], admin: true });
    await postgresql.createUser('monitoring', { password: PASSWORDS.monitoring[0], extraUserRoles: ['pg_monitor'] });
    await postgresql.createUser('replication', { password: PASSWORDS.replication[0] });
    await postgresql.createUser('relation_id_7', { password: PASSWORDS.relation_id_7[0], extraUserRoles: ['createdb'] });
    for (const [user, [first]] of Object.entries(PASSWORDS)) expect(await tryLogin(instance, user, first), user).toBeNull();

    // The ALTER paths: createUser on an existing user, and updateUserPassword (set-password).
    await postgresql.createUser('relation_id_7', { password: PASSWORDS.relation_id_7[1], extraUserRoles: ['createdb'] });
    for (const user of ['backup', 'monitoring', 'replication'] as const satisfies readonly PasswordUser[]) await postgresql.updateUserPassword(user, PASSWORDS[user][1]);
    await postgresql.updateUserPassword('operator', NEW_OPERATOR_PASSWORD);
    for (const [user, [first, second]] of Object.entries(PASSWORDS)) {
      expect(await tryLogin(instance, user, second), user).toBeNull();
      expect(await tryLogin(instance, user, first), user).toBe('28P01');
    }
    expect(await tryLogin(instance, 'operator', NEW_OPERATOR_PASSWORD)).toBeNull();

    const stored = await rows<{ rolname: string; rolpassword: string }>('SELECT rolname, rolpassword FROM pg_authid WHERE rolpassword IS NOT NULL');
    for (const row of stored) expect(row.rolpassword, row.rolname).toMatch(/^SCRAM-SHA-256\$4096:/);
  });

  it("sends an md5 verifier when the server's password_encryption is md5 (instance_password_encryption)", async () => {
    const rotated = new PostgreSQL({ ...postgresql.connector.settings, password: NEW_OPERATOR_PASSWORD });
    await asSuperuser(instance, (client) => client.query("ALTER ROLE operator SET password_encryption = 'md5'"));
    try {
      await rotated.createUser('md5_user', { password: MD5_USER_PASSWORDS[0] });
      await rotated.updateUserPassword('md5_user', MD5_USER_PASSWORDS[1]);
    } finally {
      await asSuperuser(instance, (client) => client.query('ALTER ROLE operator RESET password_encryption'));
    }
    const [stored] = await rows<{ rolpassword: string }>("SELECT rolpassword FROM pg_authid WHERE rolname = 'md5_user'");
    expect(stored?.rolpassword).toMatch(/^md5[0-9a-f]{32}$/);
    expect(await tryLogin(instance, 'md5_user', MD5_USER_PASSWORDS[1])).toBeNull();
    expect(await tryLogin(instance, 'md5_user', MD5_USER_PASSWORDS[0])).toBe('28P01');
  });

  it('records utility statements at all (so the checks below can fail), and tracks them again after the transaction', async () => {
    await asSuperuser(instance, (client) => client.query('CREATE ROLE tracked_marker_role NOLOGIN'));
    const tracked = await rows<{ query: string }>("SELECT query FROM pg_stat_statements WHERE query LIKE '%tracked_marker_role%'");
    expect(tracked.length).toBe(1);
    const log = await readFile(instance.logFile, 'utf8');
    expect(log).toContain('CREATE ROLE tracked_marker_role NOLOGIN');
    expect(log).toMatch(/AUDIT: SESSION,\d+,\d+,ROLE,CREATE ROLE,,,CREATE ROLE tracked_marker_role NOLOGIN/);
  });

  it('leaves no password and no verifier in pg_stat_statements, as monitoring reads it', async () => {
    const verifiers = await storedVerifiers();
    expect(verifiers.length).toBe(Object.keys(PASSWORDS).length + 3); // and md5_user's, operator's, and initdb's postgres
    const seen = await rows<{ query: string }>('SELECT query FROM pg_stat_statements', { name: 'monitoring', password: PASSWORDS.monitoring[1] });
    expect(seen.length).toBeGreaterThan(0);
    const texts = seen.map((row) => row.query).join('\n');
    expect(texts).not.toMatch(/SCRAM-SHA-256\$|md5[0-9a-f]{32}/);
    expect(texts).not.toMatch(/\bPASSWORD\b/i);
    for (const secret of [...ALL_PASSWORDS, ...verifiers]) expect(texts).not.toContain(secret);
  });

  it("leaves none in pg_stat_statements' query-text file", async () => {
    const file = await readFile(join(instance.dataDir, 'pg_stat_tmp', 'pgss_query_texts.stat'), 'latin1');
    expect(file).toContain('tracked_marker_role');
    expect(file).not.toMatch(/SCRAM-SHA-256\$|md5[0-9a-f]{32}/);
    for (const secret of [...ALL_PASSWORDS, ...(await storedVerifiers())]) expect(file).not.toContain(secret);
  });

  it('leaves none in the server log, with every statement and its duration logged', async () => {
    const log = await readFile(instance.logFile, 'utf8');
    expect(log).toMatch(/duration: [\d.]+ ms/);
    const logged = log.split('\n').filter((line) => !line.includes('CREATE ROLE operator WITH LOGIN SUPERUSER PASSWORD'));
    const text = logged.join('\n');
    expect(text).not.toMatch(/SCRAM-SHA-256\$|md5[0-9a-f]{32}/);
    for (const secret of [...ALL_PASSWORDS, ...(await storedVerifiers())]) expect(text).not.toContain(secret);
  });
});
