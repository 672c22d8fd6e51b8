import { readdirSync, readFileSync } from 'node:fs';
import * as z from 'zod/mini';
import { describe, expect, it } from 'vitest';
import { transformIssue } from '../../src/zod-setup.ts';

// Only zod/mini is imported here: classic zod would install its English messages by itself.
describe('zod settings of the charm process', () => {
  it('turns off the JIT fast path, which a one-hook process never pays back', () => {
    expect(z.config().jitless).toBe(true);
  });

  it('words issues in English, which mini does not do by itself', () => {
    const schema = z.object({ port: z.int(), name: z.string().check(z.minLength(1)) });
    const failed = schema.safeParse({ port: '5432', name: '' });
    expect(failed.success).toBe(false);
    expect(failed.error?.issues.map((issue) => [issue.path, issue.message])).toEqual([
      [['port'], 'Invalid input: expected number, received string'],
      [['name'], 'Too small: expected string to have >=1 characters'],
    ]);
  });

  it('lets a transform report a custom issue at its path', () => {
    const even = z.object({
      n: z.pipe(z.int(), z.transform((n: number, payload) => (n % 2 === 0 ? n / 2 : transformIssue(payload, `${n} is odd`)))),
    });
    expect(even.parse({ n: 4 })).toEqual({ n: 2 });
    const failed = even.safeParse({ n: 3 });
    expect(failed.error?.issues).toEqual([expect.objectContaining({ code: 'custom', path: ['n'], message: '3 is odd' })]);
  });
});

describe('zod in the charm source', () => {
  const sources = ['src', 'lib'].flatMap((dir) =>
    readdirSync(new URL(`../../${dir}/`, import.meta.url), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts'))
      .map((file) => ({ file: `${dir}/${file}`, text: readFileSync(new URL(`../../${dir}/${file}`, import.meta.url), 'utf8') })),
  );

  it('never imports classic zod, which costs every hook ~17 ms to load', () => {
    expect(sources.filter(({ text }) => /from 'zod'/.test(text)).map(({ file }) => file)).toEqual([]);
  });

  it('imports zod-setup wherever it builds schemas, so messages are English in every process', () => {
    const building = sources.filter(({ text }) => /^import \* as z from 'zod\/mini';$/m.test(text));
    expect(building.length).toBeGreaterThan(10);
    expect(building.filter(({ text }) => !/from '(\.\.?\/)+zod-setup\.ts'|import '(\.\.?\/)+zod-setup\.ts'/.test(text)).map(({ file }) => file)).toEqual([]);
  });
});
