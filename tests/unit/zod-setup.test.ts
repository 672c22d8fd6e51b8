import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import '../../src/zod-setup.ts';

describe('zod settings of the charm process', () => {
  it('turns off the JIT fast path, which a one-hook process never pays back', () => {
    expect(z.config().jitless).toBe(true);
  });

  it('still validates objects the same way', () => {
    const schema = z.object({ port: z.number().int() });
    expect(schema.safeParse({ port: 5432 }).success).toBe(true);
    const failed = schema.safeParse({ port: '5432' });
    expect(failed.success).toBe(false);
    expect(failed.error?.issues[0]?.path).toEqual(['port']);
  });
});
