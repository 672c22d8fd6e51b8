import { CharmError } from '../../src/errors.ts';

/**
 * Codes a pod-layer failure carries, so the sandbox CLI and tests can branch on them.
 * `pod-command-failed` wraps a system tool (`ip`, `unshare`, `nsenter`, `mount`) that exited non-zero.
 */
export type PodErrorCode =
  | 'pod-invalid-spec'
  | 'pod-subnet-in-use'
  | 'pod-address-in-use'
  | 'pod-exists'
  | 'pod-not-found'
  | 'pod-state-invalid'
  | 'pod-command-failed'
  | 'pod-exec-failed'
  | 'pod-processes-survived'
  | 'pod-unsafe-path';

/** A pod or sandbox-network operation failed. */
export class PodError extends CharmError {
  override readonly code: PodErrorCode;

  constructor(code: PodErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.code = code;
  }
}
