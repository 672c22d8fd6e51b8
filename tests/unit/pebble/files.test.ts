import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PathError, PebbleApiError } from '../../../src/pebble/index.ts';
import { startRealPebble, type RealPebble } from './support/real-server.ts';

/** The files API against the sandbox's real Pebble server (files live under a temp root). */

let pebble: RealPebble;
beforeEach(async () => {
  pebble = await startRealPebble();
});
afterEach(async () => {
  await pebble.stop();
});

async function pathError(promise: Promise<unknown>): Promise<PathError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PathError);
  return error as PathError;
}

describe('push and pull', () => {
  it('round-trips text and binary content', async () => {
    const { client } = pebble;
    await client.push('/tmp/hello.txt', 'hello, wörld\n');
    expect(await client.pullText('/tmp/hello.txt')).toBe('hello, wörld\n');

    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const big = Buffer.concat(Array.from({ length: 1200 }, () => bytes)); // 300 KiB, several chunks
    await client.push('/tmp/data.bin', big);
    expect((await readFile(join(pebble.rootDir, 'tmp/data.bin'))).equals(big)).toBe(true);
    const text = 'ü'.repeat(150_000); // 300 kB back through the multipart read
    await client.push('/tmp/big.txt', text);
    expect(await client.pullText('/tmp/big.txt')).toBe(text);
  });

  it('applies permissions and ownership, and creates parents with makeDirs', async () => {
    const { client, rootDir } = pebble;
    await client.push('/srv/app/conf/secret.conf', 'x=1\n', { makeDirs: true, permissions: 0o640, user: 'daemon', group: 'daemon' });
    const [info] = await client.listFiles('/srv/app/conf/secret.conf');
    expect(info).toMatchObject({ path: '/srv/app/conf/secret.conf', name: 'secret.conf', type: 'file', size: 4, permissions: 0o640, user: 'daemon', userId: 1, group: 'daemon', groupId: 1 });
    const host = await stat(join(rootDir, 'srv/app/conf/secret.conf'));
    expect(host.mode & 0o777).toBe(0o640);
    expect(host.uid).toBe(1);
    const [parent] = await client.listFiles('/srv/app/conf', { itself: true });
    expect(parent).toMatchObject({ type: 'directory', permissions: 0o755, user: 'daemon' });

    await client.push('/tmp/default-mode', 'y');
    expect((await client.stat('/tmp/default-mode'))?.permissions).toBe(0o644);
  });

  it('reports per-path failures as PathError with Pebble\'s kind and message', async () => {
    const { client } = pebble;
    const noParent = await pathError(client.push('/missing/dir/file', 'x'));
    expect(noParent.kind).toBe('not-found');
    expect(noParent.message).toMatch(/^open \/missing\/dir\/file\.[^ ]+~: no such file or directory$/);

    const missing = await pathError(client.pullText('/tmp/nope'));
    expect(missing.kind).toBe('not-found');
    expect(missing.message).toBe('stat /tmp/nope: no such file or directory');

    const directory = await pathError(client.pullText('/tmp'));
    expect(directory.kind).toBe('generic-file-error');
    expect(directory.message).toBe('can only read a regular file: "/tmp"');

    const badUser = await pathError(client.push('/tmp/f', 'x', { group: 'daemon' }));
    expect(badUser.message).toContain('must specify user, not just group');
  });
});

describe('listing', () => {
  it('lists entries with a pattern, describes a path itself, and answers stat/exists', async () => {
    const { client } = pebble;
    await client.push('/etc/app/a.conf', 'a', { makeDirs: true });
    await client.push('/etc/app/b.conf', 'b');
    await client.push('/etc/app/c.txt', 'c');
    expect((await client.listFiles('/etc/app')).map((f) => f.name).sort()).toEqual(['a.conf', 'b.conf', 'c.txt']);
    expect((await client.listFiles('/etc/app', { pattern: '*.conf' })).map((f) => f.name).sort()).toEqual(['a.conf', 'b.conf']);
    expect(await client.listFiles('/etc/app', { itself: true })).toEqual([expect.objectContaining({ path: '/etc/app', type: 'directory' })]);

    expect(await client.exists('/etc/app/a.conf')).toBe(true);
    expect((await client.stat('/etc/app'))?.type).toBe('directory');
    expect(await client.exists('/etc/nothing')).toBe(false);
    expect(await client.stat('/etc/nothing')).toBeUndefined();
  });

  it('answers a missing path with a 404 not-found API error', async () => {
    const error = (await pebble.client.listFiles('/nope').catch((e: unknown) => e)) as PebbleApiError;
    expect(error).toBeInstanceOf(PebbleApiError);
    expect(error.status).toBe(404);
    expect(error.kind).toBe('not-found');
    expect(error.message).toBe('stat /nope: no such file or directory');
  });
});

describe('directories', () => {
  it('makes directories with permissions and ownership, like mkdir and mkdir -p', async () => {
    const { client } = pebble;
    await client.makeDir('/data', { permissions: 0o700, user: 'daemon' });
    expect(await client.stat('/data')).toMatchObject({ type: 'directory', permissions: 0o700, user: 'daemon', group: 'daemon' });

    const exists = await pathError(client.makeDir('/data'));
    expect(exists.kind).toBe('generic-file-error');
    expect(exists.message).toBe('mkdir /data: file exists');
    await client.makeDir('/data', { makeParents: true });

    const noParent = await pathError(client.makeDir('/deep/er/dir'));
    expect(noParent.kind).toBe('not-found');
    await client.makeDir('/deep/er/dir', { makeParents: true });
    expect((await client.stat('/deep/er/dir'))?.type).toBe('directory');
  });
});
