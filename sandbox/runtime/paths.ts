import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the sandbox keeps everything, under one state dir (`$SANDBOX_STATE_DIR`, default
 * `<repo>/.sandbox`). The controller owns model.json, controller.json, tools/, logs/ and its
 * sockets; the pod layer owns pods/; the rest is laid out here.
 *
 *   sandbox.json                   sandbox id, subnet, model name (written by the first deploy)
 *   daemon.pid, daemon.log         the long-running controller daemon
 *   etcd/{etcd.pid,etcd.log,data}  the control plane's etcd (Patroni's DCS with --dcs etcd)
 *   k8s/{ca.crt,ca.key,state.json} the Kubernetes API stand-in's CA and objects (--dcs kubernetes)
 *   charms/<app>/                  each application's charm directory
 *   agents/unit-<app>-<n>/charm/   each unit's own copy of it, its JUJU_CHARM_DIR (the controller's)
 *   pebble/<pod>/<container>/      a unit's Pebble: state, pebble.pid, pebble.log
 *   bin/pebble                     the `pebble` command on the workloads' PATH (pebble-cli.ts)
 */

/** The repository this file belongs to (where dist/, dispatch and the yaml files are). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** tsx's loader, so a plain `node --import <it> file.ts` runs our TypeScript. */
export const TSX_LOADER = new URL('node_modules/tsx/dist/loader.mjs', `file://${REPO_ROOT}`).href;

export const DAEMON_SCRIPT = path.join(REPO_ROOT, 'sandbox', 'runtime', 'daemon-main.ts');
export const PEBBLE_SCRIPT = path.join(REPO_ROOT, 'sandbox', 'pebble', 'main.ts');

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['SANDBOX_STATE_DIR'];
  return path.resolve(fromEnv !== undefined && fromEnv !== '' ? fromEnv : path.join(REPO_ROOT, '.sandbox'));
}

export class SandboxPaths {
  readonly stateDir: string;

  constructor(stateDir: string) {
    this.stateDir = path.resolve(stateDir);
  }

  get settings(): string {
    return path.join(this.stateDir, 'sandbox.json');
  }
  get daemonPid(): string {
    return path.join(this.stateDir, 'daemon.pid');
  }
  get daemonLog(): string {
    return path.join(this.stateDir, 'daemon.log');
  }
  get etcdDir(): string {
    return path.join(this.stateDir, 'etcd');
  }
  /** Commands for the pods' workloads (the `pebble` CLI, see pebble-cli.ts). */
  get binDir(): string {
    return path.join(this.stateDir, 'bin');
  }
  get debugLogDir(): string {
    return path.join(this.stateDir, 'logs');
  }
  charmDir(app: string): string {
    return path.join(this.stateDir, 'charms', app);
  }
  get charmsDir(): string {
    return path.join(this.stateDir, 'charms');
  }
  pebbleDir(pod: string, container?: string): string {
    const dir = path.join(this.stateDir, 'pebble', pod);
    return container === undefined ? dir : path.join(dir, container);
  }
}

/** `postgresql-k8s/0` → `postgresql-k8s-0`, the pod (and hostname) of a unit. */
export function podNameOf(unit: string): string {
  return unit.replace('/', '-');
}

/** The unit a pod runs, from the pod's application and name. */
export function unitOfPod(pod: { name: string; app: string }): string {
  return `${pod.app}/${pod.name.slice(pod.app.length + 1)}`;
}

/** Where Juju puts container `name`'s Pebble socket for the charm (docs/hook-tools.md). */
export function pebbleSocketIn(container: string): string {
  return `/charm/containers/${container}/pebble.socket`;
}
