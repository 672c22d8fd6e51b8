/** Small Pebble reads the probe is made of: optional files and short commands. */
import type { WorkloadPebble } from '../clients/workload-pebble.ts';
import { ChangeError, ExecError, PathError, PebbleApiError } from '../pebble/index.ts';

/** A file's text, or undefined when it does not exist or cannot be read. */
export async function readOptionalFile(pebble: WorkloadPebble, path: string): Promise<string | undefined> {
  try {
    return await pebble.pullText(path);
  } catch (error) {
    if (error instanceof PathError) return undefined;
    throw error;
  }
}

/** Names in a directory, or [] when it does not exist. */
export async function listNames(pebble: WorkloadPebble, path: string, pattern?: string): Promise<string[]> {
  try {
    const entries = await pebble.listFiles(path, pattern === undefined ? {} : { pattern });
    return entries.map((entry) => entry.name);
  } catch (error) {
    if (error instanceof PathError || (error instanceof PebbleApiError && error.status === 404)) return [];
    throw error;
  }
}

/**
 * stdout of a short command, or undefined when it exits non-zero or cannot be started (Pebble
 * answers 400 for a missing executable). Connection failures still throw.
 */
export async function runOptional(
  pebble: WorkloadPebble,
  command: readonly string[],
  options: { workingDir?: string } = {},
): Promise<string | undefined> {
  try {
    // `/` unless told otherwise: Pebble's default is the user's home, which a container may lack.
    const process = await pebble.exec(command, { timeoutMs: 10_000, workingDir: '/', ...options });
    return (await process.waitOutput()).stdout;
  } catch (error) {
    if (error instanceof ExecError || error instanceof ChangeError || error instanceof PebbleApiError) return undefined;
    throw error;
  }
}
