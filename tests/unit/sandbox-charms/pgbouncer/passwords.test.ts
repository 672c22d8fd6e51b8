import { describe, expect, it } from 'vitest';
import { generatePassword, md5Password } from '../../../../sandbox/charms/pgbouncer/src/passwords.ts';

describe('pgbouncer passwords', () => {
  it('generates 24 letters and digits, different each time', () => {
    const first = generatePassword();
    expect(first).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(generatePassword()).not.toBe(first);
  });

  it('hashes md5 as PostgreSQL stores it: md5 + hex(md5(password + user))', () => {
    // printf %s secretalice | md5sum
    expect(md5Password('alice', 'secret')).toBe('md54a0a68b43b6cd5cf266fa02f196e2371');
  });
});
