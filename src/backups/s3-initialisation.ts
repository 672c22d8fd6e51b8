/**
 * Connecting the cluster to its S3 repository, on the primary (reference charm `src/backups.py`:
 * `_on_s3_credential_changed_primary`, `_create_bucket_if_not_exists`, `can_use_s3_repository`,
 * `_initialise_stanza`, `check_stanza`): the bucket exists (created if missing), the repository
 * holds no other cluster's backups, the stanza is created, WAL archiving is switched on and
 * `pgbackrest check` proves a segment reaches the repository. Each failure is the reference's
 * Blocked message; the caller retries on a later hook (update-status), so it clears by itself once
 * S3 is fixed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../logging.ts';
import {
  ANOTHER_CLUSTER_REPOSITORY_ERROR_MESSAGE,
  extractErrorMessage,
  FAILED_TO_ACCESS_CREATE_BUCKET_ERROR_MESSAGE,
  FAILED_TO_INITIALIZE_STANZA_ERROR_MESSAGE,
} from './messages.ts';
import { isExecError, pgbackrest, repositoryInfo, type PgbackrestPebble } from './pgbackrest.ts';
import { objectKey, type S3Objects } from './s3-client.ts';
import type { S3Parameters } from './s3-parameters.ts';

export const MODEL_UUID_OBJECT = 'model-uuid.txt';

export type S3InitialisationResult = { readonly kind: 'ok' } | { readonly kind: 'blocked'; readonly message: string };

export interface S3InitialisationInput {
  readonly parameters: S3Parameters;
  readonly stanza: string;
  readonly modelUuid: string;
  /** This cluster's `Database system identifier` (Patroni's `database_system_identifier`). */
  readonly systemId: string | undefined;
}

export interface S3InitialisationDeps {
  readonly pebble: PgbackrestPebble;
  readonly s3: S3Objects;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Record the stanza and switch WAL archiving on (patroni.yml re-rendered, Patroni reloaded). */
  enableArchiving(stanza: string): Promise<void>;
  /** Attempts and pause of stanza-create (default 3 × 5 s; the reference: 6 × 10 s). */
  readonly retry?: { attempts: number; delayMs: number };
  /** Attempts and pause of check while Patroni reloads archive_command (default 10 × 3 s). */
  readonly checkRetry?: { attempts: number; delayMs: number };
}

function stanzaFailure(stderr: string | undefined): S3InitialisationResult {
  const hint = extractErrorMessage(stderr, { forStatus: true });
  return { kind: 'blocked', message: hint === undefined ? FAILED_TO_INITIALIZE_STANZA_ERROR_MESSAGE : `${FAILED_TO_INITIALIZE_STANZA_ERROR_MESSAGE}: ${hint}` };
}

async function bucketReady(deps: S3InitialisationDeps): Promise<boolean> {
  try {
    const status = await deps.s3.headBucket();
    if (status === 200) return true;
    deps.logger.warn({ status }, 'the S3 bucket is missing or not ours to read; creating it');
    await deps.s3.createBucket();
    return (await deps.s3.headBucket()) === 200;
  } catch (error) {
    deps.logger.error({ err: errorMessage(error) }, 'cannot access or create the S3 bucket');
    return false;
  }
}

