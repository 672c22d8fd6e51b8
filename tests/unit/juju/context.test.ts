import { describe, expect, it } from 'vitest';
import { parseDispatchContext } from '../../../src/juju/context.ts';
import { DispatchContextError } from '../../../src/juju/errors.ts';
import { isCharmError } from '../../../src/errors.ts';
import { actionEnv, baseEnv, CHARM_DIR, MODEL_UUID, relationEnv, secretEnv, storageEnv, workloadEnv, type Env } from './dispatch-env.ts';

function contextError(env: Env): DispatchContextError {
  try {
    parseDispatchContext(env);
  } catch (error) {
    expect(error).toBeInstanceOf(DispatchContextError);
    return error as DispatchContextError;
  }
  throw new Error('parseDispatchContext accepted the environment');
}

describe('parseDispatchContext: always-set variables', () => {
  it('parses a lifecycle hook environment', () => {
    const ctx = parseDispatchContext(baseEnv('hooks/install'));
    expect(ctx).toMatchObject({
      dispatchPath: 'hooks/install',
      hookName: 'install',
      target: { family: 'lifecycle', hook: 'install' },
      charmDir: CHARM_DIR,
      unitName: 'postgresql-k8s/0',
      appName: 'postgresql-k8s',
      unitNumber: 0,
      modelName: 'welcome',
      modelUuid: MODEL_UUID,
      contextId: 'postgresql-k8s/0-install-8420137741586387546',
      agentSocket: { address: '@/var/lib/juju/agents/unit-postgresql-k8s-0/agent.socket', network: 'unix' },
      apiAddresses: ['10.152.183.20:17070', '10.152.183.21:17070'],
      debug: false,
      debugAt: [],
      proxy: {},
    });
    expect(ctx.jujuVersion).toMatchObject({ major: 3, minor: 6, patch: 8, tag: '' });
    // Empty strings are "unset" for optional variables.
    expect(ctx.machineId).toBeUndefined();
    expect(ctx.principalUnit).toBeUndefined();
    expect(ctx.availabilityZone).toBeUndefined();
    expect(ctx.trace).toBeUndefined();
    expect(ctx.relation).toBeUndefined();
    expect(ctx.action).toBeUndefined();
  });

  it('splits multi-digit unit numbers and hyphenated app names', () => {
    const ctx = parseDispatchContext(baseEnv('hooks/start', { JUJU_UNIT_NAME: 'my-pg-2/13' }));
    expect([ctx.appName, ctx.unitNumber]).toEqual(['my-pg-2', 13]);
  });

  it('reads optional variables when set', () => {
    const ctx = parseDispatchContext(
      baseEnv('hooks/config-changed', {
        JUJU_MACHINE_ID: '3',
        JUJU_PRINCIPAL_UNIT: 'ubuntu/1',
        JUJU_AVAILABILITY_ZONE: 'zone-a',
        JUJU_CHARM_HTTPS_PROXY: 'http://proxy:3128',
        JUJU_CHARM_NO_PROXY: '127.0.0.1,localhost',
        JUJU_DEBUG: '',
        JUJU_DEBUG_AT: 'all, hook',
        JUJU_TRACE_ID: '4bf92f3577b34da6a3ce929d0e0e4736',
        JUJU_SPAN_ID: '00f067aa0ba902b7',
        JUJU_TRACE_FLAGS: '01',
        JUJU_AGENT_SOCKET_NETWORK: 'tcp',
        JUJU_VERSION: '3.1-beta1',
      }),
    );
    expect(ctx.machineId).toBe('3');
    expect(ctx.principalUnit).toBe('ubuntu/1');
    expect(ctx.availabilityZone).toBe('zone-a');
    expect(ctx.proxy).toEqual({ https: 'http://proxy:3128', noProxy: '127.0.0.1,localhost' });
    expect(ctx.debug).toBe(true); // presence, like ops
    expect(ctx.debugAt).toEqual(['all', 'hook']);
    expect(ctx.trace).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', flags: '01' });
    expect(ctx.agentSocket?.network).toBe('tcp');
    expect(ctx.jujuVersion).toMatchObject({ major: 3, minor: 1, patch: 1, tag: 'beta' });
  });

  it('falls back from JUJU_CHARM_DIR to CHARM_DIR to the working directory', () => {
    expect(parseDispatchContext(baseEnv('hooks/install', { JUJU_CHARM_DIR: '', CHARM_DIR: '/srv/charm' })).charmDir).toBe('/srv/charm');
    expect(parseDispatchContext(baseEnv('hooks/install', { JUJU_CHARM_DIR: undefined, CHARM_DIR: undefined })).charmDir).toBe(process.cwd());
  });

  it.each(['JUJU_DISPATCH_PATH', 'JUJU_HOOK_NAME', 'JUJU_MODEL_NAME', 'JUJU_MODEL_UUID', 'JUJU_UNIT_NAME', 'JUJU_VERSION'])(
    'requires %s, as ops strict parser does',
    (variable) => {
      const error = contextError(baseEnv('hooks/install', { [variable]: undefined }));
      expect(error.code).toBe('invalid-dispatch-context');
      expect(isCharmError(error, 'invalid-dispatch-context')).toBe(true);
      expect(error.variable).toBe(variable);
      expect(error.value).toBeUndefined();
      expect(error.message).toContain(`${variable} is not set; expected`);
    },
  );

  it('does not require JUJU_VERSION in meter-status-changed, where Juju does not set it', () => {
    const ctx = parseDispatchContext(baseEnv('hooks/meter-status-changed', { JUJU_VERSION: undefined, JUJU_METER_STATUS: 'GREEN' }));
    expect(ctx.jujuVersion).toBeUndefined();
    expect(ctx.meter).toEqual({ status: 'GREEN' });
  });

  it.each([
    ['JUJU_DISPATCH_PATH', 'install', '"hooks/<hook-name>" or "actions/<action-name>"'],
    ['JUJU_DISPATCH_PATH', 'hooks/a/b', '"hooks/<hook-name>"'],
    ['JUJU_UNIT_NAME', 'postgresql-k8s', '"<app>/<number>"'],
    ['JUJU_UNIT_NAME', 'postgresql-k8s/01', '"<app>/<number>"'],
    ['JUJU_MODEL_UUID', 'not-a-uuid', 'a UUID'],
    ['JUJU_VERSION', 'three', 'a Juju version'],
    ['JUJU_AGENT_SOCKET_NETWORK', 'udp', '"unix" or "tcp"'],
    ['JUJU_CHARM_DIR', 'relative/dir', 'an absolute path'],
    ['JUJU_PRINCIPAL_UNIT', 'ubuntu', '"<app>/<number>"'],
  ])('rejects %s=%j, saying what was expected', (variable, value, expected) => {
    const error = contextError(baseEnv('hooks/install', { [variable]: value }));
    expect(error.variable).toBe(variable);
    expect(error.value).toBe(value);
    expect(error.message).toContain(`${variable} is ${JSON.stringify(value)}`);
    expect(error.message).toContain(expected);
  });

  it('checks JUJU_HOOK_NAME against the dispatch path', () => {
    const error = contextError(baseEnv('hooks/install', { JUJU_HOOK_NAME: 'start' }));
    expect(error.message).toBe('JUJU_HOOK_NAME is "start"; expected "install" (the hook named by JUJU_DISPATCH_PATH)');
    expect(contextError(actionEnv('get-password', { JUJU_HOOK_NAME: 'get-password' })).variable).toBe('JUJU_HOOK_NAME');
  });

  it('keeps unknown hooks parseable (the event layer ignores them)', () => {
    expect(parseDispatchContext(baseEnv('hooks/some-future-hook')).target).toEqual({ family: 'unknown' });
  });
});

