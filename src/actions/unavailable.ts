import type { ActionEvent } from '../juju/events.ts';
import { ActionFailedError, runAction, type BaseActionDeps } from './common.ts';

/*
 * Actions actions.yaml declares (runbooks call them by these names, as on the reference charm)
 * that this version does not build yet. Each fails with a message saying so, rather than
 * completing with nothing done, which an operator would read as success.
 */

/** Declared in actions.yaml, not built in this version. */
export const UNAVAILABLE_ACTIONS = [
  'create-replication',
  'pre-upgrade-check',
  'resume-upgrade',
] as const;

export function unavailableActionMessage(action: string): string {
  return `${action} is not available in this version of the charm`;
}

/** Fail the action with the not-available message; nothing else is touched. */
export async function failUnavailableAction(event: ActionEvent, deps: Pick<BaseActionDeps, 'tools' | 'logger'>): Promise<void> {
  await runAction(deps, async () => {
    throw new ActionFailedError(unavailableActionMessage(event.action), { code: 'unsupported' });
  });
}
