import type { ParseCharmConfigResult } from './config/index.ts';
import { parseCharmConfig } from './config/index.ts';
import type { DispatchContext } from './juju/context.ts';
import type { CharmEvent } from './juju/events.ts';
import type { HookTools } from './juju/hook-tools.ts';
import type { Logger } from './logging.ts';
import { PeerDataStore } from './state/peer-data.ts';
import { SecretStore } from './state/secrets.ts';

/**
 * What every handler receives: the dispatch's context and event, its hook tools, and the stores
 * and clients built from them. Clients are created on first use so a hook that never needs
 * Pebble or Patroni never loads their code.
 */
export class CharmContext {
  readonly peers: PeerDataStore;
  readonly secrets: SecretStore;
  #config: Promise<ParseCharmConfigResult> | undefined;

  constructor(
    readonly dispatch: DispatchContext,
    readonly event: CharmEvent,
    readonly tools: HookTools,
    readonly logger: Logger,
  ) {
    this.peers = new PeerDataStore(tools, { app: dispatch.appName, unit: dispatch.unitName });
    this.secrets = new SecretStore(tools, dispatch.appName);
  }

  get unitName(): string {
    return this.dispatch.unitName;
  }

  get appName(): string {
    return this.dispatch.appName;
  }

  /** The charm config, validated once per hook: typed, or the issues that make it invalid. */
  config(): Promise<ParseCharmConfigResult> {
    this.#config ??= this.tools.configGet().then((raw) => parseCharmConfig({ ...raw }));
    return this.#config;
  }
}
