import { describe, expect, it } from 'vitest';
import { schemaGrantStatements, ownershipStatements } from '../../../lib/postgresql/databases.ts';
import {
  PostgreSQLCreateUserError,
  PostgreSQLInvalidExtraUserRolesError,
} from '../../../lib/postgresql/errors.ts';
import {
  classifyExtraUserRoles,
  parseExtraUserRoles,
  md5Verifier,
  isStoredPasswordForm,
  passwordChangeStatement,
  roleDefinitionStatement,
  verifierForEncryption,
} from '../../../lib/postgresql/roles.ts';

/** Stands in for the SCRAM verifier so statements can be compared as text. */
const fakeVerifier = (password: string) => `verifier-of-${password}`;

function recordingLogger() {
  const warnings: string[] = [];
  return { warnings, logger: { warn: (m: string) => warnings.push(m), debug: () => undefined } };
}

describe('parseExtraUserRoles', () => {
  it('splits, trims and lower-cases the relation field', () => {
    expect(parseExtraUserRoles(' SUPERUSER, pg_monitor ,,admin')).toEqual(['superuser', 'pg_monitor', 'admin']);
    expect(parseExtraUserRoles(undefined)).toEqual([]);
    expect(parseExtraUserRoles('')).toEqual([]);
  });
});

describe('classifyExtraUserRoles', () => {
  const existing = new Set(['pg_monitor', 'pg_read_all_data', 'admin', 'charmed_app']);

  it('separates existing roles, attributes and the admin request', () => {
    expect(classifyExtraUserRoles(['admin', 'pg_monitor', 'createdb', 'pg_monitor'], existing)).toEqual({
      adminRole: true,
      roles: ['pg_monitor'],
      privileges: ['createdb'],
    });
  });

  it('rejects names that are neither roles nor allowed attributes', () => {
    let error: unknown;
    try {
      classifyExtraUserRoles(['pg_monitor', 'bogus'], existing);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PostgreSQLInvalidExtraUserRolesError);
    expect(error).toBeInstanceOf(PostgreSQLCreateUserError);
    expect((error as PostgreSQLInvalidExtraUserRolesError).code).toBe('postgresql-invalid-extra-user-roles');
    expect((error as Error).message).toBe('invalid role(s) for extra user roles');
  });

  it('drops a missing relation_access with a warning instead of failing', () => {
    const { warnings, logger } = recordingLogger();
    expect(classifyExtraUserRoles(['relation_access', 'superuser'], existing, logger)).toEqual({
      adminRole: false,
      roles: [],
      privileges: ['superuser'],
    });
    expect(warnings).toHaveLength(1);
  });

  it('grants relation_access like any role once it exists', () => {
    expect(classifyExtraUserRoles(['relation_access'], new Set(['relation_access'])).roles).toEqual([
      'relation_access',
    ]);
  });
});

describe('roleDefinitionStatement', () => {
  it('creates a login role with the escaped verifier of its password, never the password', () => {
    expect(roleDefinitionStatement({ exists: false, user: 'app', password: "it's" }, fakeVerifier)).toBe(
      `CREATE ROLE "app" WITH LOGIN PASSWORD 'verifier-of-it''s'`,
    );
  });

  it('computes a SCRAM-SHA-256 verifier by default, so the statement holds no password', () => {
    const password = "p w'x\\y:z";
    const statement = roleDefinitionStatement({ exists: false, user: 'app', password });
    expect(statement).toMatch(/^CREATE ROLE "app" WITH LOGIN PASSWORD 'SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+'$/);
    expect(statement).not.toContain(password);
    expect(statement).not.toContain('p w');
  });

  it('quotes hostile user names as one identifier', () => {
    expect(roleDefinitionStatement({ exists: true, user: 'a"; DROP ROLE x; --', password: 'p' }, fakeVerifier)).toBe(
      `ALTER ROLE "a""; DROP ROLE x; --" WITH LOGIN PASSWORD 'verifier-of-p'`,
    );
  });

  it('makes only admin NOLOGIN, and leaves the password out when none is given', () => {
    expect(roleDefinitionStatement({ exists: false, user: 'admin' })).toBe('CREATE ROLE "admin" WITH NOLOGIN');
  });

  it('adds SUPERUSER and attributes once each, upper-cased', () => {
    expect(
      roleDefinitionStatement({
        exists: false,
        user: 'u',
        password: 'p',
        superuser: true,
        attributes: ['createdb', 'superuser', 'CREATEDB'],
      }, fakeVerifier),
    ).toBe(`CREATE ROLE "u" WITH LOGIN CREATEDB SUPERUSER PASSWORD 'verifier-of-p'`);
  });

  it('turns off the allowed attributes not asked for when updating a client to its new request', () => {
    expect(roleDefinitionStatement({ exists: true, user: 'relation_id_7', attributes: ['createdb'], resetOtherAttributes: true })).toBe(
      'ALTER ROLE "relation_id_7" WITH LOGIN CREATEDB NOCREATEROLE NOSUPERUSER',
    );
    // Only for an existing role: a new one has none to turn off.
    expect(roleDefinitionStatement({ exists: false, user: 'relation_id_7', attributes: ['createdb'], resetOtherAttributes: true })).toBe(
      'CREATE ROLE "relation_id_7" WITH LOGIN CREATEDB',
    );
  });

  it('refuses attributes outside the allowed set (they are spliced as keywords)', () => {
    expect(() =>
      roleDefinitionStatement({ exists: false, user: 'u', attributes: ['replication'] }),
    ).toThrow(PostgreSQLCreateUserError);
  });
});

