/**
 * Step c: the workload container answers, its storage is there and belongs to `postgres`, PGDATA
 * exists (0750, postgres), and we know which PostgreSQL it runs and with how much memory and
 * CPU. The workload version is (re)published when the container or the charm may have changed.
 */
import type { CharmContext } from '../../charm-context.ts';
import { probeResources, WorkloadProbeError, type WorkloadFacts, type WorkloadResources } from '../../workload-probe/index.ts';
import { DEFAULT_WORKLOAD_PATHS, PGDATA_MODE, WORKLOAD_OS_GROUP, WORKLOAD_OS_USER } from '../../workload/index.ts';
import { blocked, DONE, MESSAGES, waiting } from './outcome.ts';
import type { ReconcileStep } from './step.ts';

/** Hooks after which the workload version may differ from what Juju shows. */
const VERSION_EVENTS: ReadonlySet<string> = new Set(['pebble-ready', 'start', 'upgrade-charm']);

async function ensureStorageOwnership(charm: CharmContext): Promise<boolean> {
  const pebble = await charm.pebble();
  const paths = DEFAULT_WORKLOAD_PATHS;
  const storage = await pebble.stat(paths.storage);
  if (storage === undefined) return false;
  if (storage.user !== WORKLOAD_OS_USER || storage.group !== WORKLOAD_OS_GROUP) {
    // Kubernetes mounts a fresh volume root-owned. `.` as the working directory is the mount
    // itself wherever Pebble maps paths.
    const chown = await pebble.exec(['chown', `${WORKLOAD_OS_USER}:${WORKLOAD_OS_GROUP}`, '.'], { workingDir: paths.storage });
    await chown.waitOutput();
    charm.logger.info({ path: paths.storage, was: `${storage.user}:${storage.group}` }, 'gave the storage to postgres');
  }
  if ((await pebble.stat(paths.pgdata)) === undefined) {
    await pebble.makeDir(paths.pgdata, { makeParents: true, permissions: PGDATA_MODE, user: WORKLOAD_OS_USER, group: WORKLOAD_OS_GROUP });
    charm.logger.info({ path: paths.pgdata }, 'created PGDATA');
  }
  for (const dir of [paths.postgresqlLogs, paths.socketDir]) await ensurePostgresDirectory(charm, dir);
  return true;
}

/**
 * Patroni and PostgreSQL write their logs and their unix socket here as postgres. The rock ships
 * them that way, but an emptied or freshly mounted directory (a new pod, the sandbox's per-unit
 * mounts) is root's, and Patroni then dies at start ("Permission denied: patroni.log").
 */
async function ensurePostgresDirectory(charm: CharmContext, path: string): Promise<void> {
  const pebble = await charm.pebble();
  const current = await pebble.stat(path);
  if (current === undefined) {
    await pebble.makeDir(path, { makeParents: true, permissions: 0o750, user: WORKLOAD_OS_USER, group: WORKLOAD_OS_GROUP });
  } else if (current.user !== WORKLOAD_OS_USER) {
    const chown = await pebble.exec(['chown', `${WORKLOAD_OS_USER}:${WORKLOAD_OS_GROUP}`, '.'], { workingDir: path });
    await chown.waitOutput();
  } else {
    return;
  }
  charm.logger.info({ path }, 'gave the directory to postgres');
}

export const workloadSetupStep: ReconcileStep = {
  name: 'workload',
  retryMessage: MESSAGES.containerUnreachable,
  async run(charm, state) {
    const pebble = await charm.pebble();
    if (!(await pebble.canConnect())) return waiting(MESSAGES.containerUnreachable, { halt: true });
    if (!(await ensureStorageOwnership(charm))) return waiting(MESSAGES.storageMissing, { halt: true });
    let workload: WorkloadFacts;
    let resources: WorkloadResources;
    try {
      [workload, resources] = await Promise.all([charm.workloadFacts(), probeResources(pebble)]);
    } catch (error) {
      // A workload without PostgreSQL (wrong image) or without readable limits needs an operator.
      if (!(error instanceof WorkloadProbeError)) throw error;
      charm.logger.error({ code: error.code }, error.message);
      return blocked(error.message, { halt: true });
    }
    state.workload = workload;
    state.resources = resources;
    if (VERSION_EVENTS.has(state.event.kind)) await charm.tools.applicationVersionSet(workload.version);
    return DONE;
  },
};
