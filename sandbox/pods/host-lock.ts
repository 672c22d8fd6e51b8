import { execa } from 'execa';
import os from 'node:os';
import path from 'node:path';
import { PodError } from './errors.ts';

/**
 * Every sandbox on the machine takes this lock while it checks that a subnet is free and claims
 * it with its bridge, so two sandboxes deploying at the same moment cannot both take the same
 * /24 (scripts/run-integration-lanes.mjs runs two at once).
 */
export const NETWORK_LOCK_PATH = path.join(os.tmpdir(), 'postgresql-k8s-sandbox-network.lock');

/**
 * Run `critical` holding an exclusive flock(2) on `lockPath`, through util-linux's `flock`: it
 * holds the lock while its shell waits on stdin, so the kernel drops the lock when we close
 * stdin or if this process dies.
 */
export async function withHostLock<T>(lockPath: string, critical: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const holder = execa('flock', ['--exclusive', '--timeout', String(Math.ceil(timeoutMs / 1000)), lockPath, 'sh', '-c', 'echo locked; read _'], {
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    reject: false,
  });
  const acquired = await new Promise<boolean>((resolve) => {
    holder.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('locked')) resolve(true);
    });
    void holder.then(() => resolve(false));
  });
  if (!acquired) {
    const result = await holder;
    throw new PodError('pod-command-failed', `cannot take the sandbox lock ${lockPath}: ${String(result.stderr).trim() || `flock exited ${String(result.exitCode)}`}`);
  }
  try {
    return await critical();
  } finally {
    holder.stdin?.end();
    await holder;
  }
}
