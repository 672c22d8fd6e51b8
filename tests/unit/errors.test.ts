import { describe, expect, it } from 'vitest';
import { errorCode as libErrorCode, LibError } from '../../lib/errors.ts';
import { CharmError, errorCode } from '../../src/errors.ts';

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
