import { describe, expect, test } from 'vitest';
import { startOrder, stopOrder } from '../../../sandbox/pebble/plan/order.ts';
import { yamlKeyLess } from '../../../sandbox/pebble/plan/marshal.ts';
import type { Service } from '../../../sandbox/pebble/plan/types.ts';
import { parseServiceCommand, splitCommand } from '../../../sandbox/pebble/util/command.ts';
import { formatGoDuration, parseGoDuration } from '../../../sandbox/pebble/util/go-duration.ts';
import { formatRfc3339Nano, parseRfc3339 } from '../../../sandbox/pebble/util/go-time.ts';

describe('Go durations', () => {
  test.each([
    ['0', 0],
    ['30.000s', 30e9],
    ['1.5s', 1.5e9],
    ['500ms', 5e8],
    ['1m30s', 90e9],
    ['2h45m', (2 * 60 + 45) * 60e9],
    ['10us', 10_000],
    ['10µs', 10_000],
    ['-1s', -1e9],
  ])('parse %s', (text, ns) => {
    expect(parseGoDuration(text)).toBe(ns);
  });

  test.each([
    ['abc', 'time: invalid duration "abc"'],
    ['5', 'time: missing unit in duration "5"'],
    ['5x', 'time: unknown unit "x" in duration "5x"'],
    ['', 'time: invalid duration ""'],
  ])('rejects %j', (text, message) => {
    expect(() => parseGoDuration(text)).toThrow(message);
  });

  test.each([
    [0, '0s'],
    [1, '1ns'],
    [1500, '1.5µs'],
    [5e8, '500ms'],
    [1.5e9, '1.5s'],
    [4e9, '4s'],
    [90e9, '1m30s'],
    [3600e9, '1h0m0s'],
    [168 * 3600e9, '168h0m0s'],
    [3723.5e9, '1h2m3.5s'],
  ])('format %d', (ns, text) => {
    expect(formatGoDuration(ns)).toBe(text);
  });
});

describe('timestamps', () => {
  test('RFC3339 with nanoseconds round-trips and trims zeros', () => {
    const ns = parseRfc3339('2026-07-22T09:25:22.123456789Z');
    expect(formatRfc3339Nano(ns)).toBe('2026-07-22T09:25:22.123456789Z');
    expect(formatRfc3339Nano(parseRfc3339('2026-07-22T09:25:22.5Z'))).toBe('2026-07-22T09:25:22.5Z');
    expect(formatRfc3339Nano(parseRfc3339('2026-07-22T11:25:22+02:00'))).toBe('2026-07-22T09:25:22Z');
    expect(() => parseRfc3339('yesterday')).toThrow(/^parsing time "yesterday"/);
  });
});

describe('yaml.v3 key order', () => {
  test('digit runs compare numerically', () => {
    const keys = ['svc10', 'svc2', 'b', 'a', 'svc1', 'a1', 'A'];
    keys.sort((x, y) => (yamlKeyLess(x, y) ? -1 : yamlKeyLess(y, x) ? 1 : 0));
    expect(keys).toEqual(['A', 'a', 'a1', 'b', 'svc1', 'svc2', 'svc10']);
  });
});

describe('command splitting', () => {
  test('shell-like words without expansion', () => {
    expect(splitCommand(`sh -c 'echo $HOME; exit 1' "two words" a\\ b`)).toEqual(['sh', '-c', 'echo $HOME; exit 1', 'two words', 'a b']);
    expect(splitCommand('echo $HOME')).toEqual(['echo', '$HOME']);
    expect(() => splitCommand(`echo 'open`)).toThrow('EOF found when expecting closing quote');
    expect(() => splitCommand('echo \\')).toThrow('EOF found after escape character');
  });

  test('service default-arguments group', () => {
    expect(parseServiceCommand('s', 'server --port 80 [ --verbose -x ]')).toEqual({ base: ['server', '--port', '80'], extra: ['--verbose', '-x'] });
    expect(() => parseServiceCommand('s', '[ a ]')).toThrow('cannot parse service "s" command: cannot start command with [ ... ] group');
    expect(() => parseServiceCommand('s', 'a [ b [ c ] ]')).toThrow('cannot nest [ ... ] groups');
    expect(() => parseServiceCommand('s', 'a ] b')).toThrow('cannot have ] outside of [ ... ] group');
  });
});

describe('start and stop order', () => {
  const svc = (name: string, extra: Partial<Service> = {}): Service => ({ name, override: 'replace', command: 'x', ...extra });
  const services: Record<string, Service> = {
    web: svc('web', { requires: ['db'], after: ['db'] }),
    db: svc('db'),
    cache: svc('cache', { before: ['web'] }),
    lonely: svc('lonely'),
  };

  test('requirements come first and share the lane; before/after orders', () => {
    expect(startOrder(services, ['web'])).toEqual([['db', 'web']]);
    expect(startOrder(services, ['web', 'cache']).flat()).toEqual(['cache', 'db', 'web']);
    expect(startOrder(services, ['lonely', 'db'])).toEqual([['db'], ['lonely']]);
  });

  test('stopping pulls in dependents, in reverse order', () => {
    expect(stopOrder(services, ['db'])).toEqual([['web', 'db']]);
  });

  test('unknown services and loops are errors', () => {
    expect(() => startOrder(services, ['ghost'])).toThrow('service "ghost" does not exist');
    const loop = { a: svc('a', { after: ['b'] }), b: svc('b', { after: ['a'] }) };
    expect(() => startOrder(loop, ['a', 'b'])).toThrow('services in before/after loop: a, b');
  });
});
