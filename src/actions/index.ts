import type { Dispatcher } from '../juju/dispatcher.ts';
import { getPassword } from './get-password.ts';
import { getPrimary } from './get-primary.ts';
import { promoteToPrimary, type PromoteDeps, type PromoteOptions } from './promote-to-primary.ts';
import { setPassword, type SetPasswordDeps, type SetPasswordOptions } from './set-password.ts';

export { ActionFailedError, runAction, type ActionTools, type Awaitable, type BaseActionDeps } from './common.ts';
export { getPassword, type GetPasswordDeps } from './get-password.ts';
export { CLUSTER_UNREACHABLE_MESSAGE, getPrimary, type PatroniActionDeps } from './get-primary.ts';
export { newPassword, unknownUserMessage } from './passwords.ts';
export * from './promote-to-primary.ts';
export * from './set-password.ts';

/** Everything the password and primary actions need; CharmContext is meant to satisfy it. */
export type ActionDeps = SetPasswordDeps & PromoteDeps;

export interface RegisterActionsOptions {
  setPassword?: SetPasswordOptions;
  promoteToPrimary?: PromoteOptions;
}

/**
 * Route `get-password`, `set-password`, `get-primary` and `promote-to-primary` to their
 * handlers. `depsOf` adapts the dispatcher's context (e.g. `(charm) => charm` for CharmContext).
 */
export function registerActions<C>(
  dispatcher: Dispatcher<C>,
  depsOf: (context: C) => ActionDeps,
  options: RegisterActionsOptions = {},
): Dispatcher<C> {
  return dispatcher
    .on('action', 'get-password', (event, context) => getPassword(event, depsOf(context)))
    .on('action', 'set-password', (event, context) => setPassword(event, depsOf(context), options.setPassword))
    .on('action', 'get-primary', (event, context) => getPrimary(event, depsOf(context)))
    .on('action', 'promote-to-primary', (event, context) => promoteToPrimary(event, depsOf(context), options.promoteToPrimary));
}
