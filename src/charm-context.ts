import type { PostgreSQL } from '../lib/postgresql/index.ts';
import type { ClientFactories } from './clients/factories.ts';
import type { KubernetesObjects } from './clients/kubernetes-objects.ts';
import type { ParseCharmConfigResult } from './config/index.ts';
import { parseCharmConfig } from './config/index.ts';
import type { DispatchContext } from './juju/context.ts';
import type { CharmEvent } from './juju/events.ts';
import type { HookTools } from './juju/hook-tools.ts';
import type { Logger } from './logging.ts';
import type { PatroniClient } from './patroni/index.ts';
import type { WorkloadPebble } from './clients/workload-pebble.ts';
import { ClusterSnapshot } from './patroni/cluster-snapshot.ts';
import { PeerDataStore } from './state/peer-data.ts';
import { passwordKey, SecretStore } from './state/secrets.ts';
import { DEFAULT_TIMING, type ReconcileTiming } from './timing.ts';
import type { WorkloadFacts } from './workload-probe/index.ts';
// Light modules only (no YAML renderer, database driver or websocket client): every hook,
// install and the actions included, builds a CharmContext; the heavy defaults load on first use.
import { selectDcs, type DcsConfig } from './workload/dcs.ts';
import { memberEndpoint } from './workload/names.ts';
import { WORKLOAD_CONTAINER } from './workload/paths.ts';
import { DEFAULT_DATABASE, OPERATOR_USER, PATRONI_API_PORT, SYSTEM_USERS } from './workload/users.ts';

export interface CharmContextOptions {
  /** The pod's environment (DCS choice); default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Replace how clients are built (tests point them at test servers). */
  clients?: Partial<ClientFactories>;
  timing?: Partial<ReconcileTiming>;
}

/**
 * The composition root of one hook: the dispatch's context and event, its hook tools, and the
 * stores and clients built from them. Handlers never take it whole; each names the narrow part
 * it uses (src/handlers/deps.ts, the actions' `*Deps` types), which this class satisfies.
 * Clients are created on first use so a hook that never needs Pebble or Patroni never loads
 * their code or asks for their credentials.
 */
export class CharmContext {
  readonly peers: PeerDataStore;
  readonly secrets: SecretStore;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly timing: ReconcileTiming;
  /** `/cluster` as this hook last read it, shared by the reconcile's steps. */
  readonly cluster: ClusterSnapshot;
  readonly #overrides: Partial<ClientFactories>;
  #defaults: Promise<ClientFactories> | undefined;
  #config: Promise<ParseCharmConfigResult> | undefined;
  #pebble: Promise<WorkloadPebble> | undefined;
  #dcs: DcsConfig | undefined;
  #kubernetes: Promise<KubernetesObjects> | undefined;
  #patroni: Promise<PatroniClient> | undefined;
  #workload: Promise<WorkloadFacts> | undefined;

  constructor(
    readonly dispatch: DispatchContext,
    readonly event: CharmEvent,
    readonly tools: HookTools,
    readonly logger: Logger,
    options: CharmContextOptions = {},
  ) {
    this.peers = new PeerDataStore(tools, { app: dispatch.appName, unit: dispatch.unitName });
    this.secrets = new SecretStore(tools, dispatch.appName);
    this.env = options.env ?? process.env;
    this.timing = { ...DEFAULT_TIMING, ...options.timing };
    this.#overrides = { ...options.clients };
    this.cluster = new ClusterSnapshot(() => this.patroni());
  }

  /** A client factory: the injected one, else the default (loaded on first use). */
  async #factory<K extends keyof ClientFactories>(name: K): Promise<ClientFactories[K]> {
    const override = this.#overrides[name];
    if (override !== undefined) return override as ClientFactories[K];
    this.#defaults ??= import('./clients/factories.ts').then((module) => module.defaultClientFactories);
    return (await this.#defaults)[name];
  }

  get unitName(): string {
    return this.dispatch.unitName;
  }

  get appName(): string {
    return this.dispatch.appName;
  }

  get modelName(): string {
    return this.dispatch.modelName;
  }

  get modelUuid(): string {
    return this.dispatch.modelUuid;
  }

  get charmDir(): string {
    return this.dispatch.charmDir;
  }

  /**
   * The address this unit's Patroni and PostgreSQL advertise and are reached at: the member DNS
   * name `<app>-<k>.<app>-endpoints` (the headless service on Kubernetes, /etc/hosts in the sandbox).
   */
  get memberHost(): string {
    return memberEndpoint(this.unitName);
  }

  /** The charm config, validated once per hook: typed, or the issues that make it invalid. */
  config(): Promise<ParseCharmConfigResult> {
    this.#config ??= this.tools.configGet().then((raw) => parseCharmConfig({ ...raw }));
    return this.#config;
  }

