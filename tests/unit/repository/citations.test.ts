import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The repository stands alone: no tracked file may cite a document a clone does not have. The
 * project was first written against private spec files kept next to the checkout; every citation
 * of them must point at a public source or at a page under docs/ instead.
 *
 * Flagged, per line:
 * - any path into the private spec folder (a sibling `shared` folder, or its `specs` subfolder);
 * - a private spec's file name (the protocol, reference-charm, interfaces, local-stack, peers or
 *   architecture spec) unless that path exists in the checkout, relative to the citing file or to
 *   the root: the repository's own docs/architecture.md is fine, a bare spec name in src/ is not;
 * - a path under docs/ ending in .md that does not exist;
 * - a section sign not directly preceded by the path of a doc in the checkout;
 * - the private protocol spec's bare section ids in parentheses: a letter A to D, a number, an
 *   optional sub-number, range or "step N".
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SKIPPED = new Set(['package-lock.json']);
const SPEC_NAMES = new Set(
  ['protocols', 'reference-charm', 'interfaces', 'local-stack', 'peers', 'architecture'].map((name) => `${name}.md`),
);

const PRIVATE_FOLDER = /(?:\.\.\/)+shared\/|\bshared\/specs\b/;
const MD_PATH = /[\w.:/-]*\.md\b/g;
const SECTION_SIGN = /\u00a7/g;
const DOC_BEFORE_SECTION = /([\w./-]+\.md)\s*$/;
const BARE_SECTION_ID = /\((?:[A-D]\d{1,2}(?:\.\d{1,2})?(?:[\u2013-][A-D]?\d{1,2}(?:\.\d{1,2})?)?(?:,\s*)?)+(?:\s+step\s+\d+)?\)/;

function trackedFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return out.split('\0').filter((file) => file !== '' && !SKIPPED.has(path.basename(file)));
}

/** Whether `cited` names a file of this checkout, relative to the citing file or to the root. */
function resolves(cited: string, citingFile: string): boolean {
  const candidates = [path.join(ROOT, path.dirname(citingFile), cited), path.join(ROOT, cited)];
  return candidates.some((candidate) => candidate.startsWith(ROOT) && existsSync(candidate));
}

function textOf(file: string): string | undefined {
  const full = path.join(ROOT, file);
  if (!existsSync(full) || !statSync(full).isFile()) return undefined; // deleted in the working tree
  const bytes = readFileSync(full);
  if (bytes.subarray(0, 8000).includes(0)) return undefined; // binary
  return bytes.toString('utf8');
}

/** Why `line` of `file` cites something outside the repository, or nothing. */
export function citationProblems(line: string, file: string): string[] {
  const problems: string[] = [];
  if (PRIVATE_FOLDER.test(line)) problems.push('path into the private spec folder');
  for (const match of line.matchAll(MD_PATH)) {
    const cited = match[0];
    if (cited.includes('://')) continue; // a URL
    const base = path.posix.basename(cited);
    if (SPEC_NAMES.has(base) && !resolves(cited, file)) problems.push(`private spec ${cited}`);
    else if (/^docs\/[\w.-]+\.md$/.test(cited) && !resolves(cited, file)) problems.push(`missing doc ${cited}`);
  }
  for (const match of line.matchAll(SECTION_SIGN)) {
    const doc = DOC_BEFORE_SECTION.exec(line.slice(0, match.index));
    if (!doc || !resolves(doc[1]!, file)) problems.push('section sign without a repository doc path');
  }
  if (BARE_SECTION_ID.test(line)) problems.push('bare spec section id');
  return problems;
}

describe('citations', () => {
  it('flags what the rules name, and leaves ordinary text alone', () => {
    const sign = '\u00a7';
    const file = 'src/x.ts';
    // Built from pieces so that this file does not cite anything itself.
    const paren = (id: string): string => `(${id})`;
    const flagged = [
      `see ${'..'}/shared/${'specs'}/proto${'cols'}.md`,
      `in shared/${'specs'}/`,
      `(proto${'cols'}.md A3)`,
      `(reference ${sign}5.4)`,
      `${sign}2.1 of the reference`,
      `(local-${'stack'}.md ${sign}1)`,
      paren('A6'),
      paren('C3.2'),
      paren('A1 step 4'),
      paren('C2\u2013C7'),
      `see docs/${'no-such-page'}.md`,
    ];
    for (const line of flagged) expect(citationProblems(line, file), line).not.toEqual([]);
    const fine = [
      'See [docs/architecture.md](docs/architecture.md).',
      'see docs/upstream-charm.md and docs/hook-tools.md#environment',
      `(docs/pebble-api.md ${sign}3)`,
      'https://github.com/example/project/blob/main/docs/protocols.md',
      "the reference's `_postgresql_layer()` in src/charm.py",
      'Array(A)', 'f(x) (A, B)', 'RFC 1918 (B2B)', 'pg_stat_statements.X',
    ];
    for (const line of fine) expect(citationProblems(line, file), line).toEqual([]);
    // Inside docs/, a sibling page may be linked by its bare name.
    expect(citationProblems(`[architecture](archi${'tecture'}.md)`, 'docs/dcs.md')).toEqual([]);
    expect(citationProblems(`[reference](reference-${'charm'}.md)`, file)).not.toEqual([]);
  });

  it('no tracked file cites a document outside the repository', () => {
    const violations: string[] = [];
    for (const file of trackedFiles()) {
      const text = textOf(file);
      if (text === undefined) continue;
      text.split('\n').forEach((line, index) => {
        const problems = citationProblems(line, file);
        if (problems.length > 0) violations.push(`${file}:${index + 1}: ${problems.join('; ')}: ${line.trim()}`);
      });
    }
    expect(
      violations,
      `${violations.length} line(s) cite files outside the repository (private specs a clone cannot open). ` +
        'Cite a public source (the reference charm file and function, Juju/Pebble/Patroni/PostgreSQL docs) ' +
        'or a page under docs/ instead:\n' +
        violations.join('\n'),
    ).toEqual([]);
  });
});
