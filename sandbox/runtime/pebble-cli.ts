import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The `pebble` command a workload finds on its PATH (Juju mounts the real one into each workload
 * container at /charm/bin/pebble): the sandbox's pebble-cli.cjs, which knows `notify`, copied to
 * `<state>/bin/pebble` with this Node named in its first line, because a pod's PATH need not
 * reach any node. Every Pebble the runtime starts puts `<state>/bin` first on its PATH, so its
 * services (and what they run) inherit it.
 */

export const PEBBLE_CLI_SOURCE = fileURLToPath(new URL('../pebble/pebble-cli.cjs', import.meta.url));

export async function installPebbleCli(binDir: string, node = process.execPath): Promise<string> {
  await mkdir(binDir, { recursive: true });
  const source = await readFile(PEBBLE_CLI_SOURCE, 'utf8');
  const text = source.replace(/^#!.*\n/, `#!${node}\n`);
  const target = path.join(binDir, 'pebble');
  // Written aside and renamed: a workload may be running the old copy right now.
  const temp = `${target}.${process.pid}.tmp`;
  await writeFile(temp, text, { mode: 0o755 });
  await chmod(temp, 0o755);
  await rename(temp, target);
  return target;
}
