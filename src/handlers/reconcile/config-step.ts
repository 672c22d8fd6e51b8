/**
 * The config must be valid before anything is rendered from it. The status names the first bad
 * option (`Configuration Error: <option>=<value> is invalid`); the log has them all. A fixed
 * config clears the block on the next reconcile (config-changed), with nothing else to do.
 */
import { ConfigValidationError } from '../../config/index.ts';
import type { HandlerDeps } from '../deps.ts';
import { blocked } from './outcome.ts';
import { halt, next, step } from './pipeline.ts';

export const configStep = step({
  name: 'config',
  retryMessage: 'waiting to read the configuration',
  requires: [],
  provides: ['config'],
  async run(deps: Pick<HandlerDeps, 'config' | 'logger'>) {
    const result = await deps.config();
    if (!result.ok) {
      const error = new ConfigValidationError(result.issues);
      deps.logger.warn({ code: error.code, issues: result.issues }, error.message);
      return halt(blocked(error.statusMessage));
    }
    return next({ config: result.config });
  },
});
