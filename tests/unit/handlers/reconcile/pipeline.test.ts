/**
 * The reconcile pipeline's own guarantees (src/handlers/reconcile/pipeline.ts): a step placed
 * before what provides its inputs does not compile, and — forced in with a cast — fails loudly
 * when run; a transient failure halts in Waiting with the step's retry message; anything else
 * propagates and fails the hook.
 */
import { describe, expect, it } from 'vitest';
import type { HandlerDeps } from '../../../../src/handlers/deps.ts';
import { RECONCILE } from '../../../../src/handlers/reconcile.ts';
import { configStep } from '../../../../src/handlers/reconcile/config-step.ts';
import type { BaseFacts } from '../../../../src/handlers/reconcile/facts.ts';
import { memberStartedStep } from '../../../../src/handlers/reconcile/member-started.ts';
import { patroniConfigFileStep } from '../../../../src/handlers/reconcile/patroni-config-file.ts';
import { MissingFactError, next, Pipeline, proceed, step, type Step } from '../../../../src/handlers/reconcile/pipeline.ts';
import { restartStep } from '../../../../src/handlers/reconcile/restart.ts';
import { createLogger } from '../../../../src/logging.ts';
import { PatroniApiError, PatroniUnreachableError } from '../../../../src/patroni/index.ts';

const logger = createLogger({ level: 'silent' });

const BASE: BaseFacts = {
  event: { kind: 'update-status' },
  isLeader: true,
  hasPeerRelation: true,
  app: {},
  appExtra: {},
  unit: {},
  peerUnits: [],
  leavingSyncSet: false,
};

type NoDeps = Record<string, never>;

/** A step that records that it ran, providing nothing. */
function recorder(name: string, ran: string[]): Step<never, never, NoDeps> {
  return step({
    name,
    retryMessage: `retrying ${name}`,
    requires: [],
    provides: [],
    async run() {
      ran.push(name);
      return proceed();
    },
  });
}

/** A step that throws `error`. */
function failing(error: Error): Step<never, never, NoDeps> {
  return step({
    name: 'failing',
    retryMessage: 'waiting for the failing step',
    requires: [],
    provides: [],
    async run() {
      throw error;
    },
  });
}

describe('reconcile pipeline', () => {
  it('runs the documented steps in the documented order', () => {
    expect(RECONCILE.names).toEqual([
      'cos',
      'config',
      'passwords',
      'endpoints',
      'workload',
      'log-forwarding',
      'disk-space',
      'passwords-available',
      'database-config',
      'client-relations',
      'tls',
      'patroni-config',
      'service',
      'password-heal',
      'service-health',
      'restore-progress',
      'member',
      'user-hash',
      'initialise',
      'dynamic-config',
      'restart',
      'extensions',
      'backups',
      'client-serve',
      'legacy-unit-bags',
    ]);
  });

  it('rejects, at compile time, a step placed before what provides its inputs', () => {
    // @ts-expect-error patroni-config requires config, which nothing has provided yet
    const early = Pipeline.start<HandlerDeps>().then(patroniConfigFileStep);
    // @ts-expect-error restart requires member, which only the member step provides
    const beforeMember = Pipeline.start<HandlerDeps>().then(configStep).then(restartStep);
    // Once its inputs are provided the same step is accepted (this line must compile).
    const inOrder = Pipeline.start<HandlerDeps>().then(configStep);
    expect([early.names, beforeMember.names, inOrder.names]).toEqual([['patroni-config'], ['config', 'restart'], ['config']]);
  });

  it('throws MissingFactError naming the missing facts when a cast forces a step in early', async () => {
    const forced = Pipeline.start<HandlerDeps>().then(patroniConfigFileStep as unknown as Step<never, 'rendered', HandlerDeps>);
    const error = await forced.run({} as HandlerDeps, BASE, logger).catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(MissingFactError);
    expect((error as MissingFactError).code).toBe('reconcile-missing-fact');
    expect((error as Error).message).toBe('reconcile step patroni-config runs before what provides config, workload, resources, passwords, clients');
  });

  it('throws MissingFactError for a missing base fact before any step runs', async () => {
    const ran: string[] = [];
    const pipeline = Pipeline.start<NoDeps>().then(recorder('first', ran));
    const { event: _event, ...withoutEvent } = BASE;
    await expect(pipeline.run({}, withoutEvent as BaseFacts, logger)).rejects.toThrow('reconcile step (start) runs before what provides event');
    expect(ran).toEqual([]);
  });

  it('halts in Waiting with the step\'s retry message on a transient failure, running nothing after it', async () => {
    const ran: string[] = [];
    const pipeline = Pipeline.start<NoDeps>()
      .then(recorder('before', ran))
      .then(failing(new PatroniUnreachableError('http://127.0.0.1:8008', 'refused')))
      .then(recorder('after', ran));
    const run = await pipeline.run({}, BASE, logger);

    expect(run.complete).toBe(false);
    expect(run.outcomes).toEqual([{ kind: 'done' }, { kind: 'waiting', message: 'waiting for the failing step' }]);
    expect(ran).toEqual(['before']);
  });

  it('treats a Patroni 5xx as transient and a 4xx as a bug that fails the hook', async () => {
    const serverError = await Pipeline.start<NoDeps>().then(failing(new PatroniApiError('http://x/config', 503, 'busy'))).run({}, BASE, logger);
    expect(serverError.outcomes).toEqual([{ kind: 'waiting', message: 'waiting for the failing step' }]);

    const clientError = new PatroniApiError('http://x/config', 400, 'bad request');
    await expect(Pipeline.start<NoDeps>().then(failing(clientError)).run({}, BASE, logger)).rejects.toBe(clientError);
  });

  it('propagates any other error', async () => {
    const bug = new TypeError('not a function');
    const ran: string[] = [];
    const pipeline = Pipeline.start<NoDeps>().then(failing(bug)).then(recorder('after', ran));
    await expect(pipeline.run({}, BASE, logger)).rejects.toBe(bug);
    expect(ran).toEqual([]);
  });

  it('passes what a step provides to the steps after it, and completes with every outcome', async () => {
    const seen: unknown[] = [];
    const provider = step({
      name: 'provider',
      retryMessage: 'retrying provider',
      requires: [],
      provides: ['serviceStarted', 'tlsReloaded'],
      async run() {
        return next({ serviceStarted: true, tlsReloaded: false });
      },
    });
    const consumer = step({
      name: 'consumer',
      retryMessage: 'retrying consumer',
      requires: ['serviceStarted', 'isLeader'],
      provides: [],
      async run(_deps: NoDeps, input) {
        seen.push(input);
        return proceed({ kind: 'maintenance', message: 'busy' });
      },
    });
    const run = await Pipeline.start<NoDeps>().then(provider).then(consumer).run({}, BASE, logger);

    expect(seen).toEqual([{ serviceStarted: true, isLeader: true }]);
    expect(run.complete).toBe(true);
    expect(run.outcomes).toEqual([{ kind: 'done' }, { kind: 'maintenance', message: 'busy' }]);
    // How long each step took, in order, for the hook's 'reconciled' log line.
    expect(Object.keys(run.timings)).toEqual(['provider', 'consumer']);
    expect(Object.values(run.timings).every((ms) => Number.isInteger(ms) && ms >= 0)).toBe(true);
    // memberStartedStep needs serviceStarted and tlsReloaded: accepted after the provider (compile-time check).
    expect(Pipeline.start<HandlerDeps>().then(provider).then(memberStartedStep).names).toEqual(['provider', 'member']);
  });
});
