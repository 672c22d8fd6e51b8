import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// lib/ is shared with a future VM flavour: it may use npm packages and itself, nothing of the
// Kubernetes charm (src/), Pebble or Kubernetes.
const LIB = fileURLToPath(new URL('../../../lib/', import.meta.url));

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && /\.(ts|mts|cts|js|mjs)$/.test(e.name)).map((e) => path.join(e.parentPath, e.name));
}

/** Every module specifier of a file: static imports and re-exports, dynamic imports, require. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [/\b(?:import|export)\s[^'"]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) found.push(match[1]!);
  return found;
}

function forbidden(file: string, specifier: string): string | undefined {
  if (specifier.startsWith('.')) {
    const target = path.resolve(path.dirname(file), specifier);
    if (!target.startsWith(LIB)) return `${specifier} leaves lib/`;
    return undefined;
  }
  if (/pebble|kubernetes|k8s/i.test(specifier)) return `${specifier} is Pebble or Kubernetes`;
  return undefined;
}

describe('lib/', () => {
  it('imports nothing from src/, Pebble or Kubernetes', async () => {
    const files = await sourceFiles(LIB);
    expect(files.length).toBeGreaterThan(10);
    const problems: string[] = [];
    for (const file of files) {
      for (const specifier of specifiers(await readFile(file, 'utf8'))) {
        const problem = forbidden(file, specifier);
        if (problem !== undefined) problems.push(`${path.relative(LIB, file)}: ${problem}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('would catch an import of src/ or of a Pebble module', () => {
    const file = path.join(LIB, 'postgresql', 'x.ts');
    expect(specifiers("import { a } from '../../src/pebble/index.ts';\nexport * from './y.ts';").map((s) => forbidden(file, s))).toEqual([
      '../../src/pebble/index.ts leaves lib/',
      undefined,
    ]);
    expect(forbidden(file, '@kubernetes/client-node')).toBeDefined();
    expect(specifiers("const m = await import('../../src/k8s/client.ts');")).toEqual(['../../src/k8s/client.ts']);
  });
});
