/**
 * `tsx sandbox/pebble/main.ts --socket S --state D [--root R] [--layers L]`: run the sandbox
 * Pebble as its own process. SIGTERM/SIGINT stop every service before exiting.
 */
import { parseArgs } from 'node:util';
import { createLogger } from '../../src/logging.ts';
import { startPebbleServer } from './server.ts';

const logger = createLogger({ level: process.env['PEBBLE_LOG_LEVEL'] ?? 'info', base: { component: 'sandbox-pebble' } });

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      socket: { type: 'string' },
      state: { type: 'string' },
      root: { type: 'string' },
      layers: { type: 'string' },
    },
  });
  if (!values.socket || !values.state) {
    logger.error('usage: main.ts --socket PATH --state DIR [--root DIR] [--layers DIR]');
    return 2;
  }
  const server = await startPebbleServer({
    socketPath: values.socket,
    stateDir: values.state,
    ...(values.root ? { rootDir: values.root } : {}),
    ...(values.layers ? { layersDir: values.layers } : {}),
    logger,
  });
  logger.info({ socket: server.socketPath }, 'pebble listening');
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await server.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    logger.error({ err }, 'pebble failed');
    process.exit(1);
  },
);
