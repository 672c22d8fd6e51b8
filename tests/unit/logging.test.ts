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
