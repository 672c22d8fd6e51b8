/**
 * Failures a later hook will most likely not see: a peer or the container briefly unreachable,
 * a service change that failed, PostgreSQL not accepting connections yet. The reconcile turns
 * these into a Waiting status and leaves the work to the next hook (at the latest update-status)
 * instead of failing the hook, which would put the unit in error and hold back every other hook.
 */
import { isConnectionFailure } from '../../../lib/postgresql/index.ts';
import { PatroniApiError, PatroniAuthError, PatroniUnreachableError } from '../../patroni/index.ts';
import { ChangeError, PebbleConnectionError, PebbleTimeoutError } from '../../pebble/index.ts';

export function isTransientFailure(error: unknown): boolean {
  if (error instanceof PatroniUnreachableError) return true;
  // 401 right after a REST password rotation: Patroni applies the new one on its next loop.
  if (error instanceof PatroniAuthError) return true;
  if (error instanceof PatroniApiError) return error.status >= 500;
  if (error instanceof PebbleConnectionError || error instanceof PebbleTimeoutError || error instanceof ChangeError) return true;
  return isConnectionFailure(error);
}
