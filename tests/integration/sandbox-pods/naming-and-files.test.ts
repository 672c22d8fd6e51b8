import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHosts } from '../../../sandbox/pods/hosts-file.ts';
import { writeInPlace } from '../../../sandbox/pods/hosts-file.ts';
import { normaliseTarget, podSourcePath } from '../../../sandbox/pods/layout.ts';
import { parseMountInfo } from '../../../sandbox/pods/mounts.ts';
import { appOfPod, bridgeName, netnsName, podDnsNames, sandboxTag, vethName } from '../../../sandbox/pods/names.ts';
import { nsenterArgs } from '../../../sandbox/pods/exec.ts';
import { bridgeAddress, maxPodIndex, parseSubnet, podAddress } from '../../../sandbox/pods/subnet.ts';

// The pure parts of the pod layer: names, addresses, the hosts file, mountinfo, nsenter argv.
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pods-files-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('names', () => {
  it('keeps interface names within 15 characters and under one prefix per sandbox', () => {
    const long = 'a-very-long-sandbox-id-with/odd:chars';
    expect(sandboxTag(long)).toMatch(/^[0-9a-f]{8}$/);
    expect(sandboxTag(long)).toBe(sandboxTag(long));
    expect(sandboxTag('abc12')).toBe('abc12');
    for (const id of [long, 'abcdefgh', 'x']) {
      expect(bridgeName(id).length).toBeLessThanOrEqual(15);
      expect(vethName(id, 244).length).toBeLessThanOrEqual(15);
    }
    expect(vethName('ab', 3)).toBe('sbxab-3');
    // one sandbox's prefix is never the start of another's names
    expect(bridgeName('abc').startsWith('sbxab-')).toBe(false);
    expect(netnsName('ab', 'postgresql-k8s-0')).toBe('sbxab-postgresql-k8s-0');
  });

  it('derives the application and the Kubernetes DNS names of a pod', () => {
    expect(appOfPod('postgresql-k8s-12')).toBe('postgresql-k8s');
    expect(() => appOfPod('postgresql')).toThrow(expect.objectContaining({ code: 'pod-invalid-spec' }));
    expect(podDnsNames('postgresql-k8s-0', 'postgresql-k8s', 'dev')).toEqual([
      'postgresql-k8s-0.postgresql-k8s-endpoints.dev.svc.cluster.local',
      'postgresql-k8s-0.postgresql-k8s-endpoints.dev.svc',
      'postgresql-k8s-0.postgresql-k8s-endpoints.dev',
      'postgresql-k8s-0.postgresql-k8s-endpoints',
      'postgresql-k8s-0',
    ]);
  });
});

describe('subnets', () => {
  it('puts the bridge on .1 and pod slot i on .10 + i, within the subnet', () => {
    const subnet = parseSubnet('10.213.140.0/24');
    expect(bridgeAddress(subnet)).toBe('10.213.140.1');
    expect(podAddress(subnet, 0)).toBe('10.213.140.10');
    expect(podAddress(subnet, maxPodIndex(subnet))).toBe('10.213.140.254');
    expect(() => podAddress(subnet, maxPodIndex(subnet) + 1)).toThrow(expect.objectContaining({ code: 'pod-invalid-spec' }));
    expect(podAddress(parseSubnet('10.213.4.0/22'), 300)).toBe('10.213.5.54');
  });

  it('accepts only well-formed networks inside the fenced 10.213.0.0/16', () => {
    for (const bad of ['8.8.8.0/24', '10.213.0.5/24', '10.213.0.0', '10.300.0.0/24', '10.0.0.0/8', '172.16.4.0/22', '10.214.0.0/24']) {
      expect(() => parseSubnet(bad), bad).toThrow(expect.objectContaining({ code: 'pod-invalid-spec' }));
    }
  });
});

describe('pod paths', () => {
  it('refuses paths that are relative, unnormalised or the root', () => {
    for (const bad of ['/', 'tmp', '/var/../etc', '/var//lib']) {
      expect(() => normaliseTarget(bad), bad).toThrow(expect.objectContaining({ code: 'pod-unsafe-path' }));
    }
    expect(podSourcePath('/s', 'p-0', '/var/lib/postgresql/data')).toBe('/s/pods/units/p-0/root/var/lib/postgresql/data');
  });
});

