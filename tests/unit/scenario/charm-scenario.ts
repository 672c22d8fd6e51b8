import { Writable } from 'node:stream';
import { join } from 'node:path';
import type { HookEnv } from '../../../sandbox/juju/engine/index.ts';
import { charmMetaFromYaml } from '../../../sandbox/juju/charm-meta.ts';
import {
  addApplication,
  addRelation,
  addUnit,
  enqueueAction,
  enterScope,
  markRelationDying,
  setLeader,
  startAction,
  status as jujuStatus,
  type Action,
  type ConfigValue,
  type Model,
  type Secret,
} from '../../../sandbox/juju/model.ts';
import { CharmContext } from '../../../src/charm-context.ts';
import type { ClientFactories } from '../../../src/clients/factories.ts';
import { NOT_ON_KUBERNETES, type KubernetesObjects } from '../../../src/clients/kubernetes-objects.ts';
import { createDispatcher } from '../../../src/handlers/index.ts';
import { parseDispatchContext } from '../../../src/juju/context.ts';
import { SecretNotFoundError } from '../../../src/juju/errors.ts';
import { runDispatch } from '../../../src/juju/dispatcher.ts';
import { eventFromContext } from '../../../src/juju/events.ts';
import { loadCharmMetadata, type CharmMetadata } from '../../../src/juju/metadata.ts';
import { createLogger } from '../../../src/logging.ts';
import { NO_RETRY, PatroniClient } from '../../../src/patroni/index.ts';
import { SecretStore } from '../../../src/state/secrets.ts';
import type { ReconcileTiming } from '../../../src/timing.ts';
import { probeWorkload } from '../../../src/workload-probe/index.ts';
import { fakeCluster, startFakePatroni, type FakeAnswer, type FakeMember, type FakePatroni, type SeenRequest } from '../../support/fake-patroni.ts';
import { charmHarness } from '../../support/juju-harness.ts';
import { emptyDatabase, InMemoryPostgreSQL, type DatabaseState, type SqlCall } from './in-memory-postgresql.ts';
import { debianWorkload, InMemoryWorkload, type WorkloadOperation, type WorkloadState } from './in-memory-workload.ts';

/*
 * The unit tier's way to run the charm: state in → one hook → state out, in the spirit of ops'
 * Scenario (`Context.run(event, State)`). The Juju side is the sandbox's own hook-tool engine on
 * an in-memory model (the real argv and output of every hook tool), the workload an in-memory
 * Pebble, Patroni an in-process HTTP double answering from a scripted cluster, PostgreSQL and
 * Kubernetes in-memory doubles. The charm itself is the real dispatcher, handlers and clients.
 * Nothing here needs a system package.
 */

const REPO = join(import.meta.dirname, '../../..');
export const APP = 'postgresql-k8s';
export const unitName = (n: number) => `${APP}/${n}`;
export const memberName = (n: number) => `${APP}-${n}`;
export const memberHost = (n: number) => `${memberName(n)}.${APP}-endpoints`;
/** What the sandbox gives pods: the etcd3 DCS. */
export const ETCD_ENV = { POSTGRESQL_DCS_ETCD_HOSTS: '127.0.0.1:2379' };

/** One hook or action, as Juju would dispatch it. */
export type Hook =
  | { hook: 'install' | 'start' | 'config-changed' | 'leader-elected' | 'update-status' | 'upgrade-charm' | 'stop' }
  | { hook: 'pebble-ready' | 'pebble-check-failed' | 'pebble-check-recovered' }
  | { hook: 'pebble-custom-notice'; key: string; id?: string }
  | { hook: 'peer-relation'; kind: 'created' | 'joined' | 'changed' | 'departed'; remoteUnit?: number; departingUnit?: number }
  | { hook: 'storage-detaching' }
  | { hook: 'secret-changed'; label?: string }
  | { hook: 'client-relation'; id: number; kind: 'created' | 'joined' | 'changed' | 'departed' | 'broken'; remoteUnit?: string; departingUnit?: string }
  | { hook: 'action'; action: string; params?: Record<string, unknown> };