  /** Whether the LDAP integration is enabled (app peer `ldap_enabled`). */
  async ldapEnabled(): Promise<boolean> {
    const app = await this.peers.readApp();
    return app.status !== 'no-peer-relation' && app.data.ldap_enabled === true;
  }

  /** Pebble of the `postgresql` container. */
  pebble(): Promise<WorkloadPebble> {
    this.#pebble ??= this.#factory('pebble').then((create) => create(WORKLOAD_CONTAINER, this.logger.child({ component: 'pebble' })));
    return this.#pebble;
  }

  /** What the workload container runs (PostgreSQL version, flavour, commands), probed once per hook. */
  workloadFacts(): Promise<WorkloadFacts> {
    this.#workload ??= Promise.all([this.#factory('workloadFacts'), this.pebble()]).then(([probe, pebble]) => probe(pebble));
    return this.#workload;
  }

  /** Patroni's DCS, from the pod's environment (docs/dcs.md); throws DcsNotConfiguredError/InvalidDcsSettingError. */
  dcs(): DcsConfig {
    this.#dcs ??= selectDcs(this.env, { app: this.appName, model: this.modelName });
    return this.#dcs;
  }

  /** The Kubernetes objects the charm manages (a no-op without the Kubernetes DCS). */
  kubernetes(): Promise<KubernetesObjects> {
    if (this.#kubernetes === undefined) {
      let dcs: DcsConfig | undefined;
      try {
        dcs = this.dcs();
      } catch {
        dcs = undefined;
      }
      const context = { app: this.appName, model: this.modelName, dcs, logger: this.logger };
      this.#kubernetes = this.#factory('kubernetes').then((create) => create(context));
    }
    return this.#kubernetes;
  }

  /**
   * This member's Patroni REST API (its peers for cluster reads), authenticated as `patroni`.
   * The scheme follows the unit's `tls` flag: what the running Patroni was last configured with.
   */
  patroni(): Promise<PatroniClient> {
    this.#patroni ??= this.#buildPatroni();
    return this.#patroni;
  }

  async #buildPatroni(): Promise<PatroniClient> {
    const [unitBag, appBag, password] = await Promise.all([
      this.peers.readUnit(),
      this.peers.readApp(),
      this.secrets.get('app', passwordKey('patroni')),
    ]);
    const tls = unitBag.status !== 'no-peer-relation' && unitBag.data.tls === 'enabled';
    const endpoints = appBag.status === 'no-peer-relation' ? [] : (appBag.data.endpoints ?? []);
    const caPem = tls ? await this.secrets.get('unit', 'ca') : undefined;
    // patroniUrl() of src/patroni/client.ts, written out: this module is on every hook's cold
    // path, and importing the client module would load it for install too.
    const url = (host: string) => `${tls ? 'https' : 'http'}://${host}:${PATRONI_API_PORT}`;
    const create = await this.#factory('patroni');
    return create({
      url: url(this.memberHost),
      peerUrls: endpoints.filter((host) => host !== this.memberHost).map(url),
      ...(password === undefined ? {} : { password }),
      ...(caPem === undefined ? {} : { caPem }),
      logger: this.logger.child({ component: 'patroni' }),
    });
  }

  /**
   * PostgreSQL as `operator`: on `primaryHost` (default this member) for writes, this member
   * for `currentHost` reads. A new object per call: connections are opened per operation.
   * `member` aims both at one member (host and port as Patroni's `/cluster` lists them);
   * `password` replaces the stored one (set-password, right after changing `operator`'s own).
   */
  async postgresql(options: { primaryHost?: string; member?: { host: string; port: number }; password?: string } = {}): Promise<PostgreSQL> {
    const [stored, unitBag] = await Promise.all([this.secrets.get('app', passwordKey('operator')), this.peers.readUnit()]);
    const password = options.password ?? stored;
    const tls = unitBag.status !== 'no-peer-relation' && unitBag.data.tls === 'enabled';
    const caPem = tls ? await this.secrets.get('unit', 'ca') : undefined;
    const logger = this.logger.child({ component: 'postgresql' });
    const create = await this.#factory('postgresql');
    return create({
      primaryHost: options.member?.host ?? options.primaryHost ?? this.memberHost,
      currentHost: options.member?.host ?? this.memberHost,
      ...(options.member === undefined ? {} : { port: options.member.port }),
      user: OPERATOR_USER,
      ...(password === undefined ? {} : { password }),
      database: DEFAULT_DATABASE,
      systemUsers: SYSTEM_USERS,
      // With TLS the server presents a certificate for the member names, signed by our CA.
      ...(caPem === undefined ? {} : { ssl: { ca: caPem } }),
      logger: { warn: (message) => logger.warn(message), debug: (message) => logger.debug(message) },
    });
  }
}

