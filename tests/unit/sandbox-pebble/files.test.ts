import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { request, startTestPebble, type TestPebble } from './helpers.ts';

let p: TestPebble;
let root: string;

beforeAll(async () => {
  p = await startTestPebble();
  // A second server whose filesystem root is a temp dir, like a container's.
  root = join(p.dir, 'root');
  mkdirSync(root);
});
afterAll(async () => {
  await p?.close();
});

const passwd = readFileSync('/etc/passwd', 'utf8').split('\n').map((l) => l.split(':'));
const nobody = passwd.find((f) => f[0] === 'nobody') as string[];
const nobodyGroup = readFileSync('/etc/group', 'utf8')
  .split('\n')
  .map((l) => l.split(':'))
  .find((f) => f[2] === nobody[3])?.[0];

async function withRoot<T>(fn: (t: TestPebble) => Promise<T>): Promise<T> {
  const t = await startTestPebble({ rootDir: root });
  try {
    return await fn(t);
  } finally {
    await t.close();
  }
}

const BOUNDARY = '0123456789abcdef0123456789abcdef-boundary';

function multipart(meta: unknown, files: Array<[string, string | Buffer]>, boundary = BOUNDARY): Buffer {
  const parts: Buffer[] = [
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="request"\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(meta)}\r\n`),
  ];
  for (const [path, data] of files) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${path}"\r\nContent-Type: application/octet-stream\r\n\r\n`));
    parts.push(Buffer.isBuffer(data) ? data : Buffer.from(data));
    parts.push(Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(parts);
}

