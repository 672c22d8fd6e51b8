import { CharmError } from '../errors.ts';
import type { ToolResult } from './tool-runner.ts';

/** The codes of HookToolError and its subclasses: a hook tool exited non-zero. */
export type HookToolErrorCode = 'hook-tool-failed' | 'hook-tool-usage' | 'relation-not-found' | 'secret-not-found' | 'permission-denied' | 'not-leader';
export type JujuErrorCode =
  | HookToolErrorCode
  | 'invalid-dispatch-context'
  | 'hook-tool-bad-output'
  | 'invalid-hook-tool-argument'
  | 'invalid-charm-metadata';

/**
 * The dispatch environment (JUJU_* variables) is missing something or carries a value we cannot
 * parse. The message names the variable, the bad value and what was expected, because this is the
 * first thing an operator reads in the unit log when a hook fails before any handler ran.
 */
export class DispatchContextError extends CharmError<JujuErrorCode> {
  readonly variable: string;
  readonly value: string | undefined;
  readonly expected: string;

  constructor(variable: string, value: string | undefined, expected: string) {
    const shown = value === undefined ? 'is not set' : `is ${JSON.stringify(value)}`;
    super('invalid-dispatch-context', `${variable} ${shown}; expected ${expected}`);
    this.variable = variable;
    this.value = value;
    this.expected = expected;
  }
}

/** What every hook-tool failure carries; `args` are already redacted where values are sensitive. */
export interface HookToolFailure {
  tool: string;
  args: readonly string[];
  exitCode: number;
  stderr: string;
}

/** A hook tool exited non-zero. Subclasses say why, when stderr lets us tell. */
export class HookToolError extends CharmError<JujuErrorCode> {
  readonly tool: string;
  readonly args: readonly string[];
  readonly exitCode: number;
  readonly stderr: string;

  constructor(failure: HookToolFailure, code: HookToolErrorCode = 'hook-tool-failed') {
    const reason = toolReason(failure.stderr) || '(no error output)';
    super(code, `${[failure.tool, ...failure.args].join(' ')} exited ${failure.exitCode}: ${reason}`);
    this.tool = failure.tool;
    this.args = failure.args;
    this.exitCode = failure.exitCode;
    this.stderr = failure.stderr;
  }
}

/** Exit 2: Juju rejected the flags or arguments (a bug on our side, never worth retrying). */
export class HookToolUsageError extends HookToolError {
  constructor(failure: HookToolFailure) {
    super(failure, 'hook-tool-usage');
  }
}

/** The relation id (or network binding) is unknown or the relation is already gone. */
export class RelationNotFoundError extends HookToolError {
  constructor(failure: HookToolFailure) {
    super(failure, 'relation-not-found');
  }
}

/** The secret does not exist, or this unit has never been granted it. */
export class SecretNotFoundError extends HookToolError {
  constructor(failure: HookToolFailure) {
    super(failure, 'secret-not-found');
  }
}

/** Juju refused the operation for this unit (access denied, cannot write relation settings). */
export class PermissionDeniedError extends HookToolError {
  constructor(failure: HookToolFailure, code: Extract<HookToolErrorCode, 'permission-denied' | 'not-leader'> = 'permission-denied') {
    super(failure, code);
  }
}

/** A leader-only operation ran on a non-leader (`this unit is not the leader`). */
export class NotLeaderError extends PermissionDeniedError {
  constructor(failure: HookToolFailure) {
    super(failure, 'not-leader');
  }
}

/** A hook tool succeeded but printed something that does not match its documented output (docs/hook-tools.md). */
export class HookToolOutputError extends CharmError<JujuErrorCode> {
  readonly tool: string;
  readonly args: readonly string[];

  constructor(tool: string, args: readonly string[], problem: string, options?: { cause?: unknown }) {
    // Never quote stdout here: it may be relation data or secret content.
    super('hook-tool-bad-output', `${[tool, ...args].join(' ')} printed unexpected output: ${problem}`, options);
    this.tool = tool;
    this.args = args;
  }
}

/** We refused to call a hook tool because Juju would reject (or misread) the arguments. */
export class InvalidHookToolArgumentError extends CharmError<JujuErrorCode> {
  constructor(tool: string, problem: string) {
    super('invalid-hook-tool-argument', `${tool}: ${problem}`);
  }
}

/** The first stderr line without Juju's `ERROR ` prefix: the reason people want to read. */
function toolReason(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const errorLine = lines.find((line) => line.startsWith('ERROR ')) ?? lines[0] ?? '';
  return errorLine.replace(/^ERROR\s+/, '');
}

/**
 * Turn a non-zero tool exit into the most specific error, following ops's `_wrap_hookcmd`
 * (docs/hook-tools.md, "Hook-tool conventions"): relation-/network- tools + `relation not found`, secret- tools + `not found`,
 * then leadership and permission wording, then exit 2 as a usage error.
 */
export function classifyHookToolFailure(
  tool: string,
  args: readonly string[],
  result: ToolResult,
): HookToolError {
  const failure: HookToolFailure = { tool, args, exitCode: result.exitCode, stderr: result.stderr };
  const text = result.stderr.toLowerCase();
  if ((tool.startsWith('relation-') || tool.startsWith('network-')) && text.includes('relation not found')) {
    return new RelationNotFoundError(failure);
  }
  if (tool.startsWith('secret-') && text.includes('not found')) {
    return new SecretNotFoundError(failure);
  }
  if (text.includes('not the leader')) {
    return new NotLeaderError(failure);
  }
  if (
    text.includes('permission denied') ||
    text.includes('access denied') ||
    text.includes('cannot write relation settings')
  ) {
    return new PermissionDeniedError(failure);
  }
  if (result.exitCode === 2) {
    return new HookToolUsageError(failure);
  }
  return new HookToolError(failure);
}
