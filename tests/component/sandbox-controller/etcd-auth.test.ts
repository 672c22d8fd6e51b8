import { execa } from 'execa';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateway } from '../../../sandbox/runtime/etcd-auth.ts';
import { ensureEtcd, stopEtcd, type EtcdHandle } from '../../../sandbox/runtime/etcd.ts';
import { freePorts } from '../../support/patroni-ports.ts';

// The sandbox's etcd as sandbox/runtime/etcd.ts starts it (on loopback and free ports here):
// what any pod could do with etcdctl, and what Patroni's user may do. Patroni itself runs on an
// etcd with the same auth in the patroni-stack component tests (tests/support/etcd-process.ts).

let dir: string;
let ports: { client: number; peer: number };
let etcd: EtcdHandle;
const b64 = (text: string) => Buffer.from(text).toString('base64');
const etcdctl = (...args: string[]) =>
  execa('etcdctl', [`--endpoints=${etcd.hostPort}`, '--dial-timeout=3s', '--command-timeout=5s', ...args], {
    reject: false,
    extendEnv: false,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ETCDCTL_API: '3' },
  });
const tokenFor = async (name: string, password: string) => String((await gateway(etcd.clientUrl, 'auth/authenticate', { name, password }))['token']);

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'etcd-auth-'));
  const [client, peer] = await freePorts(2);
  ports = { client: client!, peer: peer! };
  etcd = await ensureEtcd({ dir, host: '127.0.0.1', ports });
  // Something for an intruder to find: the keys Patroni keeps.
  const token = await tokenFor(etcd.patroni.username, etcd.patroni.password);
  await gateway(etcd.clientUrl, 'kv/put', { key: b64('/service/sandbox/patroni-pg/leader'), value: b64('pg-0') }, token);
}, 60_000);

afterAll(async () => {
  if (dir !== undefined) {
    await stopEtcd(dir);
    await rm(dir, { recursive: true, force: true });
  }
}, 30_000);

describe("the sandbox's etcd requires credentials", () => {
  it('refuses an unauthenticated etcdctl: get --prefix /service/ and put', async () => {
    const get = await etcdctl('get', '--prefix', '/service/');
    expect(get.exitCode).not.toBe(0);
    expect(get.stdout).not.toContain('leader');
    expect(get.stderr).toContain('user name is empty');
    const put = await etcdctl('put', '/service/sandbox/patroni-pg/leader', 'intruder');
    expect(put.exitCode).not.toBe(0);
    expect(put.stderr).toContain('user name is empty');
    // The JSON gateway (what Patroni's etcd3 client speaks) refuses too.
    await expect(gateway(etcd.clientUrl, 'kv/range', { key: b64('/service/'), range_end: b64('/service0') })).rejects.toThrow(/user name is empty/);
  });

  it('refuses a wrong password and the patroni user outside Patroni\'s prefix', async () => {
    await expect(tokenFor(etcd.patroni.username, 'not-the-password')).rejects.toThrow(/authentication failed/);
    const token = await tokenFor(etcd.patroni.username, etcd.patroni.password);
    await expect(gateway(etcd.clientUrl, 'kv/put', { key: b64('/other'), value: b64('x') }, token)).rejects.toThrow(/permission denied/);
    await expect(gateway(etcd.clientUrl, 'auth/user/list', {}, token)).rejects.toThrow(/permission denied/);
  });

  it('lets Patroni\'s user read and write its prefix', async () => {
    const token = await tokenFor(etcd.patroni.username, etcd.patroni.password);
    await gateway(etcd.clientUrl, 'kv/put', { key: b64('/service/sandbox/patroni-pg/config'), value: b64('{}') }, token);
    const range = await gateway(etcd.clientUrl, 'kv/range', { key: b64('/service/'), range_end: b64('/service0') }, token);
    const keys = (range['kvs'] as { key: string }[]).map((kv) => Buffer.from(kv.key, 'base64').toString());
    expect(keys).toEqual(['/service/sandbox/patroni-pg/config', '/service/sandbox/patroni-pg/leader']);
  });

  it('keeps the passwords out of argv and world-readable files, and the same users when adopted again', async () => {
    const argv = await readFile(`/proc/${etcd.pid}/cmdline`, 'utf8');
    expect(argv).not.toContain(etcd.patroni.password);
    const file = path.join(dir, 'auth.json');
    expect((await stat(file)).mode & 0o077).toBe(0);
    const again = await ensureEtcd({ dir, host: '127.0.0.1', ports });
    expect(again.started).toBe(false);
    expect(again.patroni).toEqual(etcd.patroni);
  });
});
