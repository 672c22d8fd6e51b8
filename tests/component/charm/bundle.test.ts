import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { wrap } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { fakeHookEnvironment } from '../../../scripts/fake-hook-tools.mjs';

// What `npm run build` leaves in dist/ (the test command builds before vitest runs).
const dist = new URL('../../../dist/', import.meta.url);
const bundlePath = new URL('charm.cjs', dist).pathname;
const bundle = readFileSync(bundlePath, 'utf8');

describe('the charm bundle', () => {
  it('has a V8 code cache this Node accepts, made after a training hook ran', () => {
    const cachedData = readFileSync(`${bundlePath}.cache`);
    const script = new Script(wrap(bundle), { filename: bundlePath, cachedData });
    expect(script.cachedDataRejected).toBe(false);
    // The training run dispatched install for real, against stand-in hook tools, so the cache
    // holds what a hook compiles (the tool client, config parsing), not just the top level.
    const training = JSON.parse(readFileSync(new URL('charm.cjs.cache.json', dist), 'utf8')) as { trainingHook: string; toolCalls: string[] };
    expect(training.trainingHook).toBe('install');
    expect(training.toolCalls).toContain('config-get --format=json');
    expect(training.toolCalls.at(-1)).toMatch(/^status-set .*installing charm software$/);
    const topLevelOnly = new Script(wrap(bundle), { filename: `${bundlePath}-fresh` }).createCachedData();
    expect(cachedData.length).toBeGreaterThan(topLevelOnly.length);
  });

  it('does not load worker_threads for pino: a hook never starts a thread', () => {
    expect(bundle).not.toMatch(/require\("(node:)?worker_threads"\)/);
  });

  it('names itself dist/charm.cjs in stack traces, not the tree the build ran in', () => {
    // An accepted code cache keeps the script name of the run that made it, so a hook's stack
    // traces would otherwise point at the build machine. Unpack elsewhere and make install fail.
    const work = mkdtempSync(join(tmpdir(), 'bundle-trace-'));
    try {
      const charmDir = join(work, 'charm');
      const toolsDir = join(work, 'tools');
      mkdirSync(toolsDir);
      cpSync(new URL('.', dist).pathname, join(charmDir, 'dist'), { recursive: true });
      copyFileSync(new URL('../../../config.yaml', import.meta.url), join(charmDir, 'config.yaml'));
      const env = fakeHookEnvironment({ hook: 'install', charmDir, toolsDir, configJson: join(work, 'config.json') });
      writeFileSync(join(toolsDir, 'config-get'), '#!/bin/sh\necho not-json\n');
      const hook = spawnSync(process.execPath, [join(charmDir, 'dist/loader.cjs')], { cwd: charmDir, env: { ...process.env, ...env }, encoding: 'utf8' });
      expect(hook.status).toBe(1);
      expect(hook.stderr).toContain('config-get --format=json printed unexpected output');
      expect(hook.stderr).toMatch(/\(dist\/charm\.cjs:\d+:\d+\)/);
      expect(hook.stderr).not.toContain(new URL('.', dist).pathname);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
