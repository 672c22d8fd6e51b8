/**
 * pgbouncer in its container, through Pebble: the layer (canonical/pgbouncer-k8s-operator:
 * src/charm.py `_pgbouncer_layer`, one instance here), its directories, the files it reads, and
 * a reload (SIGHUP) when they change, a restart when the port changes or it is not running.
 */
import type { Logger } from '../../../../src/logging.ts';
import { PebbleClient, type Layer } from '../../../../src/pebble/index.ts';
import { CONTAINER, WORKLOAD_USER } from './names.ts';

export const PGB_DIR = '/var/lib/pgbouncer';
export const PGB_LOG_DIR = '/var/log/pgbouncer';
export const PGBOUNCER_BINARY = '/usr/sbin/pgbouncer';
export const SERVICE = 'pgbouncer_0';
const INSTANCE_DIR = `${PGB_DIR}/instance_0`;
const INSTANCE_LOG_DIR = `${PGB_LOG_DIR}/instance_0`;

export const INSTANCE = {
  dir: INSTANCE_DIR,
  iniPath: `${INSTANCE_DIR}/pgbouncer.ini`,
  pidFile: `${INSTANCE_DIR}/pgbouncer.pid`,
  logFile: `${INSTANCE_LOG_DIR}/pgbouncer.log`,
  logDir: INSTANCE_LOG_DIR,
} as const;

/** Where pgbouncer-k8s keeps the userlist: in memory, under a per-unit nonce. */
export function authFilePath(app: string, nonce: string): string {
  return `/dev/shm/${app}_${nonce}`;
}

export function pgbouncerLayer(): Layer {
  return {
    summary: 'pgbouncer layer',
    description: 'pebble config layer for pgbouncer',
    services: {
      [SERVICE]: {
        override: 'replace',
        summary: 'pgbouncer service 0',
        command: `${PGBOUNCER_BINARY} ${INSTANCE.iniPath}`,
        startup: 'enabled',
        user: WORKLOAD_USER,
        group: WORKLOAD_USER,
      },
    },
  };
}

export class PgbouncerWorkload {
  readonly pebble: PebbleClient;

  constructor(logger: Logger) {
    this.pebble = PebbleClient.forContainer(CONTAINER, { logger });
  }

  canConnect(): Promise<boolean> {
    return this.pebble.canConnect();
  }

  /** `pgbouncer --version`'s first line (e.g. `PgBouncer 1.18.0`), run in the container. */
  async versionText(): Promise<string> {
    const process = await this.pebble.exec([PGBOUNCER_BINARY, '--version'], { user: WORKLOAD_USER, group: WORKLOAD_USER });
    const { stdout } = await process.waitOutput();
    return stdout.split('\n')[0] ?? '';
  }

  /** The instance and log directories, owned by the workload user, 0700 (`_init_config`). */
  async ensureDirectories(): Promise<void> {
    for (const dir of [INSTANCE.dir, INSTANCE.logDir]) {
      if (!(await this.pebble.exists(dir))) {
        await this.pebble.makeDir(dir, { makeParents: true, permissions: 0o700, user: WORKLOAD_USER, group: WORKLOAD_USER });
      }
    }
  }

  /** Push `content` to `path` (0400, the workload user's) unless it is there already; whether it changed. */
  async pushIfChanged(path: string, content: string): Promise<boolean> {
    const current = (await this.pebble.exists(path)) ? await this.pebble.pullText(path) : undefined;
    if (current === content) return false;
    await this.pebble.push(path, content, { permissions: 0o400, user: WORKLOAD_USER, group: WORKLOAD_USER });
    return true;
  }

  async isRunning(): Promise<boolean> {
    const [service] = await this.pebble.services([SERVICE]);
    return service?.current === 'active';
  }

  async hasLayer(): Promise<boolean> {
    const plan = await this.pebble.plan();
    return plan.services?.[SERVICE] !== undefined;
  }

  async addLayerAndReplan(): Promise<void> {
    await this.pebble.addLayer(CONTAINER, pgbouncerLayer(), { combine: true });
    await this.pebble.replan();
  }

  /**
   * Make the running pgbouncer read its files again: SIGHUP when it runs (pgbouncer re-reads
   * pgbouncer.ini and the auth_file on HUP), a restart when it does not or `restart` is asked
   * (a new listen_port needs one).
   */
  async reload(options: { restart?: boolean } = {}): Promise<'reloaded' | 'restarted'> {
    if (!options.restart && (await this.isRunning())) {
      await this.pebble.sendSignal('SIGHUP', [SERVICE]);
      return 'reloaded';
    }
    await this.pebble.restart([SERVICE]);
    return 'restarted';
  }
}