describe('verifiers by password_encryption', () => {
  it("hashes md5 as PostgreSQL stores it, and SCRAM-SHA-256 for anything else (the server's default)", () => {
    // printf %s secretalice | md5sum
    expect(md5Verifier('alice', 'secret')).toBe('md54a0a68b43b6cd5cf266fa02f196e2371');
    expect(verifierForEncryption('md5', 'alice')('secret')).toBe('md54a0a68b43b6cd5cf266fa02f196e2371');
    expect(verifierForEncryption('scram-sha-256', 'alice')('secret')).toMatch(/^SCRAM-SHA-256\$4096:/);
    expect(verifierForEncryption(undefined, 'alice')('secret')).toMatch(/^SCRAM-SHA-256\$4096:/);
  });
});

describe('a password given in a stored form', () => {
  it('is kept as it is, as PostgreSQL keeps it (pgbouncer-k8s gives its auth user an md5 hash)', () => {
    const md5 = md5Verifier('pgbouncer_auth_relation_id_3', 'secret');
    const scram = verifierForEncryption(undefined, 'u')('secret');
    expect(isStoredPasswordForm(md5)).toBe(true);
    expect(isStoredPasswordForm(scram)).toBe(true);
    expect(roleDefinitionStatement({ exists: false, user: 'pgbouncer_auth_relation_id_3', password: md5, superuser: true })).toBe(
      `CREATE ROLE "pgbouncer_auth_relation_id_3" WITH LOGIN SUPERUSER PASSWORD '${md5}'`,
    );
    expect(passwordChangeStatement('u', scram, fakeVerifier)).toBe(`ALTER USER "u" WITH PASSWORD '${scram}'`);
  });

  it('is only that exact shape: anything else is a password to hash', () => {
    for (const password of ['md5', 'md5abc', `md5${'0'.repeat(31)}`, `md5${'0'.repeat(32)}x`, `MD5${'0'.repeat(32)}`, 'SCRAM-SHA-256$', 'SCRAM-SHA-256$4096:abc']) {
      expect(isStoredPasswordForm(password), password).toBe(false);
      expect(passwordChangeStatement('u', password, fakeVerifier)).toContain('verifier-of-');
    }
  });
});

describe('passwordChangeStatement', () => {
  it('alters the user with the verifier only', () => {
    expect(passwordChangeStatement('op"x', "it's", fakeVerifier)).toBe(`ALTER USER "op""x" WITH PASSWORD 'verifier-of-it''s'`);
    const statement = passwordChangeStatement('operator', 'Secret-Pass-123');
    expect(statement).not.toContain('Secret-Pass-123');
    expect(statement).toMatch(/^ALTER USER "operator" WITH PASSWORD 'SCRAM-SHA-256\$4096:/);
  });
});

describe('database grant statements', () => {
  it('shared database: five grants per schema, all identifiers quoted', () => {
    expect(schemaGrantStatements(['public', 'My Schema'], 'relation_id_7').map((s) => s.text)).toEqual([
      'GRANT ALL PRIVILEGES ON ALL TABLES IN SCHEMA "public" TO "relation_id_7"',
      'GRANT ALL PRIVILEGES ON ALL SEQUENCES IN SCHEMA "public" TO "relation_id_7"',
      'GRANT ALL PRIVILEGES ON ALL FUNCTIONS IN SCHEMA "public" TO "relation_id_7"',
      'GRANT USAGE ON SCHEMA "public" TO "relation_id_7"',
      'GRANT CREATE ON SCHEMA "public" TO "relation_id_7"',
      'GRANT ALL PRIVILEGES ON ALL TABLES IN SCHEMA "My Schema" TO "relation_id_7"',
      'GRANT ALL PRIVILEGES ON ALL SEQUENCES IN SCHEMA "My Schema" TO "relation_id_7"',
      'GRANT ALL PRIVILEGES ON ALL FUNCTIONS IN SCHEMA "My Schema" TO "relation_id_7"',
      'GRANT USAGE ON SCHEMA "My Schema" TO "relation_id_7"',
      'GRANT CREATE ON SCHEMA "My Schema" TO "relation_id_7"',
    ]);
  });

  it('sole owner: large objects move by bind parameters, then each schema', () => {
    const [largeObjects, ...schemas] = ownershipStatements(['public', 's2'], 'relation_id_7', 'operator');
    expect(largeObjects?.values).toEqual(['relation_id_7', 'operator']);
    expect(largeObjects?.text).toContain('pg_largeobject_metadata');
    expect(largeObjects?.text).not.toContain('relation_id_7');
    expect(schemas.map((s) => s.text)).toEqual([
      'ALTER SCHEMA "public" OWNER TO "relation_id_7"',
      'ALTER SCHEMA "s2" OWNER TO "relation_id_7"',
    ]);
  });
});
