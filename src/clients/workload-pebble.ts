/**
 * The part of Pebble's API the charm uses on its workload container, as an interface: the
 * handlers and the workload probe take it, `PebbleClient` implements it over the container's
 * socket, and the unit tests hand in an in-memory workload that records what the charm did.
 */
import type {
  AddLayerOptions,
  ExecOptions,
  ExecOutput,
  FileInfo,
  Layer,
  ListFilesOptions,
  MakeDirOptions,
  Plan,
  PushOptions,
  ServiceInfo,
} from '../pebble/index.ts';

/** A started command, reduced to what the charm waits for. */
export interface StartedCommand {
  /** stdout and stderr once the command ends; a non-zero exit throws ExecError. */
  waitOutput(): Promise<ExecOutput>;
}

export interface WorkloadPebble {
  canConnect(): Promise<boolean>;
  // Files
  stat(path: string): Promise<FileInfo | undefined>;
  exists(path: string): Promise<boolean>;
  pullText(path: string): Promise<string>;
  listFiles(path: string, options?: ListFilesOptions): Promise<FileInfo[]>;
  push(path: string, data: string, options?: PushOptions): Promise<void>;
  makeDir(path: string, options?: MakeDirOptions): Promise<void>;
  exec(command: readonly string[], options?: ExecOptions): Promise<StartedCommand>;
  // Plan and services
  plan(): Promise<Plan>;
  addLayer(label: string, layer: Layer, options?: AddLayerOptions): Promise<void>;
  replan(): Promise<string>;
  services(names?: readonly string[]): Promise<ServiceInfo[]>;
  restart(names: readonly string[]): Promise<string>;
  /** Stop services (restore stops Patroni before replacing PGDATA). */
  stop(names: readonly string[]): Promise<string>;
  sendSignal(signal: string, serviceNames: readonly string[]): Promise<void>;
}
