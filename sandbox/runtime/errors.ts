import { CharmError } from '../../src/errors.ts';

/**
 * Codes the sandbox's wiring and CLI fail with, so callers (the CLI, tests) can branch on them.
 */
export type SandboxErrorCode =
  | 'sandbox-usage'
  | 'sandbox-not-root'
  | 'sandbox-not-deployed'
  | 'sandbox-state-invalid'
  | 'sandbox-charm-invalid'
  | 'sandbox-daemon-failed'
  | 'sandbox-etcd-failed'
  | 'sandbox-s3-failed'
  | 'sandbox-pebble-failed'
  | 'sandbox-unit-unknown'
  | 'sandbox-wait-timeout'
  | 'sandbox-not-in-error'
  | 'sandbox-teardown-failed';

export class SandboxError extends CharmError {
  override readonly code: SandboxErrorCode;

  constructor(code: SandboxErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.code = code;
  }
}
