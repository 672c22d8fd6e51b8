import { describe, expect, it } from 'vitest';
import { formatBackupList, listBackups, parseBackupLabel, parseInfo, parseTimelines } from '../../../src/backups/catalog.ts';
import { extractErrorMessage, isS3BlockMessage } from '../../../src/backups/messages.ts';
import { renderPgbackrestConf, restoreProcessMax } from '../../../src/backups/pgbackrest-conf.ts';
import { parsePsqlTimestamp, planRestore } from '../../../src/backups/restore-plan.ts';
import { decodeS3Value, missingParametersMessage, readS3Parameters, regionalEndpoint } from '../../../src/backups/s3-parameters.ts';
import { EXPECTED_TABLE, INFO_JSON, TIMELINES_JSON } from './fixtures.ts';

const BAG = { bucket: 'pg-backups', 'access-key': 'AKIA', 'secret-key': 'sekret' };

describe('s3 parameters', () => {
  it('decodes values as data_platform_libs does: JSON when it parses, Python str() for scalars', () => {
    expect(decodeS3Value('plain')).toBe('plain');
    expect(decodeS3Value('"quoted"')).toBe('quoted');
    expect(decodeS3Value('7')).toBe('7');
    expect(decodeS3Value('12345678901234567890')).toBe('12345678901234567890');
    expect(decodeS3Value('true')).toBe('True');
    expect(decodeS3Value('["a", "b"]')).toEqual(['a', 'b']);
    expect(decodeS3Value('0123')).toBe('0123');
  });

  it('fills in the defaults and normalises endpoint, path and bucket', () => {
    expect(readS3Parameters(BAG)).toEqual({
      kind: 'ok',
      parameters: {
        bucket: 'pg-backups',
        accessKey: 'AKIA',
        secretKey: 'sekret',
        endpoint: 'https://s3.amazonaws.com',
        path: '/',
        uriStyle: 'host',
        deleteOlderThanDays: '9999999',
      },
    });
    const read = readS3Parameters({
      ...BAG,
      bucket: ' /pg-backups/ ',
      endpoint: 'https://s3.sandbox.internal:4568//',
      path: '/cluster-a/',
      region: 'eu-west-1',
      's3-uri-style': 'path',
      'delete-older-than-days': '7',
      'tls-ca-chain': JSON.stringify(['-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----']),
      'storage-class': 'GLACIER',
    });
    expect(read).toEqual({
      kind: 'ok',
      parameters: {
        bucket: 'pg-backups',
        accessKey: 'AKIA',
        secretKey: 'sekret',
        endpoint: 'https://s3.sandbox.internal:4568',
        path: '/cluster-a',
        region: 'eu-west-1',
        uriStyle: 'path',
        deleteOlderThanDays: '7',
        tlsCaChain: ['-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----'],
      },
    });
  });

  it('names the missing required keys in the reference order and format', () => {
    const read = readS3Parameters({ endpoint: 'https://x' });
    expect(read).toEqual({ kind: 'missing', missing: ['bucket', 'access-key', 'secret-key'] });
    expect(missingParametersMessage(['bucket', 'access-key', 'secret-key'])).toBe("Missing S3 parameters: ['bucket', 'access-key', 'secret-key']");
    expect(readS3Parameters({ bucket: 'b', 'access-key': 'a', 'secret-key': ' ' })).toEqual({ kind: 'missing', missing: ['secret-key'] });
  });

  it('uses the regional AWS endpoint for the charm\'s own requests, other endpoints as given', () => {
    expect(regionalEndpoint({ endpoint: 'https://s3.amazonaws.com', region: 'us-east-1' })).toBe('https://s3.us-east-1.amazonaws.com');
    expect(regionalEndpoint({ endpoint: 'https://minio.local:9000', region: 'us-east-1' })).toBe('https://minio.local:9000');
    expect(regionalEndpoint({ endpoint: 'https://s3.amazonaws.com' })).toBe('https://s3.amazonaws.com');
  });
});