export interface ScenarioState {
  /** Units of the application (all in the peer relation unless `peerRelation` is false). Default 1. */
  units?: number;
  /** The unit the hook runs on. Default 0. */
  unit?: number;
  /** The leader's unit number, or null for none. Default 0. */
  leader?: number | null;
  /** Whether Juju has created the peer relation yet. Default true. */
  peerRelation?: boolean;
  /** Units Juju is removing (goal-state shows them dying). */
  dying?: number[];
  config?: Record<string, ConfigValue>;
  /** The peer app bag, raw. */
  peerApp?: Record<string, string>;
  /** Unit number → its peer bag, raw. */
  peerUnits?: Record<number, Record<string, string>>;
  /** Fields of the application secret (`<user>-password`…), stored by the leader before the hook. */
  appSecret?: Record<string, string>;
  /** Fields of this unit's secret (TLS key and certificates). */
  unitSecret?: Record<string, string>;
  /** This unit's workload status before the hook. */
  status?: { status: 'active' | 'waiting' | 'maintenance' | 'blocked'; message: string };
  /** This unit's controller-side charm state (state-get). */
  charmState?: Record<string, string>;
  workload?: WorkloadState;
  /** The cluster as Patroni reports it; one fake Patroni serves each member named here. */
  cluster?: FakeMember[];
  /** Patroni's dynamic configuration (GET/PATCH /config). */
  patroniConfig?: Record<string, unknown>;
  /** Scripted answers of this unit's Patroni (route → answer), e.g. `{ '*': 'unreachable' }`. */
  patroniAnswers?: Record<string, FakeAnswer>;
  database?: DatabaseState;
  kubernetes?: KubernetesObjects;
  /** The pod's environment (the DCS); default the sandbox's etcd3. */
  env?: Record<string, string>;
  timing?: Partial<ReconcileTiming>;
  /** Client relations (`database`, `db`, `db-admin`) with their bags. */
  clientRelations?: ClientRelationState[];
  /** Secrets our application owns for client relations (as the previous hook left them). */
  relationSecrets?: Secret[];
}

/** One client relation: a remote application of `remoteUnits` units related on `endpoint`. */
export interface ClientRelationState {
  id: number;
  /** A client endpoint, a TLS one (`certificates`, `receive-ca-cert`: the remote app provides it), or a COS one. */
  endpoint: 'database' | 'db' | 'db-admin' | 'certificates' | 'receive-ca-cert' | 'metrics-endpoint' | 'grafana-dashboard' | 'logging' | 's3-parameters';
  remoteApp: string;
  /** Remote units in scope (default 1; 0 once all departed). */
  remoteUnits?: number;
  remoteAppData?: Record<string, string>;
  /** Remote unit number → its bag. */
  remoteUnitData?: Record<number, Record<string, string>>;
  /** Our application's bag. */
  localAppData?: Record<string, string>;
  /** Our unit number → its bag. */
  localUnitData?: Record<number, Record<string, string>>;
  /** Being removed (relation-broken runs). */
  dying?: boolean;
}

const CLIENT_METADATA = `name: client
requires:
  database:
    interface: postgresql_client
  db:
    interface: pgsql
  db-admin:
    interface: pgsql
  metrics-endpoint:
    interface: prometheus_scrape
  grafana-dashboard:
    interface: grafana_dashboard
provides:
  certificates:
    interface: tls-certificates
  receive-ca-cert:
    interface: certificate_transfer
  logging:
    interface: loki_push_api
  s3-parameters:
    interface: s3
`;

/** Put the client relations into the model with the ids and bags the state gives. */
function addClientRelations(model: Model, relations: readonly ClientRelationState[], ourUnits: number): void {
  for (const state of relations) {
    if (model.applications[state.remoteApp] === undefined) addApplication(model, { name: state.remoteApp, charm: charmMetaFromYaml({ metadata: CLIENT_METADATA }) });
    const remoteUnits = state.remoteUnits ?? 1;
    while (model.applications[state.remoteApp]!.nextUnitNumber < remoteUnits) addUnit(model, state.remoteApp, { address: `10.2.0.${model.applications[state.remoteApp]!.nextUnitNumber + 10}` });
    model.nextRelationId = state.id;
    const relation = addRelation(model, `${APP}:${state.endpoint}`, `${state.remoteApp}:${state.endpoint}`);
    model.nextRelationId = Math.max(model.nextRelationId, ...model.relations.map((r) => r.id + 1));
    for (let n = 0; n < ourUnits; n++) enterScope(model, relation.id, unitName(n));
    for (let n = 0; n < remoteUnits; n++) enterScope(model, relation.id, `${state.remoteApp}/${n}`);
    relation.appData[state.remoteApp] = { ...state.remoteAppData };
    relation.appData[APP] = { ...state.localAppData };
    for (const [n, bag] of Object.entries(state.remoteUnitData ?? {})) relation.unitData[`${state.remoteApp}/${n}`] = { ...relation.unitData[`${state.remoteApp}/${n}`], ...bag };
    for (const [n, bag] of Object.entries(state.localUnitData ?? {})) relation.unitData[unitName(Number(n))] = { ...relation.unitData[unitName(Number(n))], ...bag };
    if (state.dying) markRelationDying(model, relation.id);
  }
}