function push(t: TestPebble, meta: unknown, files: Array<[string, string | Buffer]>) {
  return t.post('/v1/files', multipart(meta, files), { 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}` });
}

async function pull(t: TestPebble, ...paths: string[]) {
  const query = paths.map((x) => `path=${encodeURIComponent(x)}`).join('&');
  const res = await t.get(`/v1/files?action=read&${query}`, { Accept: 'multipart/form-data' });
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
  const form = await new Response(new Uint8Array(res.body), { headers: { 'content-type': res.headers['content-type'] as string } }).formData();
  return { raw: res.text, entries: [...form.entries()] };
}

describe('files', () => {
  test('push writes atomically with permissions and ownership; pull returns file parts then the response part', async () => {
    await withRoot(async (t) => {
      const res = await push(
        t,
        {
          action: 'write',
          files: [
            { path: '/etc/app/config.yaml', 'make-dirs': true, permissions: '600', user: 'nobody' },
            { path: '/plain.txt' },
            { path: '/missing/parent.txt' },
            { path: '/bad-perm.txt', permissions: '0644' },
            { path: '/not-sent.txt' },
          ],
        },
        [
          ['/etc/app/config.yaml', 'key: value\n'],
          ['/plain.txt', Buffer.from([0, 1, 2, 255])],
          ['/missing/parent.txt', 'x'],
          ['/bad-perm.txt', 'x'],
        ],
      );
      expect(res.status).toBe(200);
      const result = res.json.result;
      expect(result[0]).toEqual({ path: '/etc/app/config.yaml' });
      expect(result[1]).toEqual({ path: '/plain.txt' });
      expect(result[2].error.kind).toBe('not-found');
      expect(result[2].error.message).toMatch(/^open \/missing\/parent\.txt\.\d+~: no such file or directory$/);
      expect(result[3].error).toEqual({ kind: 'generic-file-error', message: 'permissions must be a 3-digit octal string, got "0644"' });
      expect(result[4].error).toEqual({ kind: 'generic-file-error', message: 'no file content for path "/not-sent.txt"' });

      const config = statSync(join(root, 'etc/app/config.yaml'));
      expect(config.mode & 0o777).toBe(0o600);
      expect([config.uid, config.gid]).toEqual([Number(nobody[2]), Number(nobody[3])]);
      const parent = statSync(join(root, 'etc/app'));
      expect(parent.mode & 0o777).toBe(0o755);
      expect(parent.uid).toBe(Number(nobody[2]));
      expect(statSync(join(root, 'plain.txt')).mode & 0o777).toBe(0o644);
      expect(readdirSync(root).filter((n) => n.includes('~'))).toEqual([]);

      const pulled = await pull(t, '/etc/app/config.yaml', '/nope', '/etc', 'relative', '/plain.txt');
      expect(pulled.entries.map(([name]) => name)).toEqual(['files', 'files', 'response']);
      const [first, second, response] = pulled.entries;
      expect((first?.[1] as File).name).toBe('/etc/app/config.yaml');
      expect(await (first?.[1] as File).text()).toBe('key: value\n');
      expect(Buffer.from(await (second?.[1] as File).arrayBuffer())).toEqual(Buffer.from([0, 1, 2, 255]));
      expect(JSON.parse(response?.[1] as string)).toEqual({
        type: 'sync',
        'status-code': 200,
        status: 'OK',
        result: [
          { path: '/etc/app/config.yaml' },
          { path: '/nope', error: { kind: 'not-found', message: 'stat /nope: no such file or directory' } },
          { path: '/etc', error: { kind: 'generic-file-error', message: 'can only read a regular file: "/etc"' } },
          { path: 'relative', error: { kind: 'generic-file-error', message: 'paths must be absolute, got "relative"' } },
          { path: '/plain.txt' },
        ],
      });
      expect(pulled.raw.indexOf('name="response"')).toBeGreaterThan(pulled.raw.lastIndexOf('name="files"'));
    });
  });

  test('push request-level errors', async () => {
    const bad = await p.post('/v1/files', multipart({ action: 'write', files: [{ path: '/tmp/x' }] }, [['/tmp/y', 'x']]), {
      'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`,
    });
    expect(bad.json.result.message).toBe('no metadata for path "/tmp/y"');
    const action = await push(p, { action: 'read', files: [] }, []);
    expect(action.json.result.message).toBe('multipart action must be "write", got "read"');
    const none = await push(p, { action: 'write', files: [] }, []);
    expect(none.json.result.message).toBe('must specify one or more files');
    const user = await push(p, { action: 'write', files: [{ path: '/tmp/z', group: 'root' }] }, [['/tmp/z', 'x']]);
    expect(user.json.result[0].error.message).toBe('cannot look up user and group: must specify user, not just group');
  });

  test('list describes entries with user and group names; pattern and itself', async () => {
    await withRoot(async (t) => {
      mkdirSync(join(root, 'listing/sub'), { recursive: true });
      writeFileSync(join(root, 'listing/a.txt'), 'hello');
      writeFileSync(join(root, 'listing/.hidden.txt'), '');
      writeFileSync(join(root, 'listing/b.log'), '');
      chmodSync(join(root, 'listing/a.txt'), 0o640);
      symlinkSync('a.txt', join(root, 'listing/link'));
      const res = await t.get('/v1/files?action=list&path=/listing');
      expect(res.status).toBe(200);
      const byName = Object.fromEntries(res.json.result.map((f: { name: string }) => [f.name, f]));
      expect(Object.keys(byName).sort()).toEqual(['.hidden.txt', 'a.txt', 'b.log', 'link', 'sub']);
      expect(byName['a.txt']).toEqual({
        path: '/listing/a.txt',
        name: 'a.txt',
        type: 'file',
        size: 5,
        permissions: '640',
        'last-modified': expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        'user-id': 0,
        user: 'root',
        'group-id': 0,
        group: 'root',
      });
      expect(Object.keys(byName['a.txt'])).toEqual(['path', 'name', 'type', 'size', 'permissions', 'last-modified', 'user-id', 'user', 'group-id', 'group']);
      expect(byName['sub'].type).toBe('directory');
      expect(byName['sub'].size).toBeUndefined();
      expect(byName['link'].type).toBe('symlink');

      const txt = await t.get('/v1/files?action=list&path=/listing&pattern=*.txt');
      expect(txt.json.result.map((f: { name: string }) => f.name).sort()).toEqual(['.hidden.txt', 'a.txt']);
      const itself = await t.get('/v1/files?action=list&path=/listing&itself=true');
      expect(itself.json.result).toHaveLength(1);
      expect(itself.json.result[0]).toMatchObject({ path: '/listing', name: 'listing', type: 'directory' });
      const file = await t.get('/v1/files?action=list&path=/listing/a.txt');
      expect(file.json.result[0].path).toBe('/listing/a.txt');
      const empty = await t.get('/v1/files?action=list&path=/listing/sub');
      expect(empty.json.result).toEqual([]);
    });
  });

  test('make-dirs and remove, with their per-path errors', async () => {
    await withRoot(async (t) => {
      const made = await t.post('/v1/files', {
        action: 'make-dirs',
        dirs: [
          { path: '/made/deep/er', 'make-parents': true, permissions: '700', user: 'nobody', group: nobodyGroup },
          { path: '/made' },
          { path: '/orphan/child' },
          { path: '/made/deep', 'make-parents': true },
        ],
      });
      expect(made.status).toBe(200);
      expect(made.json.result[0]).toEqual({ path: '/made/deep/er' });
      expect(made.json.result[1]).toEqual({ path: '/made', error: { kind: 'generic-file-error', message: 'mkdir /made: file exists' } });
      expect(made.json.result[2]).toEqual({
        path: '/orphan/child',
        error: { kind: 'not-found', message: 'mkdir /orphan/child.mkdir-new: no such file or directory' },
      });
      expect(made.json.result[3]).toEqual({ path: '/made/deep' });
      const deep = statSync(join(root, 'made/deep/er'));
      expect(deep.mode & 0o777).toBe(0o700);
      expect(deep.uid).toBe(Number(nobody[2]));
      expect(statSync(join(root, 'made')).mode & 0o777).toBe(0o700);

      writeFileSync(join(root, 'made/deep/er/file'), 'x');
      const removed = await t.post('/v1/files', {
        action: 'remove',
        paths: [{ path: '/made/deep' }, { path: '/ghost' }, { path: '/ghost', recursive: true }, { path: '/made/deep', recursive: true }],
      });
      expect(removed.json.result).toEqual([
        { path: '/made/deep', error: { kind: 'generic-file-error', message: 'remove /made/deep: directory not empty' } },
        { path: '/ghost', error: { kind: 'not-found', message: 'remove /ghost: no such file or directory' } },
        { path: '/ghost' },
        { path: '/made/deep' },
      ]);
      expect(existsSync(join(root, 'made/deep'))).toBe(false);
      expect(existsSync(join(root, 'made'))).toBe(true);
    });
  });

  test('paths cannot climb out of the root', async () => {
    await withRoot(async (t) => {
      const res = await push(t, { action: 'write', files: [{ path: '/../../escape.txt' }] }, [['/../../escape.txt', 'x']]);
      expect(res.json.result).toEqual([{ path: '/../../escape.txt' }]);
      expect(existsSync(join(root, 'escape.txt'))).toBe(true);
      const res2 = await request(t.socket, 'GET', '/v1/files?action=list&path=/escape.txt');
      expect(res2.json.result[0].size).toBe(1);
    });
  });
});
