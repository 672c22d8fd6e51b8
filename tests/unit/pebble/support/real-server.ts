import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startPebbleServer } from '../../../../sandbox/pebble/server.ts';
import { PebbleClient } from '../../../../src/pebble/index.ts';
import { tempDir } from './raw-server.ts';

/**
 * The sandbox's Pebble-compatible server (real processes, real files under a temp root) with a
 * client talking to it over its unix socket. `stop()` closes the server (and with it every
 * process it started) and removes the temp dir, also when a test failed.
 */
export interface RealPebble {
  client: PebbleClient;
  /** Host directory that is "/" for the files API. */
  rootDir: string;
  socketPath: string;
  stop(): Promise<void>;
}

export async function startRealPebble(options: { timeoutMs?: number } = {}): Promise<RealPebble> {
  const dir = await tempDir();
  const rootDir = join(dir, 'root');
  const stateDir = join(dir, 'state');
  // The container filesystem needs root's home: exec's default working dir is $HOME.
  await mkdir(join(rootDir, 'root'), { recursive: true });
  await mkdir(join(rootDir, 'tmp'), { recursive: true });
  await mkdir(stateDir, { recursive: true });
  const socketPath = join(dir, 'pebble.socket');
  let server: Awaited<ReturnType<typeof startPebbleServer>> | undefined;
  try {
    server = await startPebbleServer({ socketPath, stateDir, rootDir });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const client = new PebbleClient({ socketPath, ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }) });
  return {
    client,
    rootDir,
    socketPath,
    async stop() {
      try {
        await server?.close();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