export interface ScenarioResult {
  exitCode: number;
  /** Each client relation's bags on our side after the hook, by relation id. */
  clientRelations: Record<number, { localApp: Record<string, string>; localUnits: Record<number, Record<string, string>> }>;
  /** The secrets our application owns for client relations after the hook. */
  relationSecrets: Secret[];
  logs: string;
  status: { status: string; message: string };
  appStatus: { status: string; message: string };
  workloadVersion: string;
  peerApp: Record<string, string>;
  /** Every unit's peer bag after the hook. */
  peerUnits: Record<number, Record<string, string>>;
  /** The application secret as a unit reads it after the hook. */
  appSecret: Record<string, string>;
  /** This unit's secret (`database-peers.<app>.unit`: TLS key, CSR, certificate, …) after the hook. */
  unitSecret: Record<string, string>;
  charmState: Record<string, string>;
  workload: WorkloadState;
  /** What the charm did to the workload, in order. */
  workloadOperations: WorkloadOperation[];
  /** Every request the charm sent to any member's Patroni, in order. */
  patroniRequests: SeenRequest[];
  /** Patroni's dynamic configuration after the hook. */
  patroniConfig: Record<string, unknown>;
  /** The cluster as Patroni shows it after the hook (a switchover or restart changes it). */
  cluster: FakeMember[];
  sql: SqlCall[];
  database: DatabaseState;
  openedPorts: Array<{ protocol: string; port?: number | undefined; toPort?: number | undefined }>;
  action: Action | undefined;
}

let metadata: Promise<CharmMetadata> | undefined;

