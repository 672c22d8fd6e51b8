/**
 * One channel for a child's stdout and stderr together (exec without split-stderr). Node can't
 * hand the same pipe to both descriptors, so a connected unix socket pair stands in: the child
 * gets one end as fd 1 and 2, we read the other, and the ordering of writes is preserved.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface MergedOutput {
  /** Pass as the child's stdout and stderr, then call releaseChildEnd() after spawning. */
  childEnd: net.Socket;
  /** Everything the child writes to fd 1 or 2. */
  reader: net.Socket;
  releaseChildEnd(): void;
}

export async function openMergedOutput(): Promise<MergedOutput> {
  const path = join(tmpdir(), `pebble-exec-${randomBytes(6).toString('hex')}.sock`);
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  try {
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const childEnd = net.connect(path);
    await new Promise<void>((resolve, reject) => {
      childEnd.once('connect', () => resolve());
      childEnd.once('error', reject);
    });
    const reader = await accepted;
    return {
      childEnd,
      reader,
      releaseChildEnd: () => childEnd.destroy(),
    };
  } finally {
    server.close();
    rmSync(path, { force: true });
  }
}
