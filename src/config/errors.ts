/**
 * How an invalid charm config is reported: each issue names the option, the value it had and what
 * is allowed. The full message goes to the log; `statusMessage` is the short line for Juju status
 * (the reference's Blocked message also starts with "Configuration Error").
 */
import { CharmError } from '../errors.ts';

export interface ConfigIssue {
  /** The config option at fault. */
  readonly option: string;
  /** The offending value as Juju reported it. */
  readonly value: unknown;
  /** What the option accepts, in words (e.g. `an integer from 1 to 600`). */
  readonly allowed: string;
}

export type ConfigErrorCode = 'invalid-config';

export const CONFIG_ERROR_PREFIX = 'Configuration Error';

/** Longest rendering of a value in the one-line status summary. */
const SUMMARY_VALUE_MAX = 40;

/** Strings are quoted so `"1"` and `1` (or a trailing space) read differently. */
export function formatConfigValue(value: unknown): string {
  if (value === undefined) return '(unset)';
  return JSON.stringify(value) ?? String(value);
}

function truncate(textValue: string, max: number): string {
  return textValue.length <= max ? textValue : `${textValue.slice(0, max - 1)}…`;
}

/** `<option>=<value> is invalid: <allowed>` */
export function formatConfigIssue(issue: ConfigIssue): string {
  return `${issue.option}=${formatConfigValue(issue.value)} is invalid: ${issue.allowed}`;
}

/** One line for Juju status: the first bad option and how many more there are. */
export function configErrorSummary(issues: readonly ConfigIssue[]): string {
  const [first] = issues;
  if (first === undefined) return `${CONFIG_ERROR_PREFIX}: invalid configuration`;
  const value = truncate(formatConfigValue(first.value), SUMMARY_VALUE_MAX);
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return `${CONFIG_ERROR_PREFIX}: ${first.option}=${value} is invalid${more}`;
}

export class ConfigValidationError extends CharmError<ConfigErrorCode> {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options?: { cause?: unknown }) {
    const details = issues.length > 0 ? issues.map(formatConfigIssue).join('; ') : 'invalid configuration';
    super('invalid-config', `${CONFIG_ERROR_PREFIX}: ${details}`, options);
    this.issues = issues;
  }

  /** The short line to show as the unit's Blocked status. */
  get statusMessage(): string {
    return configErrorSummary(this.issues);
  }
}
