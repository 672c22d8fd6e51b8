import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { destroySandbox, isClean, listLeftovers, namePrefix } from '../../../sandbox/pods/index.ts';
import { eventually, isDead, newTestSandbox, type TestSandbox } from './helpers.ts';

// A sandbox whose creating process dies by SIGKILL, leaving namespaces, mounts, links and
// running processes behind; destroySandbox must find and remove all of it from the machine.
const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'create-pods-until-killed.ts');
let sandbox: TestSandbox | undefined;

afterAll(async () => {
  if (sandbox) {
    await destroySandbox(sandbox.sandboxId, sandbox.stateDir);
    await rm(sandbox.stateDir, { recursive: true, force: true });
  }
});

function statusOf(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

describe('destroySandbox after a crash', () => {
  it('removes processes, namespaces, mounts, links and state left by a killed creator', async () => {
    sandbox = await newTestSandbox('crash');
    const { sandboxId, stateDir } = sandbox;
    const creator = execa(process.execPath, ['--import', 'tsx', FIXTURE, sandboxId, stateDir], {
      reject: false,
      buffer: false,
      stdout: 'pipe',
    });
    let pids: number[] = [];
    let output = '';
    await new Promise<void>((resolve, reject) => {
      creator.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const report = /^\{.*\}$/m.exec(output);
        if (report) pids = (JSON.parse(report[0]) as { pids: number[] }).pids;
        // kill it some way into creating the third pod, after the first two are up
        if (output.includes('creating 2')) setTimeout(resolve, 60);
      });
      void creator.then((result) => reject(new Error(`creator ended early: ${String(result.exitCode)} ${output}`)));
    });
    creator.kill('SIGKILL');
    await creator;
    expect(pids).toHaveLength(2);

    // what the crash left: running servers reachable through the bridge, and kernel objects
    const before = await listLeftovers(sandboxId, stateDir);
    expect(before.processes.map((p) => p.pid)).toEqual(expect.arrayContaining(pids));
    expect(before.netns.length).toBeGreaterThanOrEqual(2);
    expect(before.links).toContain(sandbox.network.bridge);
    expect(before.mounts.length).toBeGreaterThan(0);
    const podIp = sandbox.network.bridgeIp.replace(/\.1$/, '.10');
    expect(await eventually(() => statusOf(`http://${podIp}:8008/`), (s) => s === 200)).toBe(200);

    await destroySandbox(sandboxId, stateDir);

    for (const pid of pids) expect(await eventually(() => isDead(pid), Boolean)).toBe(true);
    expect(isClean(await listLeftovers(sandboxId, stateDir))).toBe(true);
    const prefix = namePrefix(sandboxId);
    expect((await execa('ip', ['-o', 'link'])).stdout).not.toContain(prefix);
    expect((await execa('ip', ['netns', 'list'])).stdout).not.toContain(prefix);
    const mounts = await readFile('/proc/mounts', 'utf8');
    expect(mounts).not.toContain(stateDir);
    expect(mounts).not.toContain(prefix);
    expect(existsSync(path.join(stateDir, 'pods'))).toBe(false);
    // No request to the pod address now: with the bridge gone, only the sandbox range's prohibit
    // route keeps a packet from following the default route off the machine. Prove it is there.
    const route = await execa('ip', ['route', 'get', podIp], { reject: false });
    expect(route.stdout).not.toContain(sandbox.network.bridge);
    expect(route.exitCode).not.toBe(0);
    expect(route.stderr).toContain('Permission denied');

    await destroySandbox(sandboxId, stateDir); // nothing left to do, and no error
  });
});
