import { execa } from 'execa';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_WORKLOAD_PATHS, roleChangeCallback, roleChangeFifo, roleChangeNotifierScript } from '../../../src/workload/index.ts';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function pathsInTempDir() {
  dir = await mkdtemp(path.join(os.tmpdir(), 'role-change-'));
  return { ...DEFAULT_WORKLOAD_PATHS, socketDir: dir };
}

/** As Patroni runs a callback: the command split with shell rules, then action, role and scope. */
function runAsPatroni(callback: string, role: string) {
  return execa('/bin/sh', ['-c', `${callback} "$@"`, 'patroni', 'on_role_change', role, 'patroni-postgresql-k8s'], { reject: false });
}

describe('the on_role_change callback', () => {
  it('writes the new role, one line, into the notifier\'s FIFO', async () => {
    const paths = await pathsInTempDir();
    await execa('mkfifo', [roleChangeFifo(paths)]);
    const reader = execa('/bin/sh', ['-c', `read -r role < ${roleChangeFifo(paths)}; printf "%s" "$role"`]);
    const callback = await runAsPatroni(roleChangeCallback(paths), 'primary');
    expect(callback.exitCode).toBe(0);
    expect((await reader).stdout).toBe('primary');
  });

  it('creates nothing when the notifier has not made its FIFO (it would read a plain file forever)', async () => {
    const paths = await pathsInTempDir();
    const callback = await runAsPatroni(roleChangeCallback(paths), 'replica');
    expect(callback.exitCode).not.toBe(0);
    expect(await readdir(dir!)).toEqual([]);
  });

  it('refuses a FIFO path the shell would split or expand', () => {
    expect(() => roleChangeCallback({ ...DEFAULT_WORKLOAD_PATHS, socketDir: '/run/post gres' })).toThrow(/plain absolute path/);
    expect(() => roleChangeNotifierScript({ ...DEFAULT_WORKLOAD_PATHS, socketDir: '/run/$HOME' })).toThrow(/plain absolute path/);
  });
});

describe('the notifier script', () => {
  it('records a notice with the role for every line read, and only known-shaped roles', () => {
    const script = roleChangeNotifierScript();
    expect(script).toContain('read -r role < "$f"');
    expect(script).toContain('case "$role" in *[!a-z_]*|"") role=unknown ;; esac');
    expect(script).toContain('pebble notify canonical.com/postgresql-k8s/role-changed role="$role"');
    expect(script).toContain('mkfifo -m 0620 "$f" && chown root:postgres "$f"');
    expect(script).not.toContain("'");
  });
});
