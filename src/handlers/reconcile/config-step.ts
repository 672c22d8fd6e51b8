/**
 * Step a: the config must be valid before anything is rendered from it. The status names the
 * first bad option (`Configuration Error: <option>=<value> is invalid`); the log has them all.
 * A fixed config clears the block on the next reconcile (config-changed), with nothing else to do.
 */
import { ConfigValidationError } from '../../config/index.ts';
import { blocked, DONE } from './outcome.ts';
import type { ReconcileStep } from './step.ts';

export const configStep: ReconcileStep = {
  name: 'config',
  retryMessage: 'waiting to read the configuration',
  async run(charm, state) {
    const result = await charm.config();
    if (!result.ok) {
      const error = new ConfigValidationError(result.issues);
      charm.logger.warn({ code: error.code, issues: result.issues }, error.message);
      return blocked(error.statusMessage, { halt: true });
    }
    state.config = result.config;
    return DONE;
  },
};
