import { describe, expect, it } from 'vitest';
import { parseDispatchContext } from '../../../src/juju/context.ts';
import { classifyDispatchPath } from '../../../src/juju/dispatch-path.ts';
import { eventEntity, eventFromContext, isRestrictedEvent, type CharmEvent } from '../../../src/juju/events.ts';
import { referenceMetadata } from './charm-metadata.ts';
import { actionEnv, baseEnv, relationEnv, secretEnv, storageEnv, workloadEnv, type Env } from './dispatch-env.ts';

const metadata = referenceMetadata();

const relation = (endpoint: string, hook: 'created' | 'joined' | 'changed' | 'departed' | 'broken', role: string, iface: string) => ({
  kind: `relation-${hook}`,
  endpoint,
  role,
  interface: iface,
  relation: { endpoint, id: 7 },
  remoteApp: 'pgbouncer-k8s',
  remoteUnit: hook === 'created' || hook === 'broken' ? undefined : 'pgbouncer-k8s/1',
  departingUnit: hook === 'departed' ? 'pgbouncer-k8s/1' : undefined,
});

/** Every kind of dispatch path (docs/hook-tools.md#dispatch), with the event it must become. */
const table: [string, Env, CharmEvent | Record<string, unknown>][] = [
  ...(
    [
      'install',
      'start',
      'stop',
      'remove',
      'config-changed',
      'update-status',
      'upgrade-charm',
      'leader-elected',
      'leader-settings-changed',
      'leader-deposed',
      'collect-metrics',
      'meter-status-changed',
    ] as const
  ).map((hook): [string, Env, CharmEvent] => [`hooks/${hook}`, baseEnv(`hooks/${hook}`), { kind: hook }]),
  ['hooks/pre-series-upgrade', baseEnv('hooks/pre-series-upgrade', { JUJU_TARGET_BASE: 'ubuntu@22.04' }), { kind: 'pre-series-upgrade', targetBase: 'ubuntu@22.04' }],
  ['hooks/post-series-upgrade', baseEnv('hooks/post-series-upgrade'), { kind: 'post-series-upgrade' }],
  ['hooks/secret-changed', secretEnv('changed'), { kind: 'secret-changed', secretId: 'secret:cs8b2dvmp25c76a1p2k0', label: 'database-peers.postgresql-k8s.app' }],
  ['hooks/secret-rotate', secretEnv('rotate', { JUJU_SECRET_LABEL: '' }), { kind: 'secret-rotate', secretId: 'secret:cs8b2dvmp25c76a1p2k0' }],
  ['hooks/secret-expired', secretEnv('expired'), { kind: 'secret-expired', secretId: 'secret:cs8b2dvmp25c76a1p2k0', label: 'database-peers.postgresql-k8s.app', revision: 3 }],
  ['hooks/secret-remove', secretEnv('remove'), { kind: 'secret-remove', secretId: 'secret:cs8b2dvmp25c76a1p2k0', label: 'database-peers.postgresql-k8s.app', revision: 3 }],
  ['peer endpoint with a hyphen', relationEnv('database-peers', 'changed'), relation('database-peers', 'changed', 'peer', 'postgresql_peers')],
  ['requires endpoint with a hyphen', relationEnv('s3-parameters', 'joined'), relation('s3-parameters', 'joined', 'requires', 's3')],
  ['provides endpoint, created', relationEnv('database', 'created'), relation('database', 'created', 'provides', 'postgresql_client')],
  ['db-admin departed', relationEnv('db-admin', 'departed'), relation('db-admin', 'departed', 'provides', 'pgsql')],
  ['certificates broken', relationEnv('certificates', 'broken'), relation('certificates', 'broken', 'requires', 'tls-certificates')],
  ['endpoint named like a storage hook', relationEnv('data-storage', 'changed'), relation('data-storage', 'changed', 'provides', 'odd_name')],
  ['hooks/pgdata-storage-attached', storageEnv('pgdata', 'attached'), { kind: 'storage-attached', storage: 'pgdata', index: 0, location: '/var/lib/juju/storage/pgdata/0', storageKind: 'filesystem' }],
  ['hooks/pgdata-storage-detaching', storageEnv('pgdata', 'detaching', { JUJU_STORAGE_LOCATION: '', JUJU_STORAGE_KIND: '' }), { kind: 'storage-detaching', storage: 'pgdata', index: 0 }],
  ['hooks/postgresql-pebble-ready', workloadEnv('postgresql', 'pebble-ready'), { kind: 'pebble-ready', container: 'postgresql' }],
  ['container named pebble', workloadEnv('pebble', 'pebble-ready'), { kind: 'pebble-ready', container: 'pebble' }],
  [
    'hooks/postgresql-pebble-custom-notice',
    workloadEnv('postgresql', 'pebble-custom-notice', { JUJU_NOTICE_ID: '12', JUJU_NOTICE_TYPE: 'custom', JUJU_NOTICE_KEY: 'canonical.com/postgresql/backup' }),
    { kind: 'pebble-custom-notice', container: 'postgresql', notice: { id: '12', type: 'custom', key: 'canonical.com/postgresql/backup' } },
  ],
  ['hooks/postgresql-pebble-check-failed', workloadEnv('postgresql', 'pebble-check-failed', { JUJU_PEBBLE_CHECK_NAME: 'ready' }), { kind: 'pebble-check-failed', container: 'postgresql', checkName: 'ready' }],
  ['hooks/postgresql-pebble-check-recovered', workloadEnv('postgresql', 'pebble-check-recovered', { JUJU_PEBBLE_CHECK_NAME: 'ready' }), { kind: 'pebble-check-recovered', container: 'postgresql', checkName: 'ready' }],
  ['actions/get-password', actionEnv('get-password'), { kind: 'action', action: 'get-password', actionId: '42' }],
  ['actions/get-primary (no params)', actionEnv('get-primary', { JUJU_ACTION_UUID: '7' }), { kind: 'action', action: 'get-primary', actionId: '7' }],
  ['hooks/some-future-hook', baseEnv('hooks/some-future-hook'), { kind: 'unknown', path: 'hooks/some-future-hook', reason: 'not a hook or action this runtime knows' }],
  ['undeclared endpoint', relationEnv('ldap', 'changed'), { kind: 'unknown', path: 'hooks/ldap-relation-changed', reason: 'endpoint "ldap" is not declared in metadata.yaml' }],
  ['undeclared storage', storageEnv('logs', 'attached'), { kind: 'unknown', path: 'hooks/logs-storage-attached', reason: 'storage "logs" is not declared in metadata.yaml' }],
  ['undeclared container', workloadEnv('sidecar', 'pebble-ready'), { kind: 'unknown', path: 'hooks/sidecar-pebble-ready', reason: 'container "sidecar" is not declared in metadata.yaml' }],
  ['undeclared action', actionEnv('resume-upgrade'), { kind: 'unknown', path: 'actions/resume-upgrade', reason: 'action "resume-upgrade" is not declared in actions.yaml' }],
];