describe('pgbackrest.conf', () => {
  const parameters = {
    bucket: 'b',
    accessKey: 'AK',
    secretKey: 'SK',
    endpoint: 'https://s3.sandbox.internal:4568',
    path: '/p',
    uriStyle: 'path',
    deleteOlderThanDays: '9999999',
  };
  it('renders the reference\'s options, the CA file only when there is one', () => {
    const text = renderPgbackrestConf({ parameters, stanza: 'm.patroni-pg', pgdata: '/data/pgdata', logPath: '/var/log/pgbackrest', user: 'backup', cpuCores: 4 });
    expect(text).toBe(
      [
        '[global]',
        'backup-standby=y',
        'log-level-stderr=warn',
        'compress-type=zst',
        'repo1-retention-full-type=time',
        'repo1-retention-full=9999999',
        'repo1-retention-history=365',
        'repo1-type=s3',
        'repo1-path=/p',
        'repo1-s3-region=""',
        'repo1-s3-endpoint=https://s3.sandbox.internal:4568',
        'repo1-s3-bucket=b',
        'repo1-s3-uri-style=path',
        'repo1-s3-key=AK',
        'repo1-s3-key-secret=SK',
        'repo1-block=y',
        'repo1-bundle=y',
        'log-path=/var/log/pgbackrest',
        'start-fast=y',
        '',
        '[m.patroni-pg]',
        'pg1-path=/data/pgdata',
        'pg1-user=backup',
        '',
        '[global:restore]',
        'process-max=2',
        '',
      ].join('\n'),
    );
    const withCa = renderPgbackrestConf({ parameters: { ...parameters, region: 'r1' }, stanza: 's', pgdata: '/d', logPath: '/l', user: 'backup', cpuCores: 1, caFile: '/data/ca.crt' });
    expect(withCa).toContain('\nrepo1-s3-region=r1\n');
    expect(withCa).toContain('\nrepo1-s3-uri-style=path\nrepo1-s3-ca-file=/data/ca.crt\nrepo1-s3-key=AK\n');
    const without = renderPgbackrestConf({ parameters, stanza: 's', pgdata: '/d', logPath: '/l', user: 'backup', cpuCores: 1, blockIncremental: false });
    expect(without).not.toContain('repo1-block');
    expect(without).toContain('\nrepo1-bundle=y\n');
    expect(restoreProcessMax(1)).toBe(1);
    expect(restoreProcessMax(8)).toBe(6);
  });

  it('refuses a value that would break out of its line', () => {
    expect(() =>
      renderPgbackrestConf({ parameters: { ...parameters, secretKey: 'x\nrepo1-path=/evil' }, stanza: 's', pgdata: '/d', logPath: '/l', user: 'backup', cpuCores: 1 }),
    ).toThrow(/one line/);
  });
});

describe('list-backups', () => {
  it('prints the reference\'s table byte for byte for a fixed pgBackRest answer', () => {
    const stanzas = parseInfo(INFO_JSON);
    const table = formatBackupList({
      bucket: 'pg-backups',
      path: '/cluster-a',
      stanzaName: 'test.patroni-pg',
      backups: listBackups(stanzas, { showFailed: true }),
      timelines: parseTimelines(TIMELINES_JSON),
    });
    expect(table).toBe(EXPECTED_TABLE);
  });

  it('keeps the system id\'s digits and leaves failed backups out unless asked', () => {
    const [stanza] = parseInfo(INFO_JSON);
    expect(stanza?.systemIds).toEqual(['7319483948123456789']);
    expect(listBackups(parseInfo(INFO_JSON), { showFailed: false }).map((b) => b.label)).toEqual([
      '20240102-030405F',
      '20240102-030405F_20240102-040000D',
      '20240102-030405F_20240103-101010I',
    ]);
    expect(listBackups(parseInfo('[]'), { showFailed: true })).toEqual([]);
  });

  it('parses labels and refuses unknown ones', () => {
    expect(parseBackupLabel('20240102-030405F')).toEqual({ id: '2024-01-02T03:04:05Z', type: 'full' });
    expect(parseBackupLabel('20240102-030405F_20240103-101010I')).toEqual({ id: '2024-01-03T10:10:10Z', type: 'incremental' });
    expect(() => parseBackupLabel('backup.history')).toThrow(/Unknown label/);
    expect(() => parseInfo('not json')).toThrow(/did not print JSON/);
  });
});

describe('pgBackRest error hints', () => {
  it('keeps ERROR/WARN lines from the marker on, else the last line, at most 120 characters', () => {
    const stderr = 'P00   WARN: repo1: [FileMissingError] unable to load info\nP00  ERROR: [055]: unable to load info file\n';
    expect(extractErrorMessage(stderr)).toBe('WARN: repo1: [FileMissingError] unable to load info; ERROR: [055]: unable to load info file');
    expect(extractErrorMessage('one\ntwo')).toBe('two');
    expect(extractErrorMessage(`ERROR: ${'x'.repeat(200)}`)?.length).toBe(120);
    expect(extractErrorMessage('', { forStatus: true })).toBeUndefined();
    expect(extractErrorMessage(undefined)).toBe('Unknown error occurred. Please check the logs at /var/log/pgbackrest');
    expect(isS3BlockMessage('failed to initialize stanza, check your S3 settings: ERROR: [039]')).toBe(true);
    expect(isS3BlockMessage('Configuration Error')).toBe(false);
  });
});

