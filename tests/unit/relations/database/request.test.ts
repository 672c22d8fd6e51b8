import { describe, expect, it } from 'vitest';
import { parseDatabaseRequest, parseRequestedSecrets, sanitizedRoles } from '../../../../src/relations/database/request.ts';

const REL = { endpoint: 'database', id: 7 };

describe('parseDatabaseRequest', () => {
  it('asks nothing until the requirer wrote `database` (absent or emptied by data-integrator)', () => {
    expect(parseDatabaseRequest(REL, {})).toEqual({ kind: 'none' });
    expect(parseDatabaseRequest(REL, { 'requested-secrets': '["username"]', database: '' })).toEqual({ kind: 'none' });
  });

  it('reads database, roles and requested-secrets as data_interfaces 0.58 writes them', () => {
    const parsed = parseDatabaseRequest(REL, {
      database: 'myapp',
      'extra-user-roles': 'CREATEDB,CreateRole',
      'requested-secrets': '["username", "password", "tls", "tls-ca", "uris", "read-only-uris", "entity-name", "entity-password"]',
      'provided-secrets': '["mtls-cert"]',
    });
    expect(parsed).toEqual({
      kind: 'requested',
      request: {
        database: 'myapp',
        roles: ['createdb', 'createrole', 'relation_access'],
        requestedSecrets: ['username', 'password', 'tls', 'tls-ca', 'uris', 'read-only-uris', 'entity-name', 'entity-password'],
      },
    });
  });

  it('gives a requirer without requested-secrets plain mode (undefined)', () => {
    const parsed = parseDatabaseRequest(REL, { database: 'myapp' });
    expect(parsed).toEqual({ kind: 'requested', request: { database: 'myapp', roles: ['relation_access'], requestedSecrets: undefined } });
  });

  it.each([
    ['garbage JSON', { database: 'myapp', 'requested-secrets': '[username' }, 'invalid requested-secrets on database:7: not a JSON list of field names'],
    ['a JSON object', { database: 'myapp', 'requested-secrets': '{"username": true}' }, 'invalid requested-secrets on database:7: not a JSON list of field names'],
    ['a list of numbers', { database: 'myapp', 'requested-secrets': '[1, 2]' }, 'invalid requested-secrets on database:7: not a JSON list of field names'],
    ['a JSON string', { database: 'myapp', 'requested-secrets': '"username"' }, 'invalid requested-secrets on database:7: not a JSON list of field names'],
    ['a quote in the name', { database: 'my"app' }, 'invalid database name "my\\"app" on database:7: it contains quotes or backslashes; ask the client for another name'],
    ['a space in the name', { database: 'my app' }, 'invalid database name "my app" on database:7: it contains whitespace; ask the client for another name'],
    ['uppercase', { database: 'MyApp' }, 'invalid database name "MyApp" on database:7: it contains uppercase letters; ask the client for another name'],
    ['64 characters', { database: 'a'.repeat(64) }, `invalid database name "${'a'.repeat(24)}…" on database:7: it is longer than 63 bytes; ask the client for another name`],
    ['postgres', { database: 'postgres' }, 'invalid database name "postgres" on database:7: it is reserved; ask the client for another name'],
    ['template0', { database: 'template0' }, 'invalid database name "template0" on database:7: it is reserved; ask the client for another name'],
    ['template1', { database: 'template1' }, 'invalid database name "template1" on database:7: it is reserved; ask the client for another name'],
    ['SQL injection', { database: 'x"; DROP DATABASE postgres; --' }, 'invalid database name "x\\"; DROP DATABASE postgr…" on database:7: it contains whitespace; ask the client for another name'],
  ])('refuses %s with a message naming the relation', (_case, bag, message) => {
    expect(parseDatabaseRequest(REL, bag)).toEqual({ kind: 'invalid', message });
  });

  it('accepts 63 characters, digits, _ and -', () => {
    for (const name of ['a'.repeat(63), 'app_1-db', '_x']) expect(parseDatabaseRequest(REL, { database: name }).kind).toBe('requested');
  });
});

describe('sanitizedRoles', () => {
  it.each([
    [undefined, ['relation_access']],
    ['', ['relation_access']],
    ['SUPERUSER', ['superuser', 'relation_access']],
    ['admin, CreateDB', ['admin', 'createdb', 'relation_access']],
    // Access-group names are the charm's to give: dropped, relation_access added once.
    ['relation_access,internal_access,IDENTITY_ACCESS', ['relation_access']],
    // Unknown roles pass through: creating the user refuses them (invalid extra user roles).
    ['superuser; DROP ROLE operator', ['superuser; drop role operator', 'relation_access']],
  ])('%j → %j', (raw, roles) => {
    expect(sanitizedRoles(raw)).toEqual(roles);
  });
});

describe('parseRequestedSecrets', () => {
  it('deduplicates and keeps order', () => {
    expect(parseRequestedSecrets('["username", "password", "username"]')).toEqual({ ok: true, fields: ['username', 'password'] });
  });
});
