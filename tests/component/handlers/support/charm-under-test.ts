import { Writable } from 'node:stream';
import { join } from 'node:path';
import { PostgreSQL } from '../../../../lib/postgresql/index.ts';
import type { HookEnv } from '../../../../sandbox/juju/engine/index.ts';
import { CharmContext, type CharmContextOptions } from '../../../../src/charm-context.ts';
import type { ClientFactories } from '../../../../src/clients/factories.ts';
import { NOT_ON_KUBERNETES, type KubernetesObjects } from '../../../../src/clients/kubernetes-objects.ts';
import { createDispatcher } from '../../../../src/handlers/index.ts';
import { parseDispatchContext } from '../../../../src/juju/context.ts';
import { runDispatch } from '../../../../src/juju/dispatcher.ts';
import { eventFromContext } from '../../../../src/juju/events.ts';
import { loadCharmMetadata, type CharmMetadata } from '../../../../src/juju/metadata.ts';
import { createLogger } from '../../../../src/logging.ts';
import { NO_RETRY, PatroniClient, type PatroniClientOptions } from '../../../../src/patroni/index.ts';
import { probeWorkload } from '../../../../src/workload-probe/index.ts';
import type { Harness } from '../../../support/juju-harness.ts';
import type { PostgresInstance } from '../../../support/postgres-instance.ts';
import type { FakePatroni } from '../../../support/fake-patroni.ts';
import type { TestWorkload } from '../../../unit/handlers/support/workload.ts';

const REPO = join(import.meta.dirname, '../../../..');
export const APP = 'postgresql-k8s';
/** What the sandbox gives pods: the etcd3 DCS. */
export const SANDBOX_ENV = { POSTGRESQL_DCS_ETCD_HOSTS: '127.0.0.1:2379' };

let metadata: Promise<CharmMetadata> | undefined;

/** One hook as Juju would dispatch it: a relation, workload, storage or secret hook, or a plain one. */
export type HookSpec =
  | { hook: 'install' | 'start' | 'config-changed' | 'leader-elected' | 'update-status' | 'upgrade-charm' | 'stop' }
  | { hook: 'pebble-ready' | 'pebble-check-recovered' }
  | { hook: 'peer-relation'; kind: 'created' | 'joined' | 'changed' | 'departed'; relationId: number; remoteUnit?: string; departingUnit?: string }
  | { hook: 'storage-detaching' }
  | { hook: 'secret-changed'; secretId: string; label?: string };

function hookEnvironment(spec: HookSpec): { name: string; env: Record<string, string>; hookEnv: Omit<HookEnv, 'unit'> } {
  switch (spec.hook) {
    case 'pebble-ready':
    case 'pebble-check-recovered': {
      const name = `postgresql-${spec.hook}`;
      const check: Record<string, string> = spec.hook === 'pebble-check-recovered' ? { JUJU_PEBBLE_CHECK_NAME: 'postgresql' } : {};
      return { name, env: { JUJU_WORKLOAD_NAME: 'postgresql', ...check }, hookEnv: { hookName: name, workloadName: 'postgresql' } };
    }
    case 'peer-relation': {
      const name = `database-peers-relation-${spec.kind}`;
      const env: Record<string, string> = {
        JUJU_RELATION: 'database-peers',
        JUJU_RELATION_ID: `database-peers:${spec.relationId}`,
        JUJU_REMOTE_APP: APP,
        JUJU_REMOTE_UNIT: spec.remoteUnit ?? '',
      };
      if (spec.departingUnit !== undefined) env['JUJU_DEPARTING_UNIT'] = spec.departingUnit;
      return {
        name,
        env,
        hookEnv: {
          hookName: name,
          relationId: spec.relationId,
          remoteApp: APP,
          ...(spec.remoteUnit === undefined ? {} : { remoteUnit: spec.remoteUnit }),
          ...(spec.departingUnit === undefined ? {} : { departingUnit: spec.departingUnit }),
        },
      };
    }
    case 'storage-detaching':
      return {
        name: 'pgdata-storage-detaching',
        env: { JUJU_STORAGE_ID: 'pgdata/0', JUJU_STORAGE_KIND: 'filesystem' },
        hookEnv: { hookName: 'pgdata-storage-detaching', storageId: 'pgdata/0' },
      };
    case 'secret-changed':
      return {
        name: 'secret-changed',
        env: { JUJU_SECRET_ID: spec.secretId, JUJU_SECRET_LABEL: spec.label ?? '' },
        hookEnv: { hookName: 'secret-changed', secretId: spec.secretId, ...(spec.label === undefined ? {} : { secretLabel: spec.label }) },
      };
    default:
      return { name: spec.hook, env: {}, hookEnv: { hookName: spec.hook } };
  }
}