describe('parseDispatchContext: per-event variables', () => {
  it('parses relation hooks, keeping hyphenated endpoint names whole', () => {
    const ctx = parseDispatchContext(relationEnv('database-peers', 'changed', 3, 'postgresql-k8s'));
    expect(ctx.target).toEqual({ family: 'relation', hook: 'relation-changed', endpoint: 'database-peers' });
    expect(ctx.relation).toEqual({
      name: 'database-peers',
      id: 3,
      remoteApp: 'postgresql-k8s',
      remoteUnit: 'postgresql-k8s/1',
      departingUnit: undefined,
    });
  });

  it('accepts relation-changed without a remote unit: a change of the remote application bag', () => {
    const ctx = parseDispatchContext({ ...relationEnv('database-peers', 'changed', 3, 'postgresql-k8s'), JUJU_REMOTE_UNIT: '' });
    expect(ctx.relation).toMatchObject({ name: 'database-peers', id: 3, remoteApp: 'postgresql-k8s', remoteUnit: undefined });
    // joined still names the unit that joined.
    const joined = contextError({ ...relationEnv('database-peers', 'joined', 3, 'postgresql-k8s'), JUJU_REMOTE_UNIT: '' });
    expect(joined.variable).toBe('JUJU_REMOTE_UNIT');
  });

  it('reads the departing unit in -departed and no remote unit in -broken', () => {
    expect(parseDispatchContext(relationEnv('s3-parameters', 'departed')).relation?.departingUnit).toBe('pgbouncer-k8s/1');
    const broken = parseDispatchContext(relationEnv('s3-parameters', 'broken')).relation;
    expect(broken).toMatchObject({ name: 's3-parameters', remoteApp: 'pgbouncer-k8s', remoteUnit: undefined });
  });

  it('derives the remote app from the remote unit when JUJU_REMOTE_APP is empty', () => {
    const ctx = parseDispatchContext(relationEnv('database', 'joined', 9, 'app', { JUJU_REMOTE_APP: '', JUJU_REMOTE_UNIT: 'remote-0abc/2' }));
    expect(ctx.relation?.remoteApp).toBe('remote-0abc');
  });

  it.each([
    ['JUJU_RELATION', relationEnv('database', 'changed'), 'the endpoint name "database"'],
    ['JUJU_RELATION_ID', relationEnv('database', 'changed'), '"<endpoint>:<integer id>"'],
    ['JUJU_REMOTE_APP', relationEnv('database', 'created'), 'the remote application name'],
    ['JUJU_REMOTE_UNIT', relationEnv('database', 'joined'), 'required for relation-joined hooks'],
    ['JUJU_DEPARTING_UNIT', relationEnv('database', 'departed'), 'required for relation-departed hooks'],
  ])('requires %s for its relation hook', (variable, env, expected) => {
    const error = contextError({ ...env, [variable]: undefined });
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(expected);
  });

  it.each([
    ['JUJU_RELATION_ID', 'database', '"<endpoint>:<integer id>", e.g. "database:5"'],
    ['JUJU_RELATION_ID', 'database:x', '"<endpoint>:<integer id>"'],
    ['JUJU_RELATION_ID', 'db:5', 'an id of endpoint "database"'],
    ['JUJU_RELATION', 'db', '"database", the endpoint in JUJU_DISPATCH_PATH'],
    ['JUJU_REMOTE_UNIT', 'pgbouncer-k8s', 'a unit name'],
  ])('rejects relation variable %s=%j', (variable, value, expected) => {
    const error = contextError(relationEnv('database', 'changed', 7, 'pgbouncer-k8s', { [variable]: value }));
    expect(error.variable).toBe(variable);
    expect(error.value).toBe(value);
    expect(error.message).toContain(expected);
  });

  it('parses secret hooks: revision for remove/expired, empty label is unset', () => {
    expect(parseDispatchContext(secretEnv('remove')).secret).toEqual({
      id: 'secret:cs8b2dvmp25c76a1p2k0',
      label: 'database-peers.postgresql-k8s.app',
      revision: 3,
    });
    expect(parseDispatchContext(secretEnv('changed', { JUJU_SECRET_LABEL: '' })).secret).toEqual({ id: 'secret:cs8b2dvmp25c76a1p2k0' });
    expect(contextError(secretEnv('expired', { JUJU_SECRET_REVISION: undefined })).message).toContain('required for secret-expired hooks');
    expect(contextError(secretEnv('changed', { JUJU_SECRET_ID: undefined })).variable).toBe('JUJU_SECRET_ID');
  });

  it.each([
    ['JUJU_SECRET_REVISION', 'abc'],
    ['JUJU_SECRET_REVISION', '0'],
    ['JUJU_SECRET_ID', 'cs8b2dvmp25c76a1p2k0'],
  ])('rejects secret variable %s=%j', (variable, value) => {
    const error = contextError(secretEnv('remove', { [variable]: value }));
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(JSON.stringify(value));
  });

  it('parses storage hooks into name, index, location and kind', () => {
    expect(parseDispatchContext(storageEnv('pgdata', 'detaching')).storage).toEqual({
      name: 'pgdata',
      index: 0,
      location: '/var/lib/juju/storage/pgdata/0',
      kind: 'filesystem',
    });
    expect(contextError(storageEnv('pgdata', 'attached', { JUJU_STORAGE_ID: 'pgdata' })).message).toContain('"<storage-name>/<index>"');
    expect(contextError(storageEnv('pgdata', 'attached', { JUJU_STORAGE_ID: 'logs/0' })).message).toContain('an instance of storage "pgdata"');
    expect(contextError(storageEnv('pgdata', 'attached', { JUJU_STORAGE_KIND: 'tape' })).variable).toBe('JUJU_STORAGE_KIND');
  });

  it('parses workload hooks with their notice and check variables', () => {
    expect(parseDispatchContext(workloadEnv('postgresql', 'pebble-ready')).workload).toEqual({ name: 'postgresql' });
    const notice = workloadEnv('postgresql', 'pebble-custom-notice', { JUJU_NOTICE_ID: '1', JUJU_NOTICE_TYPE: 'custom', JUJU_NOTICE_KEY: 'example.com/a' });
    expect(parseDispatchContext(notice).workload).toEqual({ name: 'postgresql', notice: { id: '1', type: 'custom', key: 'example.com/a' } });
    const check = workloadEnv('postgresql', 'pebble-check-failed', { JUJU_PEBBLE_CHECK_NAME: 'ready' });
    expect(parseDispatchContext(check).workload).toEqual({ name: 'postgresql', checkName: 'ready' });
    expect(contextError({ ...notice, JUJU_NOTICE_KEY: undefined }).variable).toBe('JUJU_NOTICE_KEY');
    expect(contextError({ ...check, JUJU_PEBBLE_CHECK_NAME: '' }).variable).toBe('JUJU_PEBBLE_CHECK_NAME');
    expect(contextError(workloadEnv('postgresql', 'pebble-ready', { JUJU_WORKLOAD_NAME: undefined })).variable).toBe('JUJU_WORKLOAD_NAME');
    expect(contextError(workloadEnv('postgresql', 'pebble-ready', { JUJU_WORKLOAD_NAME: 'other' })).message).toContain('the container in JUJU_DISPATCH_PATH');
  });

  it('parses actions: name, id and tag, with an empty hook name', () => {
    const ctx = parseDispatchContext(actionEnv('get-password'));
    expect(ctx.hookName).toBe('');
    expect(ctx.action).toEqual({ name: 'get-password', uuid: '42', tag: 'action-42' });
    expect(contextError(actionEnv('get-password', { JUJU_ACTION_UUID: undefined })).variable).toBe('JUJU_ACTION_UUID');
    expect(contextError(actionEnv('get-password', { JUJU_ACTION_NAME: 'set-password' })).variable).toBe('JUJU_ACTION_NAME');
  });

  it('reads the series-upgrade target', () => {
    const ctx = parseDispatchContext(baseEnv('hooks/pre-series-upgrade', { JUJU_TARGET_BASE: 'ubuntu@22.04', JUJU_TARGET_SERIES: 'jammy' }));
    expect(ctx.seriesUpgrade).toEqual({ targetBase: 'ubuntu@22.04', targetSeries: 'jammy' });
  });
});