describe('eventFromContext', () => {
  it.each(table)('%s', (_name, env, expected) => {
    const event = eventFromContext(parseDispatchContext(env), metadata);
    expect(event).toStrictEqual(expected);
  });

  it('covers every lifecycle, secret, relation, storage, workload and action kind', () => {
    const kinds = new Set(table.map(([, env]) => eventFromContext(parseDispatchContext(env), metadata).kind));
    for (const kind of [
      'relation-created', 'relation-joined', 'relation-changed', 'relation-departed', 'relation-broken',
      'storage-attached', 'storage-detaching', 'pebble-ready', 'pebble-custom-notice', 'pebble-check-failed',
      'pebble-check-recovered', 'action', 'unknown', 'secret-changed', 'secret-expired', 'secret-rotate', 'secret-remove',
    ]) {
      expect(kinds).toContain(kind);
    }
    expect(kinds.size).toBe(31);
  });

  it('names the entity of each event and flags restricted contexts', () => {
    const entity = (env: Env) => eventEntity(eventFromContext(parseDispatchContext(env), metadata));
    expect(entity(relationEnv('database-peers', 'changed'))).toBe('database-peers');
    expect(entity(storageEnv('pgdata', 'attached'))).toBe('pgdata');
    expect(entity(workloadEnv('postgresql', 'pebble-ready'))).toBe('postgresql');
    expect(entity(actionEnv('get-password'))).toBe('get-password');
    expect(entity(baseEnv('hooks/install'))).toBeUndefined();
    expect(isRestrictedEvent({ kind: 'collect-metrics' })).toBe(true);
    expect(isRestrictedEvent({ kind: 'meter-status-changed' })).toBe(true);
    expect(isRestrictedEvent({ kind: 'update-status' })).toBe(false);
  });
});

describe('classifyDispatchPath', () => {
  it.each([
    ['hooks/database-peers-relation-changed', { family: 'relation', hook: 'relation-changed', endpoint: 'database-peers' }],
    ['hooks/data-storage-relation-joined', { family: 'relation', hook: 'relation-joined', endpoint: 'data-storage' }],
    ['hooks/my-relation-storage-attached', { family: 'storage', hook: 'storage-attached', storage: 'my-relation' }],
    ['hooks/pebble-pebble-check-failed', { family: 'workload', hook: 'pebble-check-failed', container: 'pebble' }],
    ['hooks/secret-changed', { family: 'secret', hook: 'secret-changed' }],
    ['hooks/-relation-changed', { family: 'unknown' }],
    ['hooks/relation-changed', { family: 'unknown' }],
    ['actions/create-backup', { family: 'action', action: 'create-backup' }],
    ['bin/install', { family: 'unknown' }],
  ])('%s', (path, expected) => {
    expect(classifyDispatchPath(path)).toEqual(expected);
  });
});
