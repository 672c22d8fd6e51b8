import { chmod, copyFile, mkdir, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HOOK_TOOL_NAMES } from './engine/index.ts';

/**
 * The hook-tool directory a dispatch puts first on PATH, laid out like Juju's tools dir: one
 * copy of the jujuc client and a symlink to it per tool name.
 */

export const JUJUC_SOURCE = fileURLToPath(new URL('./jujuc.cjs', import.meta.url));
export const JUJUC_NAME = 'jujuc.cjs';

export async function installToolLinks(dir: string, tools: readonly string[] = HOOK_TOOL_NAMES): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const client = path.join(dir, JUJUC_NAME);
  await copyFile(JUJUC_SOURCE, client);
  await chmod(client, 0o755);
  const links: string[] = [];
  for (const tool of tools) {
    const link = path.join(dir, tool);
    await rm(link, { force: true });
    await symlink(JUJUC_NAME, link);
    links.push(link);
  }
  return links;
}
