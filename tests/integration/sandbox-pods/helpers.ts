import { randomInt } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isCharmError } from '../../../src/errors.ts';
import { ensureSandboxNetwork, type NetworkRecord } from '../../../sandbox/pods/index.ts';

export interface TestSandbox {
  sandboxId: string;
  stateDir: string;
  network: NetworkRecord;
}

/**
 * A sandbox of its own for one test file: a random id, a temporary state dir (under /tmp, which
 * pods make private, so the state dir re-exposure is exercised too) and a free random subnet.
 */
export async function newTestSandbox(label: string): Promise<TestSandbox> {
  const sandboxId = `t${label}${randomInt(36 ** 4).toString(36)}`.slice(0, 8);
  const stateDir = await mkdtemp(path.join(os.tmpdir(), `pods-${label}-`));
  for (let attempt = 0; ; attempt++) {
    const subnet = `10.213.${randomInt(100, 251)}.0/24`;
    try {
      return { sandboxId, stateDir, network: await ensureSandboxNetwork({ sandboxId, stateDir, subnet, namespace: 'testmodel' }) };
    } catch (error) {
      if (!isCharmError(error, 'pod-subnet-in-use') || attempt >= 20) throw error;
    }
  }
}

/** A tiny HTTP server answering with the hostname it runs under, for `node -e`. */
export const HOSTNAME_SERVER = `require('node:http').createServer((q, s) => s.end(require('node:os').hostname())).listen(8008, '0.0.0.0', () => console.log('listening'))`;

/** GET `url` and print the body, for `node -e` inside a pod (argv[1] is the URL). */
export const HTTP_GET = `fetch(process.argv[1]).then(async (r) => console.log(await r.text())).catch((e) => { console.error(String(e.cause ?? e)); process.exit(1); })`;

/** Poll `read` until `ok` holds (or time runs out, returning the last value for the assertion). */
export async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch((error: unknown) => error as T);
    if (ok(value) || Date.now() >= deadline) return value;
    await sleep(50);
  }
}

/** True once `pid` has exited (gone, or a zombie nobody reaped yet). */
export async function isDead(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}