function dispatchEnv(hook: Hook, unit: string, actionId: string | undefined, clientRelations: readonly ClientRelationState[] = []): { env: Record<string, string>; hookEnv: Omit<HookEnv, 'unit'> } {
  switch (hook.hook) {
    case 'pebble-ready':
    case 'pebble-check-failed':
    case 'pebble-check-recovered': {
      const name = `postgresql-${hook.hook}`;
      const check: Record<string, string> = hook.hook === 'pebble-ready' ? {} : { JUJU_PEBBLE_CHECK_NAME: 'postgresql' };
      return { env: { JUJU_DISPATCH_PATH: `hooks/${name}`, JUJU_WORKLOAD_NAME: 'postgresql', ...check }, hookEnv: { hookName: name, workloadName: 'postgresql' } };
    }
    case 'pebble-custom-notice': {
      const name = 'postgresql-pebble-custom-notice';
      const notice = { JUJU_NOTICE_ID: hook.id ?? '1', JUJU_NOTICE_TYPE: 'custom', JUJU_NOTICE_KEY: hook.key };
      return { env: { JUJU_DISPATCH_PATH: `hooks/${name}`, JUJU_WORKLOAD_NAME: 'postgresql', ...notice }, hookEnv: { hookName: name, workloadName: 'postgresql' } };
    }
    case 'peer-relation': {
      const name = `database-peers-relation-${hook.kind}`;
      const remote = hook.remoteUnit === undefined ? '' : unitName(hook.remoteUnit);
      const departing = hook.departingUnit === undefined ? undefined : unitName(hook.departingUnit);
      return {
        env: {
          JUJU_DISPATCH_PATH: `hooks/${name}`,
          JUJU_RELATION: 'database-peers',
          JUJU_RELATION_ID: 'database-peers:0',
          JUJU_REMOTE_APP: APP,
          JUJU_REMOTE_UNIT: remote,
          ...(departing === undefined ? {} : { JUJU_DEPARTING_UNIT: departing }),
        },
        hookEnv: {
          hookName: name,
          relationId: 0,
          remoteApp: APP,
          ...(remote === '' ? {} : { remoteUnit: remote }),
          ...(departing === undefined ? {} : { departingUnit: departing }),
        },
      };
    }
    case 'storage-detaching':
      return {
        env: { JUJU_DISPATCH_PATH: 'hooks/pgdata-storage-detaching', JUJU_STORAGE_ID: 'pgdata/0', JUJU_STORAGE_KIND: 'filesystem' },
        hookEnv: { hookName: 'pgdata-storage-detaching', storageId: 'pgdata/0' },
      };
    case 'secret-changed':
      return {
        env: { JUJU_DISPATCH_PATH: 'hooks/secret-changed', JUJU_SECRET_ID: 'secret:d2rkv2hmp25c77a4nmkg', JUJU_SECRET_LABEL: hook.label ?? '' },
        hookEnv: { hookName: 'secret-changed', secretId: 'secret:d2rkv2hmp25c77a4nmkg', ...(hook.label === undefined ? {} : { secretLabel: hook.label }) },
      };
    case 'client-relation': {
      const relation = clientRelations.find((r) => r.id === hook.id);
      if (relation === undefined) throw new Error(`no client relation ${hook.id} in the state`);
      const name = `${relation.endpoint}-relation-${hook.kind}`;
      return {
        env: {
          JUJU_DISPATCH_PATH: `hooks/${name}`,
          JUJU_RELATION: relation.endpoint,
          JUJU_RELATION_ID: `${relation.endpoint}:${relation.id}`,
          JUJU_REMOTE_APP: relation.remoteApp,
          JUJU_REMOTE_UNIT: hook.remoteUnit ?? '',
          ...(hook.departingUnit === undefined ? {} : { JUJU_DEPARTING_UNIT: hook.departingUnit }),
        },
        hookEnv: {
          hookName: name,
          relationId: relation.id,
          remoteApp: relation.remoteApp,
          ...(hook.remoteUnit === undefined ? {} : { remoteUnit: hook.remoteUnit }),
          ...(hook.departingUnit === undefined ? {} : { departingUnit: hook.departingUnit }),
        },
      };
    }
    case 'action':
      return {
        env: { JUJU_DISPATCH_PATH: `actions/${hook.action}`, JUJU_ACTION_NAME: hook.action, JUJU_ACTION_UUID: actionId ?? '1' },
        hookEnv: { hookName: '', ...(actionId === undefined ? {} : { actionId }) },
      };
    default:
      return { env: { JUJU_DISPATCH_PATH: `hooks/${hook.hook}` }, hookEnv: { hookName: hook.hook } };
  }
  void unit;
}

function capture(): { logger: ReturnType<typeof createLogger>; text: () => string } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), text: () => lines.join('') };
}

