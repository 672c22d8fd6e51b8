import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dealLanes as deal } from '../../../scripts/run-integration-lanes.mjs';

const TESTS = fileURLToPath(new URL('../../integration/', import.meta.url));

function integrationFiles(dir = TESTS): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return integrationFiles(full);
    return name.endsWith('.test.ts') ? [path.relative(TESTS, full)] : [];
  });
}

describe('the integration lanes (scripts/run-integration-lanes.mjs)', () => {
  it('deal every integration file to exactly one lane', () => {
    const files = integrationFiles().sort();
    const lanes = deal(files, 2);
    expect(lanes).toHaveLength(2);
    expect(lanes.flatMap((l) => l.files).sort()).toEqual(files);
  });

  it('keep the fault-injecting cluster files in one lane, so they never run beside each other', () => {
    const lanes = deal(['cluster/chaos.test.ts', 'cluster/failures.test.ts', 'a/x.test.ts', 'b/y.test.ts'], 2);
    expect(lanes[0]!.files.slice(0, 2)).toEqual(['cluster/chaos.test.ts', 'cluster/failures.test.ts']);
    expect(lanes[1]!.files).toEqual(['a/x.test.ts', 'b/y.test.ts']);
  });

  it('balance the rest longest first, counting an unknown file as a minute', () => {
    expect(deal(['new/a.test.ts', 'new/b.test.ts', 'new/c.test.ts'], 2)).toEqual([
      { files: ['new/a.test.ts', 'new/c.test.ts'], seconds: 120 },
      { files: ['new/b.test.ts'], seconds: 60 },
    ]);
    // clients.test.ts is measured in minutes: two unknown files go beside it, not after it.
    const lanes = deal(['new/x.test.ts', 'relations/clients.test.ts', 'new/y.test.ts'], 2);
    expect(lanes.map((l) => l.files)).toEqual([['relations/clients.test.ts'], ['new/x.test.ts', 'new/y.test.ts']]);
  });

  it('run everything in one lane when asked for one', () => {
    const files = integrationFiles();
    expect(deal(files, 1).map((l) => l.files.length)).toEqual([files.length]);
  });
});
