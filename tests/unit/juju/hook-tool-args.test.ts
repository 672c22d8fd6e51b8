import { describe, expect, it } from 'vitest';
import { canonicalSecretId, flattenActionResults, parseOpenedPort, redactArgs, secretXid, splitLogMessage, toRfc3339 } from '../../../src/juju/hook-tool-args.ts';
import { formatRelationRef, parseRelationRef } from '../../../src/juju/relation-ref.ts';

describe('hook-tool argument helpers', () => {
  it('flattens nested action results to dotted keys, keeping insertion order', () => {
    expect([...flattenActionResults({ a: { b: { c: 'x' }, d: 2 }, 'e.f': false, '500': 'ok' })]).toEqual([
      ['500', 'ok'],
      ['a.b.c', 'x'],
      ['a.d', '2'],
      ['e.f', 'false'],
    ]);
    expect(() => flattenActionResults({ 'a..b': 'x' })).toThrow('is invalid');
    expect(() => flattenActionResults({ 'stdout-encoding': 'x' })).toThrow('reserved');
    expect(() => flattenActionResults({ a: null as never })).toThrow('must be a string, number, boolean or object');
  });

  it('splits log messages only when longer than the limit', () => {
    expect(splitLogMessage('short', 10)).toEqual(['short']);
    expect(splitLogMessage('0123456789', 10)).toEqual(['0123456789']);
    expect(splitLogMessage('0123456789abc', 5)).toEqual(['Log string greater than 5. Splitting into multiple chunks: ', '01234', '56789', 'abc']);
  });

  it('canonicalises secret ids as ops does and extracts the xid', () => {
    expect(canonicalSecretId(' abc ', 'uuid-1')).toBe('secret://uuid-1/abc');
    expect(canonicalSecretId('abc', undefined)).toBe('secret:abc');
    expect(canonicalSecretId('secret:abc', 'uuid-1')).toBe('secret:abc');
    expect(['abc', 'secret:abc', 'secret://uuid-1/abc'].map(secretXid)).toEqual(['abc', 'abc', 'abc']);
  });

  it('formats dates as RFC 3339 without fractions and passes strings through', () => {
    expect(toRfc3339('secret-add', new Date(Date.UTC(2030, 0, 2, 3, 4, 5, 600)))).toBe('2030-01-02T03:04:05Z');
    expect(toRfc3339('secret-add', '24h')).toBe('24h');
    expect(() => toRfc3339('secret-set', new Date('nope'))).toThrow('secret-set: expire is an invalid date');
  });

  it('parses relation refs and opened ports', () => {
    expect(parseRelationRef('database-peers:12')).toEqual({ endpoint: 'database-peers', id: 12 });
    expect(parseRelationRef('12')).toBeUndefined();
    expect(parseRelationRef('db:x')).toBeUndefined();
    expect(formatRelationRef({ endpoint: 'db', id: 0 })).toBe('db:0');
    expect(parseOpenedPort('80/tcp')).toEqual({ protocol: 'tcp', port: 80 });
    expect(parseOpenedPort('80/sctp')).toBeUndefined();
  });

  it('redacts action-set values only', () => {
    expect(redactArgs('action-set', ['password=x=y', 'plain'])).toEqual(['password=[redacted]', 'plain']);
    expect(redactArgs('juju-log', ['--', 'a=b'])).toEqual(['--', 'a=b']);
  });
});
