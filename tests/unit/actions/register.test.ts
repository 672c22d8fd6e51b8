import { describe, expect, it } from 'vitest';
import { registerActions, type ActionDeps } from '../../../src/actions/index.ts';
import { Dispatcher, runDispatch } from '../../../src/juju/dispatcher.ts';
import { charmHarness } from '../../support/juju-harness.ts';
import { APP, capturedLogger, seedAppSecret, startActionOn } from './support.ts';

function depsFor(running: ReturnType<typeof startActionOn>, overrides: Partial<ActionDeps> = {}): ActionDeps {
  return {
    tools: running.tools,
    secrets: running.secrets,
    logger: capturedLogger().logger,
    unitName: `${APP}/0`,
    appName: APP,
    patroni: () => Promise.reject(new Error('not needed')),
    postgresql: () => Promise.reject(new Error('not needed')),
    ...overrides,
  };
}

describe('registerActions', () => {
  it('routes each action to its handler through the dispatcher', async () => {
    const harness = charmHarness({ units: 1 });
    await seedAppSecret(harness, { 'rewind-password': 'rw-Secret9' });
    const running = startActionOn(harness, `${APP}/0`, 'get-password', { username: 'rewind' });
    const dispatcher = registerActions(new Dispatcher<{ deps: ActionDeps }>(), (context) => context.deps);

    for (const action of ['get-password', 'set-password', 'get-primary', 'promote-to-primary']) {
      expect(dispatcher.handlersFor({ kind: 'action', action, actionId: '1' })).toHaveLength(1);
    }
    expect(await dispatcher.dispatch(running.event, { deps: depsFor(running) })).toBe(1);
    expect(running.action.results).toEqual({ password: 'rw-Secret9' });
  });

  it('leaves unexpected errors to the dispatcher, which fails the action with its prefix', async () => {
    const harness = charmHarness({ units: 1 });
    const running = startActionOn(harness, `${APP}/0`, 'get-password', { username: 'rewind' });
    const broken = depsFor(running, { secrets: { get: () => Promise.reject(new Error('secret-get: agent gone')), set: async () => undefined } });
    const dispatcher = registerActions(new Dispatcher<ActionDeps>(), (deps) => deps);
    const exitCode = await runDispatch({
      dispatcher,
      event: running.event,
      context: broken,
      actionFail: (message) => running.tools.actionFail(message),
      env: {},
    });
    expect(exitCode).toBe(0);
    expect(running.action).toMatchObject({ failed: true, message: 'action get-password failed: secret-get: agent gone' });
  });
});
