import type * as z from 'zod/mini';
import { CharmError, errorCode, errorMessage } from '../errors.ts';
import type { HookTools } from '../juju/hook-tools.ts';
import type { Logger } from '../logging.ts';

/*
 * What every action shares: the hook tools it may use, a failure type carrying the exact message
 * the user sees, and param parsing that turns a bad param into such a failure.
 */

export type Awaitable<T> = T | Promise<T>;

/** The action hook tools (a HookTools instance). */
export type ActionTools = Pick<HookTools, 'actionGet' | 'actionSet' | 'actionFail' | 'actionLog' | 'isLeader'>;

/** Dependencies every action takes; CharmContext satisfies them. */
export interface BaseActionDeps {
  readonly tools: ActionTools;
  readonly logger: Logger;
  readonly unitName: string;
  readonly appName: string;
}

/**
 * An expected failure: `message` is shown to the user verbatim through `action-fail` (no
 * "action x failed:" prefix), so it must name the problem and the fix, and never a password.
 */
/** Why an action failed, for logs and tests (the user sees the message). */
export type ActionErrorCode =
  | 'action-failed'
  | 'cluster-not-ready'
  | 'cluster-unreachable'
  | 'invalid-action-params'
  | 'no-primary'
  | 'not-leader'
  | 'not-sync-standby'
  | 'password-change-failed'
  | 'password-not-set'
  | 'password-store-failed'
  | 'rotation-incomplete'
  | 'switchover-failed'
  | 'unsupported';

export class ActionFailedError extends CharmError<ActionErrorCode> {
  constructor(message: string, options?: { cause?: unknown; code?: ActionErrorCode }) {
    super(options?.code ?? 'action-failed', message, options);
  }
}

/**
 * Run an action body: an ActionFailedError becomes `action-fail` with its message and the
 * process carries on (Juju then commits what the action wrote before failing); anything else
 * propagates to the dispatcher, which reports it as an unexpected failure.
 */
export async function runAction(deps: Pick<BaseActionDeps, 'tools' | 'logger'>, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (!(error instanceof ActionFailedError)) throw error;
    const cause = error.cause;
    deps.logger.warn(
      { code: error.code, ...(cause === undefined ? {} : { causeCode: errorCode(cause), cause: errorMessage(cause) }) },
      error.message,
    );
    await deps.tools.actionFail(error.message);
  }
}

/** Validate `action-get`'s params; the first problem becomes the failure message. */
export async function actionParams<S extends z.ZodMiniType>(tools: ActionTools, schema: S): Promise<z.infer<S>> {
  const parsed = schema.safeParse(await tools.actionGet());
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const param = issue?.path.join('.') ?? '';
  throw new ActionFailedError(`Invalid parameter ${JSON.stringify(param)}: ${issue?.message ?? 'invalid value'}`, { code: 'invalid-action-params' });
}