describe('restore plan', () => {
  const stanzas = parseInfo(INFO_JSON);
  const backups = listBackups(stanzas, { showFailed: false });
  const timelines = parseTimelines(TIMELINES_JSON);
  const now = Date.parse('2024-02-01T00:00:00Z');

  it('restores a backup by id to its end', () => {
    expect(planRestore({ backupId: '2024-01-02T04:00:00Z' }, backups, timelines, now)).toEqual({
      kind: 'restore',
      plan: { restoringBackup: '20240102-030405F_20240102-040000D', restoreStanza: 'test.patroni-pg', restoreTimeline: '', restoreToTime: '' },
    });
  });

  it('restores to a time from the nearest backup or restore before it, on that timeline', () => {
    expect(planRestore({ restoreToTime: '2024-01-02 13:00:00' }, backups, timelines, now)).toEqual({
      kind: 'restore',
      plan: { restoringBackup: '', restoreStanza: 'test.patroni-pg', restoreTimeline: '2', restoreToTime: '2024-01-02 13:00:00' },
    });
    // 05:00 at +02:00 is 03:00 UTC, before every backup but the first full one.
    expect(planRestore({ restoreToTime: '2024-01-02 05:30:00+02' }, backups, timelines, now)).toMatchObject({ plan: { restoreTimeline: '1' } });
    expect(planRestore({ restoreToTime: 'latest' }, backups, timelines, now)).toMatchObject({ plan: { restoreTimeline: '2', restoreToTime: 'latest' } });
  });

  it('takes a backup id and a time together: that backup, replayed to the time', () => {
    expect(planRestore({ backupId: '2024-01-02T03:04:05Z', restoreToTime: '2024-01-02 03:30:00' }, backups, timelines, now)).toMatchObject({
      plan: { restoringBackup: '20240102-030405F', restoreTimeline: '1', restoreToTime: '2024-01-02 03:30:00' },
    });
  });

  it.each([
    [{}, 'Either backup-id or restore-to-time parameters need to be provided to be able to do restore'],
    [{ backupId: '2023-01-01T00:00:00Z' }, 'Invalid backup-id: 2023-01-01T00:00:00Z'],
    [{ backupId: '2024-01-04T00:00:01Z' }, 'Invalid backup-id: 2024-01-04T00:00:01Z'],
    [{ backupId: '2024-01-02T12:53:20Z' }, 'Cannot restore to the timeline without restore-to-time parameter'],
    [{ restoreToTime: '2023-12-31 00:00:00' }, "Can't find the nearest timeline before timestamp 2023-12-31 00:00:00 to restore"],
  ])('refuses %j: %s', (params, message) => {
    expect(planRestore(params, backups, timelines, now)).toEqual({ kind: 'fail', message });
  });

  it('refuses a malformed or future timestamp, saying what to give instead', () => {
    for (const bad of ['2024-01-02T13:00:00Z', '2024-13-02 00:00:00', '2024-02-30 00:00:00', 'yesterday']) {
      const decision = planRestore({ restoreToTime: bad }, backups, timelines, now);
      expect(decision.kind).toBe('fail');
      expect(decision.kind === 'fail' && decision.message).toMatch(/^Bad restore-to-time format: .*'latest' or a PostgreSQL timestamp/);
    }
    const future = planRestore({ restoreToTime: '2024-03-01 00:00:00' }, backups, timelines, now);
    expect(future).toEqual({ kind: 'fail', message: "restore-to-time 2024-03-01 00:00:00 is in the future: no WAL reaches it yet; give a time that has passed, or 'latest'" });
  });

  it('refuses latest when the newest timeline has no base backup', () => {
    const onlyFirst = backups.filter((b) => b.timeline === '1');
    expect(planRestore({ restoreToTime: 'latest' }, onlyFirst, timelines, now)).toEqual({ kind: 'fail', message: 'There is no base backup created from the latest timeline' });
  });

  it('parses PostgreSQL timestamps with fractions and offsets', () => {
    expect(parsePsqlTimestamp('2024-01-02 03:04:05')).toBe(Date.parse('2024-01-02T03:04:05Z'));
    expect(parsePsqlTimestamp('2024-01-02 03:04:05.5-0130')).toBe(Date.parse('2024-01-02T04:34:05.500Z'));
    expect(parsePsqlTimestamp('2024-01-02 03:04:05+01:00')).toBe(Date.parse('2024-01-02T02:04:05Z'));
    expect(parsePsqlTimestamp('2024-01-02 24:00:00')).toBeUndefined();
  });
});

describe('point-in-time restore failure', () => {
  it('is seen in patroni.log after the restore started, not in an older failure', async () => {
    const { bootstrapFailedSince, PATRONI_BOOTSTRAP_FAILED } = await import('../../../src/handlers/reconcile/restore-progress.ts');
    const before = `2024-01-01 INFO: ${PATRONI_BOOTSTRAP_FAILED}\n`;
    expect(bootstrapFailedSince(`${before}2024-01-02 INFO: no action\n`, before.length)).toBe(false);
    expect(bootstrapFailedSince(`${before}2024-01-02 INFO: ${PATRONI_BOOTSTRAP_FAILED}\n`, before.length)).toBe(true);
    // A rotated (shorter) log is read whole.
    expect(bootstrapFailedSince(`x INFO: ${PATRONI_BOOTSTRAP_FAILED}`, 10_000)).toBe(true);
  });
});