/** Run `hook` on the charm in `state`; returns the state that came out. The input is not changed. */
export async function runScenario(hook: Hook, input: ScenarioState = {}): Promise<ScenarioResult> {
  const state = structuredClone({ ...input, kubernetes: undefined });
  const units = state.units ?? 1;
  const self = state.unit ?? 0;
  const leader = state.leader === undefined ? 0 : state.leader;
  const harness = charmHarness({ units, ...(state.config === undefined ? {} : { config: state.config }) });
  const model = harness.model;
  const peer = model.relations.find((relation) => relation.interface === 'postgresql_peers')!;

  // Secrets are created by the leader (unit 0 when nobody leads), then leadership is set.
  setLeader(model, APP, unitName(leader ?? 0));
  if (state.appSecret !== undefined) {
    const { tools, context } = harness.hook(unitName(leader ?? 0));
    await new SecretStore(tools, APP).set('app', state.appSecret);
    context.commit();
  }
  if (state.unitSecret !== undefined) {
    const { tools, context } = harness.hook(unitName(self));
    await new SecretStore(tools, APP).set('unit', state.unitSecret);
    context.commit();
  }
  setLeader(model, APP, leader === null ? null : unitName(leader));
  if (state.peerRelation === false) model.relations = model.relations.filter((relation) => relation !== peer);
  peer.appData[APP] = { ...state.peerApp };
  for (const [n, bag] of Object.entries(state.peerUnits ?? {})) peer.unitData[unitName(Number(n))] = { ...bag };
  for (const n of state.dying ?? []) model.units[unitName(n)]!.life = 'dying';
  addClientRelations(model, state.clientRelations ?? [], units);
  for (const secret of state.relationSecrets ?? []) model.secrets[secret.id] = structuredClone(secret);
  const unitRecord = model.units[unitName(self)]!;
  if (state.status !== undefined) unitRecord.workloadStatus = jujuStatus(state.status.status, state.status.message);
  unitRecord.state = { ...state.charmState };

  // Patroni: one fake per member of the scripted cluster, sharing its view; this unit's answers scripted.
  const cluster = fakeCluster(state.cluster ?? [], state.patroniConfig);
  const fakes: FakePatroni[] = [];
  const selfMember = memberName(self);
  const names = new Set([selfMember, ...(state.cluster ?? []).map((member) => member.name)]);
  for (const name of names) fakes.push(await startFakePatroni({ self: name, cluster }));
  const selfFake = fakes.find((fake) => fake.self === selfMember)!;
  for (const [route, answer] of Object.entries(state.patroniAnswers ?? {})) selfFake.on(route, answer);

  const workload = new InMemoryWorkload(state.workload ?? debianWorkload());
  // Scripted failures keep their classes (structuredClone would make them plain Errors).
  const database = state.database === undefined ? emptyDatabase() : { ...state.database, failures: { ...input.database?.failures } };
  const sql: SqlCall[] = [];

  let action: Action | undefined;
  if (hook.hook === 'action') {
    action = enqueueAction(model, unitName(self), hook.action, hook.params ?? {});
    startAction(model, action.id);
  }
  const { env, hookEnv } = dispatchEnv(hook, unitName(self), action?.id, state.clientRelations);
  const dispatch = parseDispatchContext({
    JUJU_HOOK_NAME: hookEnv.hookName,
    JUJU_UNIT_NAME: unitName(self),
    JUJU_MODEL_NAME: model.name,
    JUJU_MODEL_UUID: model.uuid,
    JUJU_VERSION: '3.6.8',
    JUJU_CHARM_DIR: REPO,
    ...env,
  });
  metadata ??= loadCharmMetadata(REPO);
  const event = eventFromContext(dispatch, await metadata);
  const { tools, context } = harness.hook(unitName(self), hookEnv);
  const log = capture();
  const clients: Partial<ClientFactories> = {
    pebble: () => workload,
    patroni: (options) =>
      new PatroniClient({
        ...options,
        url: selfFake.url,
        peerUrls: fakes.filter((fake) => fake !== selfFake).map((fake) => fake.url),
        timeoutMs: 2_000,
        retry: { read: NO_RETRY, configWrite: NO_RETRY, action: NO_RETRY, switchover: NO_RETRY },
      }),
    postgresql: (settings) => new InMemoryPostgreSQL(database, settings.primaryHost, sql, settings.password) as never,
    kubernetes: () => input.kubernetes ?? NOT_ON_KUBERNETES,
    workloadFacts: probeWorkload,
  };
  const charm = new CharmContext(dispatch, event, tools, log.logger, {
    env: state.env ?? ETCD_ENV,
    clients,
    timing: { memberStartTimeoutMs: 0, pollIntervalMs: 5, switchoverTimeoutMs: 500, ...state.timing },
  });
  let exitCode: number;
  try {
    exitCode = await runDispatch({
      dispatcher: createDispatcher(log.logger),
      event,
      context: charm,
      actionFail: (message) => tools.actionFail(message),
      logger: log.logger,
      env: {},
    });
  } finally {
    await Promise.all(fakes.map((fake) => fake.close()));
  }
  if (exitCode === 0 || hook.hook === 'action') context.commit();
  else context.discard();

  const readSecret = async (scope: 'app' | 'unit' = 'app'): Promise<Record<string, string>> => {
    const reader = harness.hook(unitName(self)).tools;
    const store = new SecretStore(reader, APP);
    // Every field: the passwords, and what else the charm keeps there (legacy relation credentials).
    try {
      return { ...(await reader.secretGet({ label: store.label(scope) }, { refresh: true })) };
    } catch (error) {
      if (error instanceof SecretNotFoundError) return {};
      throw error;
    }
  };
  const peerAfter = model.relations.find((relation) => relation.interface === 'postgresql_peers');
  const clientAfter = (state.clientRelations ?? []).map((client) => [client.id, model.relations.find((relation) => relation.id === client.id)] as const);
  return {
    exitCode,
    clientRelations: Object.fromEntries(
      clientAfter.map(([id, relation]) => [
        id,
        {
          localApp: { ...(relation?.appData[APP] ?? {}) },
          localUnits: Object.fromEntries(Array.from({ length: units }, (_, n) => [n, { ...(relation?.unitData[unitName(n)] ?? {}) }])),
        },
      ]),
    ),
    relationSecrets: Object.values(model.secrets)
      .filter((secret) => secret.owner.kind === 'application' && /^(database|db|db-admin)\.\d+\./.test(secret.label ?? ''))
      .map((secret) => structuredClone(secret)),
    logs: log.text(),
    status: { status: unitRecord.workloadStatus.status, message: unitRecord.workloadStatus.message },
    appStatus: { status: model.applications[APP]!.status.status, message: model.applications[APP]!.status.message },
    workloadVersion: unitRecord.workloadVersion,
    peerApp: { ...(peerAfter?.appData[APP] ?? {}) },
    peerUnits: Object.fromEntries(
      Array.from({ length: units }, (_, n) => [n, { ...(peerAfter?.unitData[unitName(n)] ?? {}) }]),
    ),
    appSecret: await readSecret(),
    unitSecret: await readSecret('unit'),
    charmState: { ...unitRecord.state },
    workload: workload.state,
    workloadOperations: workload.operations,
    patroniRequests: fakes.flatMap((fake) => fake.requests),
    patroniConfig: cluster.config,
    cluster: cluster.members,
    sql,
    database,
    openedPorts: unitRecord.openedPorts.map((port) => ({ protocol: port.protocol, port: port.from, toPort: port.to })),
    action: action === undefined ? undefined : model.actions[action.id],
  };
}

