/**
 * The workload container answers, its storage is there and belongs to `postgres`, PGDATA exists
 * (0750, postgres), and we know which PostgreSQL it runs and with how much memory and CPU. The
 * workload version is (re)published when the container or the charm may have changed.
 */
import type { WorkloadPebble } from '../../clients/workload-pebble.ts';
import type { Logger } from '../../logging.ts';
import { probeResources, WorkloadProbeError, type WorkloadFacts, type WorkloadResources } from '../../workload-probe/index.ts';
import { DEFAULT_WORKLOAD_PATHS, PGDATA_MODE, WORKLOAD_OS_GROUP, WORKLOAD_OS_USER } from '../../workload/index.ts';
import type { HandlerDeps } from '../deps.ts';
import { blocked, MESSAGES, waiting } from './outcome.ts';
import { halt, next, step } from './pipeline.ts';

/** Hooks after which the workload version may differ from what Juju shows. */
const VERSION_EVENTS: ReadonlySet<string> = new Set(['pebble-ready', 'start', 'upgrade-charm']);

async function ensureStorageOwnership(pebble: WorkloadPebble, logger: Logger): Promise<boolean> {
  const paths = DEFAULT_WORKLOAD_PATHS;
  const storage = await pebble.stat(paths.storage);
  if (storage === undefined) return false;
  if (storage.user !== WORKLOAD_OS_USER || storage.group !== WORKLOAD_OS_GROUP) {
    // Kubernetes mounts a fresh volume root-owned. `.` as the working directory is the mount
    // itself wherever Pebble maps paths.
    const chown = await pebble.exec(['chown', `${WORKLOAD_OS_USER}:${WORKLOAD_OS_GROUP}`, '.'], { workingDir: paths.storage });
    await chown.waitOutput();
    logger.info({ path: paths.storage, was: `${storage.user}:${storage.group}` }, 'gave the storage to postgres');
  }
  if ((await pebble.stat(paths.pgdata)) === undefined) {
    await pebble.makeDir(paths.pgdata, { makeParents: true, permissions: PGDATA_MODE, user: WORKLOAD_OS_USER, group: WORKLOAD_OS_GROUP });
    logger.info({ path: paths.pgdata }, 'created PGDATA');
  }
  for (const dir of [paths.postgresqlLogs, paths.socketDir]) await ensurePostgresDirectory(pebble, logger, dir);
  return true;
}

/**
 * Patroni and PostgreSQL write their logs and their unix socket here as postgres. The rock ships
 * them that way, but an emptied or freshly mounted directory (a new pod, the sandbox's per-unit
 * mounts) is root's, and Patroni then dies at start ("Permission denied: patroni.log").
 */
export async function ensurePostgresDirectory(pebble: WorkloadPebble, logger: Logger, path: string): Promise<void> {
  const current = await pebble.stat(path);
  if (current === undefined) {
    await pebble.makeDir(path, { makeParents: true, permissions: 0o750, user: WORKLOAD_OS_USER, group: WORKLOAD_OS_GROUP });
  } else if (current.user !== WORKLOAD_OS_USER) {
    const chown = await pebble.exec(['chown', `${WORKLOAD_OS_USER}:${WORKLOAD_OS_GROUP}`, '.'], { workingDir: path });
    await chown.waitOutput();
  } else {
    return;
  }
  logger.info({ path }, 'gave the directory to postgres');
}

export const workloadSetupStep = step({
  name: 'workload',
  retryMessage: MESSAGES.containerUnreachable,
  requires: ['event'],
  provides: ['workload', 'resources'],
  async run(deps: Pick<HandlerDeps, 'pebble' | 'workloadFacts' | 'tools' | 'logger'>, { event }) {
    const pebble = await deps.pebble();
    if (!(await pebble.canConnect())) return halt(waiting(MESSAGES.containerUnreachable));
    if (!(await ensureStorageOwnership(pebble, deps.logger))) return halt(waiting(MESSAGES.storageMissing));
    let workload: WorkloadFacts;
    let resources: WorkloadResources;
    try {
      [workload, resources] = await Promise.all([deps.workloadFacts(), probeResources(pebble)]);
    } catch (error) {
      // A workload without PostgreSQL (wrong image) or without readable limits needs an operator.
      if (!(error instanceof WorkloadProbeError)) throw error;
      deps.logger.error({ code: error.code }, error.message);
      return halt(blocked(error.message));
    }
    if (VERSION_EVENTS.has(event.kind)) await deps.tools.applicationVersionSet(workload.version);
    return next({ workload, resources });
  },
});
