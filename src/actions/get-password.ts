import * as z from 'zod/mini';
import '../zod-setup.ts';
import type { ActionEvent } from '../juju/events.ts';
import { passwordKey, type SecretStore } from '../state/secrets.ts';
import { OPERATOR_USER } from '../workload/users.ts';
import { actionParams, ActionFailedError, runAction, type BaseActionDeps } from './common.ts';
import { isPasswordUser, LDAP_UNKNOWN_USER_MESSAGE, unknownUserMessage } from './passwords.ts';

export interface GetPasswordDeps extends BaseActionDeps {
  readonly secrets: Pick<SecretStore, 'get'>;
  /** Whether LDAP is enabled (only changes the wording for a non-system user). */
  ldapEnabled?(): Promise<boolean>;
}

const paramsSchema = z.looseObject({ username: z.optional(z.string()) });

/**
 * `get-password`: the stored password of a system user or of the Patroni REST user. Any unit
 * may run it (every unit reads the application secret). Unlike the reference, a missing
 * password (the reference never stored `backup`'s) fails instead of returning `None`.
 */
export async function getPassword(_event: ActionEvent, deps: GetPasswordDeps): Promise<void> {
  await runAction(deps, async () => {
    const { username = OPERATOR_USER } = await actionParams(deps.tools, paramsSchema);
    if (!isPasswordUser(username)) {
      if (await deps.ldapEnabled?.()) throw new ActionFailedError(LDAP_UNKNOWN_USER_MESSAGE);
      throw new ActionFailedError(unknownUserMessage(username));
    }
    const password = await deps.secrets.get('app', passwordKey(username));
    if (password === undefined) {
      throw new ActionFailedError(
        `The password of ${username} is not set yet: the leader unit creates it when it sets up the cluster; retry once the application is active`,
        { code: 'password-not-set' },
      );
    }
    deps.logger.info({ username }, 'returning a stored password');
    await deps.tools.actionSet({ password });
  });
}
