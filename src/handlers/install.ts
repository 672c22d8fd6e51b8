import { ConfigValidationError } from '../config/index.ts';
import type { HandlerDeps } from './deps.ts';
import { ensureWorkloadPorts } from './ports.ts';

/**
 * install (and upgrade-charm): open the workload's ports and say whether the config this unit
 * starts with is usable, so a bad `juju deploy --config` shows up at once with the option's name.
 */
export async function onInstall(charm: Pick<HandlerDeps, 'tools' | 'config' | 'logger'>): Promise<void> {
  await ensureWorkloadPorts(charm.tools);
  const config = await charm.config();
  if (!config.ok) {
    const error = new ConfigValidationError(config.issues);
    charm.logger.warn({ issues: config.issues }, error.message);
    await charm.tools.statusSet('blocked', error.statusMessage);
    return;
  }
  await charm.tools.statusSet('maintenance', 'installing charm software');
}
