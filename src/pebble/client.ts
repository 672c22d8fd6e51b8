import { join } from 'node:path';
import { createLogger, type Logger } from '../logging.ts';
import { decodeChange, decodeSystemInfo, list } from './decode.ts';
import { startExec, type ExecOptions, type ExecProcess } from './exec.ts';
import * as files from './files.ts';
import * as layers from './layers.ts';
import { sendSignal, serviceAction, services, type ServiceActionOptions } from './services.ts';
import { PebbleTransport } from './transport.ts';
import type { Change, FileInfo, Layer, Plan, ServiceInfo } from './types.ts';

export interface PebbleClientOptions {
  socketPath: string;
  /** Socket idle timeout per request in ms (default 5 s, like ops); change waits are sliced to fit. */
  timeoutMs?: number;
  logger?: Logger;
}

export interface ChangesFilter {
  select?: 'all' | 'in-progress' | 'ready';
  /** Only changes that touch this service. */
  service?: string;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;

/**
 * The charm's client for one workload container's Pebble (API: canonical/pebble docs/reference/api). Every method
 * is one API call (plus a change wait for service actions); failures are the typed errors of
 * errors.ts.
 */
export class PebbleClient {
  private readonly transport: PebbleTransport;
  private logger: Logger | undefined;

  constructor(options: PebbleClientOptions) {
    this.logger = options.logger;
    this.transport = new PebbleTransport(options.socketPath, options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, () => this.log());
  }

  /**
   * The client for container `name`: `<root>/charm/containers/<name>/pebble.socket`, where Juju
   * mounts it in the charm container (Juju docs: sidecar charms, /charm/containers/<name>/pebble.socket). `root` (default "/") relocates it for tests/sandbox.
   */
  static forContainer(name: string, options: { root?: string; timeoutMs?: number; logger?: Logger } = {}): PebbleClient {
    const { root = '/', ...rest } = options;
    return new PebbleClient({ socketPath: join(root, 'charm', 'containers', name, 'pebble.socket'), ...rest });
  }

  get socketPath(): string {
    return this.transport.socketPath;
  }

  private log(): Logger {
    this.logger ??= createLogger({ base: { component: 'pebble' } });
    return this.logger;
  }

  // ---- System ----

  /**
   * Whether Pebble answers GET /v1/system-info with a system info result. Missing socket,
   * refusal, timeouts and garbage all mean false, as in ops's `Container.can_connect`.
   */
  async canConnect(): Promise<boolean> {
    try {
      decodeSystemInfo((await this.transport.json('GET', '/v1/system-info')).result);
      return true;
    } catch (error) {
      this.log().debug({ err: error }, 'pebble not reachable');
      return false;
    }
  }

  // ---- Layers and plan ----

  /** Adds (or with `combine`, merges into) the layer `label`; objects are serialised to YAML. */
  addLayer(label: string, layer: Layer | string, options: layers.AddLayerOptions = {}): Promise<void> {
    return layers.addLayer(this.transport, label, layer, options);
  }

  plan(): Promise<Plan> {
    return layers.plan(this.transport);
  }

  // ---- Services ----

  services(names?: readonly string[]): Promise<ServiceInfo[]> {
    return services(this.transport, names);
  }

  /** Each action returns its change id after waiting for it (see ServiceActionOptions). */
  restart(names: readonly string[], options?: ServiceActionOptions): Promise<string> {
    return serviceAction(this.transport, 'restart', names, options);
  }

  /** Restarts changed services and starts enabled ones that are not running. */
  replan(options?: ServiceActionOptions): Promise<string> {
    return serviceAction(this.transport, 'replan', [], options);
  }

  /** Stop services and wait for the change (restore stops Patroni before replacing PGDATA). */
  stop(names: readonly string[], options?: ServiceActionOptions): Promise<string> {
    return serviceAction(this.transport, 'stop', names, options);
  }

  sendSignal(signal: string | number, serviceNames: readonly string[]): Promise<void> {
    return sendSignal(this.transport, signal, serviceNames);
  }

  // ---- Changes ----

  /** Not used by the charm: the handler tests count changes with it to see what a hook touched. */
  async changes(filter: ChangesFilter = {}): Promise<Change[]> {
    const envelope = await this.transport.json('GET', '/v1/changes', { query: { select: filter.select, for: filter.service } });
    return list(envelope.result, 'change list').map(decodeChange);
  }

  // ---- Files ----

  push(path: string, data: string | Uint8Array, options?: files.PushOptions): Promise<void> {
    return files.push(this.transport, path, data, options);
  }

  async pullText(path: string): Promise<string> {
    return (await files.pull(this.transport, path)).toString('utf8');
  }

  /** A directory's entries, or the path itself (for a file, or with `itself`). Missing → 404 PebbleApiError. */
  listFiles(path: string, options?: files.ListFilesOptions): Promise<FileInfo[]> {
    return files.listFiles(this.transport, path, options);
  }

  /** The path's own FileInfo, or undefined when it does not exist. */
  stat(path: string): Promise<FileInfo | undefined> {
    return files.stat(this.transport, path);
  }

  async exists(path: string): Promise<boolean> {
    return (await files.stat(this.transport, path)) !== undefined;
  }

  makeDir(path: string, options?: files.MakeDirOptions): Promise<void> {
    return files.makeDir(this.transport, path, options);
  }

  // ---- Exec ----

  /** Starts a command; `await (await exec(...)).waitOutput()` runs it to completion. */
  exec(command: readonly string[], options?: ExecOptions): Promise<ExecProcess> {
    return startExec(this.transport, this.log(), command, options);
  }
}
