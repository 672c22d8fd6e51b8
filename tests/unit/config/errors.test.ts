import { describe, expect, it } from 'vitest';
import { CharmError, isCharmError } from '../../../src/errors.ts';
import {
  ConfigValidationError,
  configErrorSummary,
  formatConfigIssue,
  parseCharmConfig,
  type ConfigIssue,
} from '../../../src/config/index.ts';

const timeout: ConfigIssue = { option: 'connection_authentication_timeout', value: 0, allowed: 'an integer from 1 to 600' };
const profile: ConfigIssue = { option: 'profile', value: 'dev', allowed: '"production" or "testing"' };

describe('ConfigValidationError', () => {
  it('is a CharmError with the invalid-config code and keeps the issues', () => {
    const error = new ConfigValidationError([timeout]);
    expect(error).toBeInstanceOf(CharmError);
    expect(isCharmError(error, 'invalid-config')).toBe(true);
    expect(error.name).toBe('ConfigValidationError');
    expect(error.issues).toEqual([timeout]);
  });

  it('reads "Configuration Error: <option>=<value> is invalid: <allowed>"', () => {
    expect(new ConfigValidationError([timeout]).message).toBe(
      'Configuration Error: connection_authentication_timeout=0 is invalid: an integer from 1 to 600',
    );
  });

  it('lists every issue in its message', () => {
    expect(new ConfigValidationError([timeout, profile]).message).toBe(
      'Configuration Error: connection_authentication_timeout=0 is invalid: an integer from 1 to 600; ' +
        'profile="dev" is invalid: "production" or "testing"',
    );
  });

  it('offers a one-line status naming the first option and how many more', () => {
    expect(new ConfigValidationError([timeout]).statusMessage).toBe(
      'Configuration Error: connection_authentication_timeout=0 is invalid',
    );
    expect(new ConfigValidationError([timeout, profile]).statusMessage).toBe(
      'Configuration Error: connection_authentication_timeout=0 is invalid (and 1 more)',
    );
  });
});

describe('formatting values', () => {
  it('quotes strings so "1" and 1 differ', () => {
    expect(formatConfigIssue({ option: 'a', value: '1', allowed: 'x' })).toBe('a="1" is invalid: x');
    expect(formatConfigIssue({ option: 'a', value: 1, allowed: 'x' })).toBe('a=1 is invalid: x');
    expect(formatConfigIssue({ option: 'a', value: undefined, allowed: 'x' })).toBe('a=(unset) is invalid: x');
  });

  it('shortens long values in the status line but not in the full message', () => {
    const long: ConfigIssue = { option: 'ldap_search_filter', value: 'x'.repeat(500), allowed: 'a string' };
    const summary = configErrorSummary([long]);
    expect(summary.length).toBeLessThan(100);
    expect(summary).toMatch(/^Configuration Error: ldap_search_filter="x+… is invalid$/);
    expect(new ConfigValidationError([long]).message).toContain('x'.repeat(500));
  });

  it('builds the status line from real parse issues', () => {
    const result = parseCharmConfig({ cpu_max_worker_processes: '1', profile: 'dev', memory_work_mem: 1 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(configErrorSummary(result.issues)).toBe(
      'Configuration Error: cpu_max_worker_processes="1" is invalid (and 2 more)',
    );
  });
});
