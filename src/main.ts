import { CharmContext } from './charm-context.ts';
import { errorMessage, isCharmError } from './errors.ts';
import { createDispatcher } from './handlers/index.ts';
import { parseDispatchContext } from './juju/context.ts';
import { runDispatch } from './juju/dispatcher.ts';
import { eventFromContext } from './juju/events.ts';
import { processToolRunner, HookTools } from './juju/hook-tools.ts';
import { loadCharmMetadata } from './juju/metadata.ts';
import { createLogger } from './logging.ts';

/**
 * The charm process: Juju runs `dispatch` for one hook or action, which runs this once. Returns
 * the exit code (non-zero marks a hook failed, so Juju drops its writes and retries it).
 */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const logger = createLogger({ base: { unit: env['JUJU_UNIT_NAME'], dispatch: env['JUJU_DISPATCH_PATH'] } });
  let dispatch;
  try {
    dispatch = parseDispatchContext(env);
  } catch (error) {
    // Juju always sets these; a malformed one means we were not started by Juju as it should.
    logger.error({ code: isCharmError(error) ? error.code : undefined }, errorMessage(error));
    return 1;
  }
  const metadata = await loadCharmMetadata(dispatch.charmDir);
  const event = eventFromContext(dispatch, metadata);
  const tools = new HookTools(processToolRunner(), { unitName: dispatch.unitName, modelUuid: dispatch.modelUuid, logger });
  const charm = new CharmContext(dispatch, event, tools, logger);
  return runDispatch({
    dispatcher: createDispatcher(logger),
    event,
    context: charm,
    actionFail: (message) => tools.actionFail(message),
    logger,
  });
}
