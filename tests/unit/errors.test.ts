import { describe, expect, expectTypeOf, it } from 'vitest';
import { errorCode as libErrorCode, isLibError, LibError } from '../../lib/errors.ts';
import { PostgreSQLCreateUserError, type PostgreSQLErrorCode } from '../../lib/postgresql/errors.ts';
import { CharmError, errorCode, isCharmError } from '../../src/errors.ts';
import { PermissionDeniedError, type JujuErrorCode } from '../../src/juju/errors.ts';
import { PatroniApiError, PatroniAuthError, type PatroniErrorCode } from '../../src/patroni/errors.ts';

describe('errorCode', () => {
  it("reads the string code of the charm's, the libraries' and Node's errors", () => {
    expect(errorCode(new CharmError('patroni-unreachable', 'x'))).toBe('patroni-unreachable');
    expect(errorCode(new LibError('psql-connect-failed', 'x'))).toBe('psql-connect-failed');
    expect(errorCode(Object.assign(new Error('open'), { code: 'ENOENT' }))).toBe('ENOENT');
    expect(errorCode({ code: '28P01' })).toBe('28P01'); // pg's DatabaseError carries the SQLSTATE so
  });

  it('says undefined for anything without a string code', () => {
    for (const value of [new Error('plain'), { code: 42 }, { code: undefined }, 'ENOENT', null, undefined, 7]) {
      expect(errorCode(value)).toBeUndefined();
    }
  });

  it('is the same helper in lib/ and src/ (lib/ never imports src/)', () => {
    expect(errorCode).toBe(libErrorCode);
  });
});

describe('error codes (the @ts-expect-error lines are checked by tsc)', () => {
  const failure = { tool: 'relation-set', args: [], exitCode: 1, stderr: 'ERROR permission denied' };

  it("take only their module's literal codes", () => {
    expectTypeOf(new PatroniAuthError('http://pg-0:8008/config', 'no auth').code).toEqualTypeOf<PatroniErrorCode>();
    expectTypeOf(new PermissionDeniedError(failure).code).toEqualTypeOf<JujuErrorCode>();
    expectTypeOf(new PostgreSQLCreateUserError().code).toEqualTypeOf<PostgreSQLErrorCode>();
    // @ts-expect-error a misspelt Patroni code
    expect(new PatroniApiError('u', 500, 'b', 'patroni-api-eror').code).toBe('patroni-api-eror');
    // @ts-expect-error a Juju code, but not one a permission failure can have
    expect(new PermissionDeniedError(failure, 'secret-not-found').code).toBe('secret-not-found');
    class Misspelt extends CharmError<PatroniErrorCode> {
      constructor() {
        // @ts-expect-error not a Patroni code
        super('patroni-down', 'x');
      }
    }
    expect(new Misspelt().code).toBe('patroni-down');
  });

  it('keep the existing code strings', () => {
    expect(new PatroniApiError('u', 500, 'b').code).toBe('patroni-api-error');
    expect(new PatroniAuthError('u', 'b').code).toBe('patroni-auth-failed');
    expect(new PermissionDeniedError(failure).code).toBe('permission-denied');
    expect(new PostgreSQLCreateUserError().code).toBe('postgresql-create-user-failed');
  });

  it('narrow the code through isCharmError and isLibError', () => {
    const thrown: unknown = new PatroniAuthError('u', 'b');
    if (isCharmError(thrown, 'patroni-auth-failed')) expectTypeOf(thrown.code).toEqualTypeOf<'patroni-auth-failed'>();
    expect(isCharmError(thrown, 'patroni-auth-failed')).toBe(true);
    expect(isCharmError(thrown, 'patroni-api-error')).toBe(false);
    const lib: unknown = new PostgreSQLCreateUserError();
    expect(isLibError(lib, 'postgresql-create-user-failed')).toBe(true);
  });

  it('still accept any string on a plain CharmError, while classes move to unions', () => {
    expectTypeOf(new CharmError('some-code', 'x').code).toEqualTypeOf<'some-code'>();
    expectTypeOf<CharmError['code']>().toEqualTypeOf<string>();
  });
});
