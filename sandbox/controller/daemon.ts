import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { errorMessage } from '../../src/errors.ts';
import { createLogger } from '../../src/logging.ts';
import { Controller, type ControllerOptions } from './controller.ts';
import { ControllerServer } from './controller-server.ts';
import { ControllerError } from './errors.ts';
import { CONTROLLER_SOCKET } from './protocol.ts';
import { DEFAULT_RETRY } from './scheduler.ts';

/**
 * The long-running controller: `tsx sandbox/controller/daemon.ts --state <dir>`. It reloads the
 * model and the queues from the state dir, resumes, and serves the CLI on
 * `<dir>/controller.socket` until SIGTERM/SIGINT or a `shutdown` request.
 */

export interface DaemonHandle {
  controller: Controller;
  server: ControllerServer;
  /** Resolves once the daemon has stopped (whoever asked). */
  stopped: Promise<void>;
  stop(): Promise<void>;
}

export async function startDaemon(options: ControllerOptions): Promise<DaemonHandle> {
  const controller = await Controller.open(options);
  let stopping: Promise<void> | undefined;
  let server: ControllerServer | undefined;
  let markStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (markStopped = resolve));
  const stop = () => {
    stopping ??= (async () => {
      await server?.close();
      await controller.stop();
      markStopped();
    })();
    return stopping;
  };
  try {
    server = await ControllerServer.listen({
      controller,
      socketPath: path.join(controller.stateDir, CONTROLLER_SOCKET),
      onShutdown: () => void stop(),
      logger: options.logger,
    });
  } catch (error) {
    await controller.stop();
    throw error;
  }
  return { controller, server, stopped, stop };
}

function seconds(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new ControllerError(`--${flag} must be a positive number of seconds`);
  return Math.round(parsed * 1000);
}

/** Parse the daemon's command line into controller options. */
export function parseDaemonArgs(argv: readonly string[]): ControllerOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      state: { type: 'string' },
      model: { type: 'string' },
      'update-status-interval': { type: 'string' },
      'retry-delay': { type: 'string' },
      'probe-interval': { type: 'string' },
    },
    strict: true,
  });
  if (!values.state) throw new ControllerError('--state <dir> is required');
  const retryMs = seconds('retry-delay', values['retry-delay']);
  return {
    stateDir: path.resolve(values.state),
    modelName: values.model,
    updateStatusIntervalMs: seconds('update-status-interval', values['update-status-interval']),
    probeIntervalMs: seconds('probe-interval', values['probe-interval']),
    retry: retryMs === undefined ? undefined : { initialMs: retryMs, maxMs: Math.max(retryMs, DEFAULT_RETRY.maxMs) },
  };
}

async function main(): Promise<void> {
  const logger = createLogger({ base: { component: 'sandbox-controller' } });
  try {
    const daemon = await startDaemon({ ...parseDaemonArgs(process.argv.slice(2)), logger });
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void daemon.stop());
    logger.info({ socket: daemon.server.socketPath, model: daemon.controller.model.name }, 'controller ready');
    await daemon.stopped;
    logger.info('controller stopped');
  } catch (error) {
    logger.error({ err: errorMessage(error) }, 'controller failed');
    process.exitCode = 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main();
