import { CharmError } from '../../src/errors.ts';

/** A model change that Juju itself would refuse (unknown application, bad config value...). */
export class SandboxModelError extends CharmError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('sandbox-model-invalid', message, options);
  }
}

/** The model could not be saved to or loaded from the sandbox's state directory. */
export class ModelStoreError extends CharmError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('sandbox-model-store', message, options);
  }
}

/** The hook-tool agent could not start, or was asked about a context it does not know. */
export class HookToolAgentError extends CharmError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('sandbox-agent', message, options);
  }
}
