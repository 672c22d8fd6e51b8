import { describe, expect, it } from 'vitest';
import {
  InvalidGroupMapError,
  PostgreSQLConnectionError,
  PostgreSQLCreateUserError,
  isConnectionFailure,
  sqlState,
} from '../../../lib/postgresql/errors.ts';
import { buildPostgresqlGroupMap } from '../../../lib/postgresql/group-map.ts';

function recordingLogger() {
  const warnings: string[] = [];
  return { warnings, logger: { warn: (m: string) => warnings.push(m), debug: () => undefined } };
}

describe('buildPostgresqlGroupMap', () => {
  it('parses trimmed pairs in order', () => {
    expect(buildPostgresqlGroupMap(' devs=developers , ops=operators')).toEqual([
      ['devs', 'developers'],
      ['ops', 'operators'],
    ]);
  });

  it('returns nothing for an unset map', () => {
    expect(buildPostgresqlGroupMap(undefined)).toEqual([]);
    expect(buildPostgresqlGroupMap(null)).toEqual([]);
  });

  it('drops mappings onto the charm’s own groups, with a warning each', () => {
    const { warnings, logger } = recordingLogger();
    expect(
      buildPostgresqlGroupMap('a=admin,b=identity_access,c=internal_access,d=relation_access,e=ok', logger),
    ).toEqual([['e', 'ok']]);
    expect(warnings).toHaveLength(4);
  });

  it.each(['a', 'a=b=c', 'a=b,c', ''])('rejects %j', (map) => {
    expect(() => buildPostgresqlGroupMap(map)).toThrow(InvalidGroupMapError);
    expect(() => buildPostgresqlGroupMap(map)).toThrow('The group-map must contain value pairs split by commas');
  });
});

describe('error helpers', () => {
  it('isConnectionFailure follows the cause chain', () => {
    const connection = new PostgreSQLConnectionError('down');
    expect(isConnectionFailure(new PostgreSQLCreateUserError('x', { cause: connection }))).toBe(true);
    expect(isConnectionFailure(new PostgreSQLCreateUserError('x', { cause: new Error('syntax') }))).toBe(false);
    expect(isConnectionFailure('nope')).toBe(false);
  });

  it('sqlState reads a five-character SQLSTATE only', () => {
    expect(sqlState({ code: '2BP01' })).toBe('2BP01');
    expect(sqlState({ code: 'ECONNREFUSED' })).toBeUndefined();
    expect(sqlState(null)).toBeUndefined();
  });
});
