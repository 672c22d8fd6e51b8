import { describe, expect, it } from 'vitest';
import { parseCharmConfigOrThrow } from '../../../../src/config/index.ts';
import {
  decideLegacyRelation,
  disabledExtensions,
  extensionEnabled,
  extensionName,
  LEGACY_MESSAGES,
  legacyRequest,
} from '../../../../src/relations/legacy/request.ts';

const DB = { endpoint: 'db', id: 7 };
const defaults = parseCharmConfigOrThrow({});
const withTrgmAndUnaccent = parseCharmConfigOrThrow({ plugin_pg_trgm_enable: true, plugin_unaccent_enable: true });

describe('legacyRequest', () => {
  it('reads what ops-lib-pgsql writes: app bag, mirrored into each unit bag', () => {
    const bag = { database: 'mattermost', extensions: 'pg_trgm:public,unaccent:public' };
    expect(legacyRequest({ app: bag, units: { 'pgtest/0': bag, 'pgtest/1': bag } })).toEqual({
      database: 'mattermost',
      extensions: ['pg_trgm:public', 'unaccent:public'],
      rolesRequested: false,
    });
  });

  it('takes the database from the first unit bag when the app bag has none (older clients)', () => {
    const request = legacyRequest({ app: {}, units: { 'old/10': { database: 'ten' }, 'old/2': { database: 'two' }, 'old/1': {} } });
    expect(request.database).toBe('two');
  });

  it('prefers the app bag and ignores empty values', () => {
    expect(legacyRequest({ app: { database: 'app-db' }, units: { 'c/0': { database: 'unit-db' } } }).database).toBe('app-db');
    expect(legacyRequest({ app: { database: '' }, units: { 'c/0': { database: '' } } }).database).toBeUndefined();
  });

  it('joins extensions from the app bag then the unit bags, in order, each once, items kept byte for byte', () => {
    const request = legacyRequest({
      app: { extensions: 'b,a' },
      units: { 'c/1': { extensions: 'c,,a' }, 'c/0': { extensions: 'b, d' } },
    });
    expect(request.extensions).toEqual(['b', 'a', ' d', 'c']);
  });

  it('sees roles in the app bag or, from an older client, in a unit bag only', () => {
    expect(legacyRequest({ app: { roles: 'admin' }, units: {} }).rolesRequested).toBe(true);
    expect(legacyRequest({ app: {}, units: { 'c/0': { roles: 'admin' } } }).rolesRequested).toBe(true);
    expect(legacyRequest({ app: { roles: '' }, units: { 'c/0': {} } }).rolesRequested).toBe(false);
  });
});

describe('extension checks', () => {
  it('names the extension of a name:schema item', () => {
    expect(extensionName('pg_trgm:public')).toBe('pg_trgm');
    expect(extensionName(' unaccent ')).toBe('unaccent');
  });

  it('knows an extension by its own name or by its plugin option', () => {
    expect(extensionEnabled('pgaudit', defaults)).toBe(true); // plugin_audit_enable defaults to true
    expect(extensionEnabled('audit', defaults)).toBe(true);
    expect(extensionEnabled('pg_trgm', defaults)).toBe(false);
    expect(extensionEnabled('pg_trgm', withTrgmAndUnaccent)).toBe(true);
    expect(extensionEnabled('uuid-ossp', parseCharmConfigOrThrow({ plugin_uuid_ossp_enable: true }))).toBe(true);
    expect(extensionEnabled('moddatetime', parseCharmConfigOrThrow({ plugin_spi_enable: true }))).toBe(true);
  });

  it('treats an extension no option knows as disabled', () => {
    expect(disabledExtensions(['no_such_extension', 'pg_trgm:public'], withTrgmAndUnaccent)).toEqual(['no_such_extension']);
  });
});

describe('decideLegacyRelation', () => {
  const request = (overrides: Partial<ReturnType<typeof legacyRequest>> = {}) => ({
    database: 'mattermost',
    extensions: [] as string[],
    rolesRequested: false,
    ...overrides,
  });

  it('serves a named database with enabled extensions', () => {
    const decision = decideLegacyRelation(DB, request({ extensions: ['pg_trgm:public', 'unaccent:public'] }), withTrgmAndUnaccent);
    expect(decision).toEqual({ kind: 'serve', database: 'mattermost', extensions: ['pg_trgm:public', 'unaccent:public'] });
  });

  it('blocks with the reference message on a disabled or unknown extension, naming them in the detail', () => {
    const decision = decideLegacyRelation(DB, request({ extensions: ['pg_trgm:public', 'bogus'] }), defaults);
    expect(decision).toMatchObject({ kind: 'blocked', message: LEGACY_MESSAGES.extensionsRequested });
    expect(decision.kind === 'blocked' && decision.detail).toContain('pg_trgm, bogus');
    expect(decision.kind === 'blocked' && decision.detail).toContain('db:7');
  });

  it('blocks on roles with the reference message', () => {
    expect(decideLegacyRelation(DB, request({ rolesRequested: true }), defaults)).toMatchObject({
      kind: 'blocked',
      message: 'roles requested through relation, use postgresql_client interface instead',
    });
  });

  it('checks extensions before roles, and both before the database name', () => {
    expect(decideLegacyRelation(DB, request({ rolesRequested: true, extensions: ['x'], database: undefined }), defaults)).toMatchObject({
      message: LEGACY_MESSAGES.extensionsRequested,
    });
    expect(decideLegacyRelation(DB, request({ rolesRequested: true, database: 'Bad Name' }), defaults)).toMatchObject({
      message: LEGACY_MESSAGES.rolesRequested,
    });
  });

  it('writes nothing until the client names a database', () => {
    expect(decideLegacyRelation(DB, request({ database: undefined }), defaults)).toEqual({ kind: 'no-database' });
  });

  it.each([
    ['with"quote', 'it contains quotes or backslashes'],
    ["it's", 'it contains quotes or backslashes'],
    ['has space', 'it contains whitespace'],
    ['Mattermost', 'it contains uppercase letters'],
    ['a'.repeat(64), 'it is longer than 63 bytes'],
    ['postgres', 'it is reserved'],
    ['template0', 'it is reserved'],
    ['template1', 'it is reserved'],
    ['x; DROP DATABASE y', 'it contains whitespace'],
  ])('blocks on the database name %j, naming the relation and the problem', (database, problem) => {
    const decision = decideLegacyRelation({ endpoint: 'db-admin', id: 3 }, request({ database }), defaults);
    expect(decision.kind).toBe('blocked');
    if (decision.kind !== 'blocked') return;
    expect(decision.message).toContain('db-admin:3');
    expect(decision.message).toContain(problem);
    // Short enough for one line of `juju status`, the fix included.
    expect(decision.message.length).toBeLessThan(130);
  });
});
