import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging.ts';
import { CharmError, isCharmError } from '../../src/errors.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, destination };
}

describe('logging', () => {
  it('writes structured JSON and redacts secret values at any depth', () => {
    const { lines, destination } = capture();
    const log = createLogger({ destination, level: 'debug' });
    log.info({ user: 'operator', password: 'hunter2', nested: { password: 'p2' }, headers: { authorization: 'Basic x' } }, 'rotating');
    const record = JSON.parse(lines.join(''));
    expect(record.msg).toBe('rotating');
    expect(record.user).toBe('operator');
    expect(record.password).toBe('[redacted]');
    expect(record.nested.password).toBe('[redacted]');
    expect(record.headers.authorization).toBe('[redacted]');
    expect(lines.join('')).not.toContain('hunter2');
  });
});

describe('the deferred logger', () => {
  it('writes nothing below its level, and child lines carry their bindings', () => {
    const { lines, destination } = capture();
    const log = createLogger({ destination, level: 'warn', base: { unit: 'postgresql-k8s/0' } });
    log.info('not written');
    log.debug({ password: 'x' }, 'not written either');
    expect(lines).toEqual([]);
    expect(log.isLevelEnabled('info')).toBe(false);
    expect(log.isLevelEnabled('error')).toBe(true);
    log.child({ relation: 'database:5' }).warn({ secret: 's3cr3t' }, 'relation data is malformed');
    const record = JSON.parse(lines.join(''));
    expect(record).toMatchObject({ level: 40, unit: 'postgresql-k8s/0', relation: 'database:5', secret: '[redacted]', msg: 'relation data is malformed' });
  });

  it('falls back to info on an unknown level and says which level was asked for', () => {
    const { lines, destination } = capture();
    const log = createLogger({ destination, level: 'verbose' });
    expect(log.level).toBe('info');
    log.debug('not written');
    log.info('written');
    const records = lines.join('').trim().split('\n').map((line) => JSON.parse(line));
    expect(records.map((r) => r.msg)).toEqual(['unknown log level "verbose"; logging at info', 'written']);
    expect(records[0]).toMatchObject({ level: 40, requested: 'verbose' });
  });

  it('is silent at level silent', () => {
    const { lines, destination } = capture();
    const log = createLogger({ destination, level: 'silent' });
    log.fatal('not written');
    expect(lines).toEqual([]);
  });
});

describe('CharmError', () => {
  it('carries a code and a cause', () => {
    const cause = new Error('socket closed');
    const error = new CharmError('pebble-unreachable', 'cannot reach Pebble', { cause });
    expect(error.code).toBe('pebble-unreachable');
    expect(error.cause).toBe(cause);
    expect(error.name).toBe('CharmError');
    expect(isCharmError(error, 'pebble-unreachable')).toBe(true);
    expect(isCharmError(error, 'other')).toBe(false);
  });
});