describe('hosts file', () => {
  it('lists every pod with all its names, then the extras', () => {
    const text = renderHosts(
      [
        { ip: '10.1.0.10', name: 'pg-0', app: 'pg', namespace: 'm' },
        { ip: '10.1.0.11', name: 'pg-1', app: 'pg', namespace: 'm' },
      ],
      [{ ip: '10.1.0.11', names: ['pg-primary.m.svc.cluster.local'] }],
    );
    const lines = text.trimEnd().split('\n');
    expect(lines).toContain('10.1.0.11\tpg-1.pg-endpoints.m.svc.cluster.local pg-1.pg-endpoints.m.svc pg-1.pg-endpoints.m pg-1.pg-endpoints pg-1');
    expect(lines.at(-1)).toBe('10.1.0.11\tpg-primary.m.svc.cluster.local');
    expect(lines).toContain('127.0.0.1\tlocalhost');
  });

  it('rewrites in place: same inode, no stale tail when the text shrinks', async () => {
    const file = path.join(dir, 'hosts');
    await writeFile(file, 'x'.repeat(500));
    const inode = (await stat(file)).ino;
    await writeInPlace(file, 'short\n');
    expect(await readFile(file, 'utf8')).toBe('short\n');
    expect((await stat(file)).ino).toBe(inode);
    await writeInPlace(file, 'a longer text than before\n');
    expect(await readFile(file, 'utf8')).toBe('a longer text than before\n');
    expect((await stat(file)).ino).toBe(inode);
  });
});

describe('mountinfo', () => {
  it('parses mount points, roots, types and sources, unescaping octal escapes', () => {
    const entries = parseMountInfo(
      [
        '70 43 0:4 mnt:[4026532177] /tmp/sb/pods/ns/a.mnt rw - nsfs nsfs rw',
        '71 62 0:40 / /dev/shm rw,relatime shared:5 - tmpfs sbxab-shm-pg-0 rw',
        '72 27 254:0 /with\\040space /mnt/with\\040space rw - ext4 /dev/vda rw',
      ].join('\n'),
    );
    expect(entries).toEqual([
      { root: 'mnt:[4026532177]', mountPoint: '/tmp/sb/pods/ns/a.mnt', fsType: 'nsfs', source: 'nsfs' },
      { root: '/', mountPoint: '/dev/shm', fsType: 'tmpfs', source: 'sbxab-shm-pg-0' },
      { root: '/with space', mountPoint: '/mnt/with space', fsType: 'ext4', source: '/dev/vda' },
    ]);
  });
});

describe('nsenter command line', () => {
  it('enters the network, mount, UTS and IPC namespaces and sets user, group and directory inside', () => {
    const pod = { name: 'pg-0', netns: 'sbxab-pg-0', nsFiles: { mnt: '/s/m', uts: '/s/u', ipc: '/s/i' } };
    expect(nsenterArgs(pod, ['id'], { uid: 26, gid: 27, cwd: '/var/lib/postgresql' })).toEqual([
      '--net=/run/netns/sbxab-pg-0',
      '--mount=/s/m',
      '--uts=/s/u',
      '--ipc=/s/i',
      '--setgid=27',
      '--setuid=26',
      '--wdns=/var/lib/postgresql',
      '--',
      'id',
    ]);
    expect(() => nsenterArgs(pod, [])).toThrow(expect.objectContaining({ code: 'pod-invalid-spec' }));
  });

  it('enters the pod\'s PID namespace too when it has one', () => {
    const pod = { name: 'pg-0', netns: 'sbxab-pg-0', nsFiles: { mnt: '/s/m', uts: '/s/u', ipc: '/s/i', pid: '/s/p' } };
    expect(nsenterArgs(pod, ['ps'])).toEqual([
      '--net=/run/netns/sbxab-pg-0',
      '--mount=/s/m',
      '--uts=/s/u',
      '--ipc=/s/i',
      '--pid=/s/p',
      '--wdns=/',
      '--',
      'ps',
    ]);
  });
});
