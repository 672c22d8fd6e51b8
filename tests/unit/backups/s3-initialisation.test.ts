import { describe, expect, it } from 'vitest';
import type { StartedCommand } from '../../../src/clients/workload-pebble.ts';
import { initialiseS3Repository, MODEL_UUID_OBJECT } from '../../../src/backups/s3-initialisation.ts';
import type { S3Objects } from '../../../src/backups/s3-client.ts';
import type { S3Parameters } from '../../../src/backups/s3-parameters.ts';
import { ExecError } from '../../../src/pebble/errors.ts';
import { createLogger } from '../../../src/logging.ts';

const PARAMETERS: S3Parameters = { bucket: 'b', accessKey: 'a', secretKey: 's', endpoint: 'https://s3.test', path: '/p', uriStyle: 'path', deleteOlderThanDays: '9999999' };
const STANZA = 'model.patroni-pg';
const INPUT = { parameters: PARAMETERS, stanza: STANZA, modelUuid: 'uuid-1', systemId: '7300000000000000001' };
const logger = createLogger({ level: 'silent' });

type Answer = { stdout?: string } | { exit: number; stderr: string };

/** pgbackrest answers by subcommand; records what ran. */
function workload(answers: Record<string, Answer | Answer[]>) {
  const ran: string[] = [];
  return {
    ran,
    pebble: {
      async exec(command: readonly string[]): Promise<StartedCommand> {
        const sub = command[command.length - 1] === 'json' ? 'info' : (command.find((part) => ['stanza-create', 'check', 'info'].includes(part)) ?? command.slice(1).join(' '));
        const key = command.includes('info') ? 'info' : sub;
        ran.push(key);
        const entry = answers[key];
        const answer = Array.isArray(entry) ? (entry.length > 1 ? entry.shift() : entry[0]) : entry;
        return {
          waitOutput: async () => {
            if (answer !== undefined && 'exit' in answer) throw new ExecError([...command], answer.exit, '', answer.stderr);
            return { stdout: answer?.stdout ?? '', stderr: '' };
          },
        };
      },
    },
  };
}

function bucket(options: { head?: number; createFails?: boolean; objects?: Record<string, string> } = {}) {
  const objects = { ...options.objects };
  let head = options.head ?? 200;
  const s3: S3Objects = {
    headBucket: async () => head,
    createBucket: async () => {
      if (options.createFails) throw new Error('403');
      head = 200;
    },
    getObject: async (key) => objects[key],
    putObject: async (key, body) => {
      objects[key] = body;
    },
  };
  return { s3, objects };
}

const enableArchiving = async () => undefined;
const fast = { attempts: 2, delayMs: 1 };
const checkRetry = { attempts: 5, delayMs: 1 };

describe('connecting the cluster to its S3 repository', () => {
  it('creates a missing bucket, the stanza, checks it and records this model', async () => {
    const { pebble, ran } = workload({ info: { stdout: '[]' } });
    const { s3, objects } = bucket({ head: 404 });
    const switched: string[] = [];
    const result = await initialiseS3Repository({ pebble, s3, logger, retry: fast, checkRetry, enableArchiving: async (s) => void switched.push(s) }, INPUT);
    expect(result).toEqual({ kind: 'ok' });
    expect(ran).toEqual(['info', 'stanza-create', 'check']);
    expect(switched).toEqual([STANZA]);
    expect(objects[`p/${MODEL_UUID_OBJECT}`]).toBe('uuid-1');
  });

  it('blocks on a bucket it can neither read nor create', async () => {
    const { pebble, ran } = workload({});
    const { s3 } = bucket({ head: 403, createFails: true });
    const result = await initialiseS3Repository({ pebble, s3, logger, retry: fast, checkRetry, enableArchiving }, INPUT);
    expect(result).toEqual({ kind: 'blocked', message: 'failed to access/create the bucket, check your S3 settings' });
    expect(ran).toEqual([]);
  });

  it('blocks on a repository another model wrote, or another stanza, or another database', async () => {
    const other = bucket({ objects: { [`p/${MODEL_UUID_OBJECT}`]: 'uuid-2' } });
    expect(await initialiseS3Repository({ ...workload({}), s3: other.s3, logger, retry: fast, checkRetry, enableArchiving }, INPUT)).toEqual({
      kind: 'blocked',
      message: 'the S3 repository has backups from another cluster',
    });
    const otherStanza = workload({ info: { stdout: '[{"name":"x.patroni-other","db":[],"backup":[]}]' } });
    expect(await initialiseS3Repository({ pebble: otherStanza.pebble, s3: bucket().s3, logger, retry: fast, checkRetry, enableArchiving }, INPUT)).toMatchObject({
      message: 'the S3 repository has backups from another cluster',
    });
    const otherDb = workload({ info: { stdout: `[{"name":"${STANZA}","db":[{"id":1,"system-id":7300000000000000002}],"backup":[]}]` } });
    expect(await initialiseS3Repository({ pebble: otherDb.pebble, s3: bucket().s3, logger, retry: fast, checkRetry, enableArchiving }, INPUT)).toMatchObject({
      message: 'the S3 repository has backups from another cluster',
    });
  });

  it('blocks with pgBackRest\'s hint when the stanza cannot be created, after retrying', async () => {
    const failing = { exit: 39, stderr: 'P00  ERROR: [039]: HTTP request failed with 403 (Forbidden)' };
    const { pebble, ran } = workload({ info: { stdout: '[]' }, 'stanza-create': failing });
    const result = await initialiseS3Repository({ pebble, s3: bucket().s3, logger, retry: fast, checkRetry, enableArchiving }, INPUT);
    expect(result).toEqual({ kind: 'blocked', message: 'failed to initialize stanza, check your S3 settings: ERROR: [039]: HTTP request failed with 403 (Forbidden)' });
    expect(ran).toEqual(['info', 'stanza-create', 'stanza-create']);
  });

  it('retries check until archiving has taken effect', async () => {
    const notYet = { exit: 87, stderr: "ERROR: [087]: archive_command '/bin/true' must contain pgbackrest" };
    const { pebble, ran } = workload({ info: { stdout: '[]' }, check: [notYet, notYet, { stdout: '' }] });
    const result = await initialiseS3Repository({ pebble, s3: bucket().s3, logger, retry: fast, checkRetry, enableArchiving }, INPUT);
    expect(result).toEqual({ kind: 'ok' });
    expect(ran.filter((c) => c === 'check')).toHaveLength(3);
  });
});
