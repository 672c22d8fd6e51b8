import { Writable } from 'node:stream';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { CharmError } from '../../../src/errors.ts';
import { createLogger } from '../../../src/logging.ts';
import { DISPATCH_GUARD_VARIABLE, Dispatcher, runDispatch } from '../../../src/juju/dispatcher.ts';
import type { CharmEvent, RelationEvent } from '../../../src/juju/events.ts';

function capturedLogger() {
  const records: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) records.push(JSON.parse(line));
      done();
    },
  });
  return { records, logger: createLogger({ destination, level: 'debug' }) };
}

const peersChanged: RelationEvent = {
  kind: 'relation-changed',
  endpoint: 'database-peers',
  role: 'peer',
  interface: 'postgresql_peers',
  relation: { endpoint: 'database-peers', id: 3 },
  remoteApp: 'postgresql-k8s',
  remoteUnit: 'postgresql-k8s/1',
  departingUnit: undefined,
};
const dbChanged: RelationEvent = { ...peersChanged, endpoint: 'database', role: 'provides', relation: { endpoint: 'database', id: 9 } };
const getPassword: CharmEvent = { kind: 'action', action: 'get-password', actionId: '1' };

describe('Dispatcher', () => {
  it('runs the matching handlers in registration order, narrowed by kind and entity', async () => {
    const seen: string[] = [];
    const dispatcher = new Dispatcher<{ tag: string }>()
      .on('relation-changed', 'database-peers', (event, ctx) => {
        // The event is narrowed: relation fields are typed.
        seen.push(`peers:${event.relation.id}:${ctx.tag}`);
      })
      .on('config-changed', () => {
        seen.push('config');
      })
      .on('relation-changed', (event) => {
        seen.push(`any-endpoint:${event.endpoint}`);
      })
      .on('relation-changed', 'database', () => {
        seen.push('database');
      });

    expect(await dispatcher.dispatch(peersChanged, { tag: 't' })).toBe(2);
    expect(seen).toEqual(['peers:3:t', 'any-endpoint:database-peers']);
    seen.length = 0;
    await dispatcher.dispatch(dbChanged, { tag: 't' });
    expect(seen).toEqual(['any-endpoint:database', 'database']);
    seen.length = 0;
    await dispatcher.dispatch({ kind: 'config-changed' }, { tag: 't' });
    expect(seen).toEqual(['config']);
  });

  it('routes actions by name', async () => {
    const seen: string[] = [];
    const dispatcher = new Dispatcher<void>().on('action', 'get-password', (event) => {
      seen.push(`action:${event.action}:${event.actionId}`);
    });
    await dispatcher.dispatch(getPassword, undefined);
    await dispatcher.dispatch({ kind: 'action', action: 'set-password', actionId: '2' }, undefined);
    expect(seen).toEqual(['action:get-password:1']);
  });

  it('logs and ignores unknown and unhandled events', async () => {
    const { records, logger } = capturedLogger();
    let calls = 0;
    const dispatcher = new Dispatcher<void>({ logger }).on('install', () => void calls++);
    expect(await dispatcher.dispatch({ kind: 'unknown', path: 'hooks/ldap-relation-changed', reason: 'endpoint "ldap" is not declared' }, undefined)).toBe(0);
    expect(calls).toBe(0);
    expect(records[0]).toMatchObject({ level: 30, path: 'hooks/ldap-relation-changed', reason: 'endpoint "ldap" is not declared' });

    const quiet = new Dispatcher<void>({ logger }).on('install', () => void calls++);
    expect(await quiet.dispatch({ kind: 'stop' }, undefined)).toBe(0);
    expect(records[1]).toMatchObject({ level: 20, kind: 'stop', msg: 'no handler registered; ignoring event' });
  });

  it('stops at the first failing handler and propagates its error', async () => {
    const seen: string[] = [];
    const dispatcher = new Dispatcher<void>()
      .on('update-status', () => {
        throw new CharmError('patroni-unreachable', 'Patroni did not answer');
      })
      .on('update-status', () => void seen.push('second'));
    await expect(dispatcher.dispatch({ kind: 'update-status' }, undefined)).rejects.toMatchObject({ code: 'patroni-unreachable' });
    expect(seen).toEqual([]);
  });

  it('types: plain kinds take no entity and entity kinds narrow the event (checked by tsc)', async () => {
    const seen: string[] = [];
    const dispatcher = new Dispatcher<void>();
    // @ts-expect-error install names no entity
    dispatcher.on('install', 'x', () => {});
    // @ts-expect-error a relation event has no action name
    dispatcher.on('relation-changed', 'database', (event) => event.action);
    dispatcher.on('pebble-custom-notice', 'postgresql', (event) => {
      expectTypeOf(event.notice.key).toEqualTypeOf<string>();
      seen.push(event.notice.key);
    });
    dispatcher.on('secret-remove', (event) => {
      expectTypeOf(event.revision).toEqualTypeOf<number | undefined>();
    });
    await dispatcher.dispatch({ kind: 'pebble-custom-notice', container: 'postgresql', notice: { id: '1', type: 'custom', key: 'k' } }, undefined);
    expect(seen).toEqual(['k']);
  });

  it('rejects a registration without a handler', () => {
    expect(() => new Dispatcher<void>().on('action', 'x', undefined as never)).toThrow(TypeError);
  });
});

