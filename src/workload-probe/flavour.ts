/**
 * The two workloads the charm runs on. The rock (Canonical's charmed-postgresql image) ships
 * helper scripts and its own exporter; Debian's packages (the sandbox) have the same programs
 * under other names, no pgBackRest exporter, no TimescaleDB and only the C/POSIX locales.
 */
import { SHARED_PRELOAD_LIBRARIES, type WorkloadCommands } from '../workload/index.ts';

export type WorkloadFlavour = 'rock' | 'debian';

export interface FlavourSettings {
  /** Commands that differ from the rock's (`src/workload` takes them as inputs). */
  readonly commands: Partial<WorkloadCommands>;
  /** Whether a pgBackRest exporter exists to start with the plan. */
  readonly pgbackrestExporter: boolean;
  /** `lc_messages`; undefined keeps the workload module's (the rock's) default. */
  readonly lcMessages?: string;
}

/** Debian's executables; `python3` by absolute path because PATH may hold another Python. */
export const DEBIAN_COMMANDS: Partial<WorkloadCommands> = Object.freeze({
  patroni: '/usr/bin/patroni',
  metricsExporter: '/usr/bin/prometheus-postgres-exporter',
  rotateLogs: '/usr/bin/python3',
});

export function flavourSettings(flavour: WorkloadFlavour): FlavourSettings {
  if (flavour === 'rock') return { commands: {}, pgbackrestExporter: true };
  return { commands: DEBIAN_COMMANDS, pgbackrestExporter: false, lcMessages: 'C.UTF-8' };
}

/**
 * The rock's preloaded libraries that this workload has: PostgreSQL refuses to start with a
 * library it cannot load, and Debian's packages have no TimescaleDB.
 */
export function availablePreloadLibraries(installedLibraries: readonly string[]): string[] {
  const installed = new Set(installedLibraries.map((file) => file.replace(/\.so$/, '')));
  return SHARED_PRELOAD_LIBRARIES.filter((library) => installed.has(library));
}
