import type { GetPasswordDeps } from './get-password.ts';
import type { PromoteDeps } from './promote-to-primary.ts';
import type { SetPasswordDeps } from './set-password.ts';

export { ActionFailedError, runAction, type ActionTools, type Awaitable, type BaseActionDeps } from './common.ts';
export { getPassword, type GetPasswordDeps } from './get-password.ts';
export { CLUSTER_UNREACHABLE_MESSAGE, getPrimary, type PatroniActionDeps } from './get-primary.ts';
export { newPassword, unknownUserMessage } from './passwords.ts';
export * from './promote-to-primary.ts';
export * from './set-password.ts';

/** Everything the actions need; src/handlers/index.ts builds it from the hook's CharmContext. */
export type ActionDeps = GetPasswordDeps & SetPasswordDeps & PromoteDeps;
