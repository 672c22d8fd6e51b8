/**
 * The sandbox daemon: `node --import tsx sandbox/runtime/daemon-main.ts --state <dir>`. One
 * process owns the model, the hook-tool agent, the scheduler, the pods, their Pebbles and
 * Patroni's DCS (etcd, or the Kubernetes API stand-in it serves itself); the CLI talks to it over
 * `<dir>/controller.socket`. It resumes from the state dir, so killing it loses nothing: the
 * workloads (etcd, Pebbles and what they run) keep running meanwhile, and the next daemon adopts
 * them; the stand-in comes back from `<dir>/k8s` before any pod or hook needs it. Stopping it
 * leaves the workloads running too; `destroy` removes them. While it runs, it restarts Pebbles
 * that die, as the kubelet restarts containers.
 */
import { open } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { errorCode, errorMessage } from '../../src/errors.ts';
import { createLogger, type Logger } from '../../src/logging.ts';
import type { Controller } from '../controller/controller.ts';
import { type DaemonHandle, startDaemon } from '../controller/daemon.ts';
import { ensureSandboxNetwork } from '../pods/index.ts';
import type { KubeApiServer } from '../k8s/index.ts';
import { ensureEtcd } from './etcd.ts';
import { SandboxError } from './errors.ts';
import { KubeModelCluster, KubePodCluster, ServiceDns, startKubeApi } from './kubernetes.ts';
import { SandboxPaths } from './paths.ts';
import { PebbleNotices } from './pebble-notices.ts';
import { PebbleProbe, PodRuntime } from './pod-runtime.ts';
import { commandLine, isAlive, readPid, removePid } from './processes.ts';
import { requireSettings } from './settings.ts';
import { storageLocations } from './storage.ts';

export const DAEMON_MARKER = 'daemon-main.ts';

/** Take `daemon.pid`, unless another live daemon of this state dir holds it. */
async function claimPidFile(file: string, stateDir: string): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return;
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error;
    }
    const other = await readPid(file);
    if (other !== null && other !== process.pid && (await isAlive(other))) {
      const argv = (await commandLine(other))?.join(' ') ?? '';
      if (argv.includes(DAEMON_MARKER) && argv.includes(stateDir)) {
        throw new SandboxError('sandbox-daemon-failed', `a daemon (pid ${other}) already serves ${stateDir}`);
      }
    }
    await removePid(file, other ?? undefined); // stale: its daemon died
  }
  throw new SandboxError('sandbox-daemon-failed', `cannot claim ${file}`);
}

export async function runDaemon(stateDir: string, logger: Logger): Promise<DaemonHandle> {
  const paths = new SandboxPaths(stateDir);
  const settings = await requireSettings(paths);
  await claimPidFile(paths.daemonPid, paths.stateDir);
  try {
    const network = await ensureSandboxNetwork({
      sandboxId: settings.sandboxId,
      stateDir: paths.stateDir,
      ...(settings.subnet === null ? {} : { subnet: settings.subnet }),
      namespace: settings.model,
    });
    // Patroni's DCS (docs/dcs.md), for every unit of every application: the Kubernetes API
    // stand-in (in this process, from its state dir, before any pod or hook needs it), or etcd.
    let unitEnv: Record<string, string>;
    let kube: { server: KubeApiServer; dns: ServiceDns; pods: KubePodCluster; model: KubeModelCluster } | undefined;
    if (settings.dcs === 'kubernetes') {
      const server = await startKubeApi({ stateDir: paths.stateDir, host: network.bridgeIp, namespace: settings.model, logger });
      const dns = new ServiceDns(server, { stateDir: paths.stateDir, apiHost: network.bridgeIp, logger });
      const pods = new KubePodCluster(server, dns, { nodeName: `sandbox-${settings.sandboxId}`, nodeIp: network.bridgeIp, logger });
      kube = { server, dns, pods, model: new KubeModelCluster(server) };
      unitEnv = { ...pods.env };
    } else {
      const etcd = await ensureEtcd({ dir: paths.etcdDir, host: network.bridgeIp, logger });
      logger.info({ etcd: etcd.hostPort, adopted: !etcd.started }, 'etcd ready');
      // The charm container's environment is how the charm learns etcd's user (docs/dcs.md):
      // readable only by the charm's own processes, never given to Pebble's services.
      unitEnv = {
        POSTGRESQL_DCS_ETCD_HOSTS: etcd.hostPort,
        POSTGRESQL_DCS_ETCD_USERNAME: etcd.patroni.username,
        POSTGRESQL_DCS_ETCD_PASSWORD: etcd.patroni.password,
      };
    }
    const closeKube = async () => {
      kube?.dns.close();
      await kube?.server.close();
    };
    let controller: Controller | undefined;
    const runtime = new PodRuntime({
      paths,
      sandboxId: settings.sandboxId,
      namespace: settings.model,
      containers: (app) => Object.keys(controller?.model.applications[app]?.charm.containers ?? {}),
      storage: (app) => {
        const charm = controller?.model.applications[app]?.charm;
        return charm ? storageLocations(charm) : {};
      },
      ...(kube === undefined ? {} : { cluster: kube.pods }),
      logger,
    });
    let daemon: DaemonHandle;
    try {
      await runtime.resume();
      await kube?.dns.refresh();
      daemon = await startDaemon({
        stateDir: paths.stateDir,
        runtime,
        probe: new PebbleProbe(runtime),
        notices: new PebbleNotices(async (unit, container) => (runtime.pod(unit) ? runtime.pebble(unit, container).socket() : null)),
        modelName: settings.model,
        updateStatusIntervalMs: settings.updateStatusIntervalSec * 1000,
        unitEnv: () => unitEnv,
        ...(kube === undefined ? {} : { cluster: kube.model }),
        logger,
      });
    } catch (error) {
      await closeKube();
      throw error;
    }
    controller = daemon.controller;
    runtime.supervise();
    void daemon.stopped.then(async () => {
      await runtime.stop();
      await closeKube();
    });
    return daemon;
  } catch (error) {
    await removePid(paths.daemonPid, process.pid);
    throw error;
  }
}

async function main(): Promise<void> {
  const logger = createLogger({ base: { component: 'sandbox-daemon' } });
  try {
    const { values } = parseArgs({ options: { state: { type: 'string' } }, strict: true });
    if (!values.state) throw new SandboxError('sandbox-usage', '--state <dir> is required');
    const daemon = await runDaemon(path.resolve(values.state), logger);
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void daemon.stop());
    logger.info({ socket: daemon.server.socketPath, pid: process.pid }, 'sandbox daemon ready');
    await daemon.stopped;
    await removePid(new SandboxPaths(values.state).daemonPid, process.pid);
    logger.info('sandbox daemon stopped');
  } catch (error) {
    logger.error({ err: errorMessage(error), code: errorCode(error) }, 'sandbox daemon failed');
    process.exitCode = 1;
  }
  // Detached workloads were unref'd; nothing else should keep us, but never linger.
  process.exit();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main();
