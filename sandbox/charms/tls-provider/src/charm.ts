/**
 * tls-provider: the sandbox's stand-in for self-signed-certificates. Its leader converges on
 * every hook (src/provider.ts); other units only set their status.
 */
import { parseDispatchContext } from '../../../../src/juju/context.ts';
import { HookTools, processToolRunner, type RelationRef } from '../../../../src/juju/hook-tools.ts';
import { createLogger } from '../../../../src/logging.ts';
import { errorMessage } from '../../../../src/errors.ts';
import { CERTIFICATES_ENDPOINT, configure, SEND_CA_CERT_ENDPOINT } from './provider.ts';
import { runCharm } from '../../lib/run-charm.ts';

const BROKEN = /^hooks\/(.+)-relation-broken$/;

async function main(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const logger = createLogger({ base: { charm: 'tls-provider', unit: env['JUJU_UNIT_NAME'], dispatch: env['JUJU_DISPATCH_PATH'] } });
  const dispatch = parseDispatchContext(env);
  const tools = new HookTools(processToolRunner(), { unitName: dispatch.unitName, modelUuid: dispatch.modelUuid, logger });
  const path = env['JUJU_DISPATCH_PATH'] ?? '';
  if (path.startsWith('actions/')) {
    await tools.actionFail('tls-provider has no actions');
    return 0;
  }
  const broken = BROKEN.exec(path)?.[1];
  const relationId = Number((env['JUJU_RELATION_ID'] ?? '').split(':')[1]);
  const breaking: RelationRef | undefined =
    (broken === CERTIFICATES_ENDPOINT || broken === SEND_CA_CERT_ENDPOINT) && Number.isInteger(relationId) ? { endpoint: broken, id: relationId } : undefined;
  try {
    if (await tools.isLeader()) await configure(tools, logger, breaking);
    await tools.statusSet('active', '');
    return 0;
  } catch (error) {
    logger.error({ err: error }, 'configure failed');
    await tools.statusSet('blocked', errorMessage(error)).catch(() => undefined);
    return 0;
  }
}

runCharm('tls-provider', main);