/** Whether the repository is ours (or empty): reference `can_use_s3_repository`. */
export async function checkRepositoryOwnership(deps: Pick<S3InitialisationDeps, 'pebble' | 's3' | 'logger'>, input: S3InitialisationInput): Promise<S3InitialisationResult> {
  let recorded: string | undefined;
  try {
    recorded = await deps.s3.getObject(objectKey(input.parameters, MODEL_UUID_OBJECT));
  } catch (error) {
    deps.logger.warn({ err: errorMessage(error) }, 'cannot read the repository\'s model-uuid.txt');
  }
  if (recorded !== undefined && recorded.trim() !== '' && recorded.trim() !== input.modelUuid) {
    deps.logger.warn({ recorded: recorded.trim() }, 'the repository belongs to another model');
    return { kind: 'blocked', message: ANOTHER_CLUSTER_REPOSITORY_ERROR_MESSAGE };
  }
  let stanzas;
  try {
    stanzas = await repositoryInfo(deps.pebble);
  } catch (error) {
    deps.logger.error({ err: errorMessage(error), stderr: isExecError(error) ? error.stderr : undefined }, 'pgbackrest info failed');
    return { kind: 'blocked', message: FAILED_TO_INITIALIZE_STANZA_ERROR_MESSAGE };
  }
  for (const stanza of stanzas) {
    if (stanza.name === '[invalid]') {
      const hint = stanza.repoMessages[0];
      return { kind: 'blocked', message: hint ? `${FAILED_TO_INITIALIZE_STANZA_ERROR_MESSAGE}: ${hint.slice(0, 120)}` : FAILED_TO_INITIALIZE_STANZA_ERROR_MESSAGE };
    }
    if (stanza.name !== input.stanza) return { kind: 'blocked', message: ANOTHER_CLUSTER_REPOSITORY_ERROR_MESSAGE };
    // A stanza that exists but holds no database yet (a failed stanza-create) is ours to finish.
    if (stanza.systemIds.length > 0 && input.systemId !== undefined && !stanza.systemIds.includes(input.systemId)) {
      deps.logger.warn({ repository: stanza.systemIds, cluster: input.systemId }, 'the stanza holds another cluster\'s database');
      return { kind: 'blocked', message: ANOTHER_CLUSTER_REPOSITORY_ERROR_MESSAGE };
    }
  }
  return { kind: 'ok' };
}

async function withRetries<T>(deps: S3InitialisationDeps, run: () => Promise<T>): Promise<T> {
  const { attempts, delayMs } = deps.retry ?? { attempts: 3, delayMs: 5_000 };
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (!isExecError(error) || attempt >= attempts) throw error;
      deps.logger.warn({ attempt, stderr: error.stderr }, 'pgbackrest failed; trying again');
      await sleep(delayMs);
    }
  }
}

export async function initialiseS3Repository(deps: S3InitialisationDeps, input: S3InitialisationInput): Promise<S3InitialisationResult> {
  if (!(await bucketReady(deps))) return { kind: 'blocked', message: FAILED_TO_ACCESS_CREATE_BUCKET_ERROR_MESSAGE };
  const ownership = await checkRepositoryOwnership(deps, input);
  if (ownership.kind !== 'ok') return ownership;
  try {
    await withRetries(deps, () => pgbackrest(deps.pebble, [`--stanza=${input.stanza}`, 'stanza-create'], { timeoutMs: 120_000 }));
  } catch (error) {
    if (!isExecError(error)) throw error;
    deps.logger.error({ stdout: error.stdout, stderr: error.stderr }, 'pgbackrest stanza-create failed');
    return stanzaFailure(error.stderr);
  }
  await deps.enableArchiving(input.stanza);
  try {
    // archive_command takes effect once Patroni has reloaded: `check` fails fast until then.
    await withRetries({ ...deps, retry: deps.checkRetry ?? { attempts: 10, delayMs: 3_000 } }, () =>
      pgbackrest(deps.pebble, [`--stanza=${input.stanza}`, 'check'], { timeoutMs: 120_000 }),
    );
  } catch (error) {
    if (!isExecError(error)) throw error;
    deps.logger.error({ stdout: error.stdout, stderr: error.stderr }, 'pgbackrest check failed');
    return stanzaFailure(error.stderr);
  }
  try {
    await deps.s3.putObject(objectKey(input.parameters, MODEL_UUID_OBJECT), input.modelUuid);
  } catch (error) {
    deps.logger.warn({ err: errorMessage(error) }, 'cannot record this model in the repository (model-uuid.txt)');
  }
  deps.logger.info({ stanza: input.stanza }, 'S3 repository ready: stanza created and checked, WAL archiving on');
  return { kind: 'ok' };
}