/** What one unit's charm is wired to in a test. */
export interface UnitWiring {
  workload: TestWorkload;
  patroni: FakePatroni;
  /** Where SQL goes (the charm's user and password are kept; host and port are redirected). */
  postgres?: PostgresInstance;
  kubernetes?: KubernetesObjects;
  env?: Record<string, string>;
  /** Runs after the handlers, inside the same hook (to call CharmContext directly). */
  within?: (charm: CharmContext) => Promise<void>;
  /** Overrides of the tests' short waits (no waiting for members by default). */
  timing?: CharmContextOptions['timing'];
}

export interface HookResult {
  exitCode: number;
  logs: string;
  /** Options the charm built its Patroni clients with (URL, peers, password…). */
  patroniOptions: PatroniClientOptions[];
}

export async function runHook(harness: Harness, unit: string, spec: HookSpec, wiring: UnitWiring): Promise<HookResult> {
  const { name, env, hookEnv } = hookEnvironment(spec);
  const dispatch = parseDispatchContext({
    JUJU_DISPATCH_PATH: `hooks/${name}`,
    JUJU_HOOK_NAME: name,
    JUJU_UNIT_NAME: unit,
    JUJU_MODEL_NAME: harness.model.name,
    JUJU_MODEL_UUID: harness.model.uuid,
    JUJU_VERSION: '3.6.8',
    JUJU_CHARM_DIR: REPO,
    ...env,
  });
  metadata ??= loadCharmMetadata(REPO);
  const event = eventFromContext(dispatch, await metadata);
  const { tools, context } = harness.hook(unit, hookEnv);
  const lines: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  });
  const patroniOptions: PatroniClientOptions[] = [];
  const clients: Partial<ClientFactories> = {
    pebble: () => wiring.workload.client(),
    patroni: (options) => {
      patroniOptions.push(options);
      return new PatroniClient({
        ...options,
        url: wiring.patroni.url,
        peerUrls: [],
        timeoutMs: 2_000,
        retry: { read: NO_RETRY, configWrite: NO_RETRY, action: NO_RETRY, switchover: NO_RETRY },
      });
    },
    postgresql: (settings) => {
      const postgres = wiring.postgres;
      if (postgres === undefined) throw new Error('this test gives the charm no PostgreSQL');
      return new PostgreSQL({ ...settings, primaryHost: postgres.host, currentHost: postgres.host, port: postgres.port });
    },
    kubernetes: () => wiring.kubernetes ?? NOT_ON_KUBERNETES,
    // The real probe, with the services pointed at a stand-in daemon (commands run on the host).
    workloadFacts: async (pebble) => {
      const facts = await probeWorkload(pebble);
      const daemon = wiring.workload.daemon;
      return { ...facts, commands: { ...facts.commands, patroni: daemon, metricsExporter: daemon, pgbackrestExporter: daemon } };
    },
  };
  const options: CharmContextOptions = {
    env: wiring.env ?? SANDBOX_ENV,
    clients,
    timing: { memberStartTimeoutMs: 0, pollIntervalMs: 10, switchoverTimeoutMs: 2_000, ...wiring.timing },
  };
  const charm = new CharmContext(dispatch, event, tools, logger, options);
  const exitCode = await runDispatch({
    dispatcher: createDispatcher(logger),
    event,
    context: charm,
    actionFail: (message) => tools.actionFail(message),
    logger,
    env: {},
  });
  if (exitCode === 0 && wiring.within !== undefined) await wiring.within(charm);
  if (exitCode === 0) context.commit();
  else context.discard();
  return { exitCode, logs: lines.join(''), patroniOptions };
}

/** The unit's workload status as Juju holds it. */
export function unitStatus(harness: Harness, unit: string): { status: string; message: string } {
  const { status, message } = harness.model.units[unit]!.workloadStatus;
  return { status, message };
}

export function appStatus(harness: Harness): { status: string; message: string } {
  const { status, message } = harness.model.applications[APP]!.status;
  return { status, message };
}
