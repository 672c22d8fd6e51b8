import type { CharmContext } from '../charm-context.ts';
import { Dispatcher } from '../juju/dispatcher.ts';
import type { Logger } from '../logging.ts';
import { onInstall } from './install.ts';
import { ensureWorkloadPorts } from './ports.ts';

/** Every handler of the charm, in one place: what runs for which event. */
export function createDispatcher(logger: Logger): Dispatcher<CharmContext> {
  return new Dispatcher<CharmContext>({ logger })
    .on('install', (_event, charm) => onInstall(charm))
    .on('upgrade-charm', (_event, charm) => ensureWorkloadPorts(charm.tools));
}