describe('runDispatch', () => {
  const noActionFail = async () => {
    throw new Error('action-fail must not be called');
  };

  it('exits 0 when the handlers succeed, with the guard set only while dispatching', async () => {
    const env: NodeJS.ProcessEnv = {};
    let guardDuring: string | undefined;
    const dispatcher = new Dispatcher<void>().on('install', () => {
      guardDuring = env[DISPATCH_GUARD_VARIABLE];
    });
    expect(await runDispatch({ dispatcher, event: { kind: 'install' }, context: undefined, actionFail: noActionFail, env })).toBe(0);
    expect(guardDuring).toBe('1');
    expect(env[DISPATCH_GUARD_VARIABLE]).toBeUndefined();
  });

  it('turns a hook handler error into exit 1 and an error log line', async () => {
    const { records, logger } = capturedLogger();
    const dispatcher = new Dispatcher<void>().on('config-changed', () => {
      throw new CharmError('invalid-config', 'profile must be testing or production');
    });
    const code = await runDispatch({ dispatcher, event: { kind: 'config-changed' }, context: undefined, actionFail: noActionFail, logger, env: {} });
    expect(code).toBe(1);
    expect(records.at(-1)).toMatchObject({ level: 50, kind: 'config-changed', code: 'invalid-config', msg: 'config-changed handler failed' });
  });

  it('turns an action handler error into action-fail with a clear message, exit 0', async () => {
    const failures: string[] = [];
    const dispatcher = new Dispatcher<void>().on('action', 'get-password', () => {
      throw new CharmError('not-leader', 'the action can be run only on the leader unit');
    });
    const code = await runDispatch({
      dispatcher,
      event: getPassword,
      context: undefined,
      actionFail: async (message) => void failures.push(message),
      env: {},
    });
    expect(code).toBe(0);
    expect(failures).toEqual(['action get-password failed: the action can be run only on the leader unit']);
  });

  it('exits 1 when even action-fail fails', async () => {
    const dispatcher = new Dispatcher<void>().on('action', 'get-password', () => {
      throw new Error('boom');
    });
    const code = await runDispatch({ dispatcher, event: getPassword, context: undefined, actionFail: noActionFail, env: {} });
    expect(code).toBe(1);
  });

  it('does nothing and exits 0 when called from inside a dispatch', async () => {
    let ran = false;
    const dispatcher = new Dispatcher<void>().on('install', () => void (ran = true));
    const env = { [DISPATCH_GUARD_VARIABLE]: '1' };
    expect(await runDispatch({ dispatcher, event: { kind: 'install' }, context: undefined, actionFail: noActionFail, env })).toBe(0);
    expect(ran).toBe(false);
    expect(env[DISPATCH_GUARD_VARIABLE]).toBe('1');
  });
});