/** A running member as Patroni's `/cluster` lists it. */
export function member(n: number, role: FakeMember['role'], extra: Partial<FakeMember> = {}): FakeMember {
  return { name: memberName(n), role, state: role === 'leader' ? 'running' : 'streaming', host: memberHost(n), ...extra };
}

/** The six system passwords, as the leader stores them. */
export const PASSWORDS: Readonly<Record<string, string>> = Object.freeze({
  'backup-password': 'backupPass000001',
  'operator-password': 'operatorPass0001',
  'replication-password': 'replicaPass00001',
  'rewind-password': 'rewindPass000001',
  'monitoring-password': 'monitorPass00001',
  'patroni-password': 'patroniPass00001',
});

/**
 * The state the next hook starts from: what `result` left (peer bags, secret, charm state,
 * statuses, workload, Patroni's cluster and config, the database), everything else as in `state`.
 * Queued Patroni answers and recorded operations do not carry over.
 */
export function nextState(state: ScenarioState, result: ScenarioResult): ScenarioState {
  const carried: ScenarioState = {
    ...state,
    peerApp: { ...result.peerApp },
    peerUnits: structuredClone(result.peerUnits),
    charmState: { ...result.charmState },
    status: { status: result.status.status as NonNullable<ScenarioState['status']>['status'], message: result.status.message },
    workload: structuredClone(result.workload),
    cluster: structuredClone(result.cluster),
    patroniConfig: structuredClone(result.patroniConfig),
    database: structuredClone({ ...result.database, failures: {} }),
    relationSecrets: structuredClone(result.relationSecrets),
    ...(state.clientRelations === undefined
      ? {}
      : {
          clientRelations: state.clientRelations.map((client) => ({
            ...client,
            localAppData: { ...result.clientRelations[client.id]?.localApp },
            localUnitData: structuredClone(result.clientRelations[client.id]?.localUnits ?? {}),
          })),
        }),
  };
  if (Object.keys(result.appSecret).length > 0) carried.appSecret = { ...result.appSecret };
  if (Object.keys(result.unitSecret).length > 0) carried.unitSecret = { ...result.unitSecret };
  return carried;
}

/**
 * Run `hooks` one after the other, each on the state the previous one left (nextState); `between`
 * may change that state before hook i + 1 runs (the operator fixes the config, space is freed).
 */
export async function runHooks(
  hooks: readonly Hook[],
  state: ScenarioState = {},
  between: (next: ScenarioState, index: number, previous: ScenarioResult) => ScenarioState = (next) => next,
): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  let current = state;
  for (const [index, hook] of hooks.entries()) {
    const result = await runScenario(hook, current);
    results.push(result);
    current = between(nextState(current, result), index, result);
  }
  return results;
}
