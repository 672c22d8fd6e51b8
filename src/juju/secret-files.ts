import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Run `use` with `<key>#file=<path>` arguments for secret content, so values never appear in argv
 * (visible in /proc to every process). The files live in a fresh 0700 directory, are 0600, and
 * are removed afterwards whatever happens. The agent reads them (it runs on the same host).
 */
export async function withSecretFiles<T>(content: Record<string, string>, use: (args: string[]) => Promise<T>): Promise<T> {
  // Synchronous fs for a few tiny files: node:fs/promises would cost every hook's start-up.
  const dir = mkdtempSync(join(tmpdir(), 'charm-secret-'));
  try {
    const args: string[] = [];
    for (const [key, value] of Object.entries(content)) {
      const path = join(dir, key);
      writeFileSync(path, value, { mode: 0o600, flag: 'wx' });
      args.push(`${key}#file=${path}`);
    }
    return await use(args);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
