import { readFileSync } from 'node:fs';
import { wrap } from 'node:module';
import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';

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
    // holds what a hook compiles (execa, the tool client, config parsing), not just the top level.
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
});
