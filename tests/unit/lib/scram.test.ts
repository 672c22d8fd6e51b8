import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SCRAM_ITERATIONS, scramKeys, scramPasswordProblem, ScramPasswordError, scramSha256Verifier } from '../../../lib/postgresql/scram.ts';

/** RFC 7677 section 3: the SCRAM-SHA-256 exchange for user "user", password "pencil". */
const RFC7677 = {
  password: 'pencil',
  salt: 'W22ZaJ0SNY7soEsUEjb6gQ==',
  iterations: 4096,
  authMessage: [
    'n=user,r=rOprNGfwEbeRWgbNEkqO',
    'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
  ].join(','),
  clientProof: 'dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverSignature: '6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};

describe('SCRAM-SHA-256 verifier', () => {
  it('derives the keys that reproduce the RFC 7677 exchange (client proof and server signature)', () => {
    const salt = Buffer.from(RFC7677.salt, 'base64');
    const { clientKey, storedKey, serverKey } = scramKeys(RFC7677.password, salt, RFC7677.iterations);
    const clientSignature = createHmac('sha256', storedKey).update(RFC7677.authMessage).digest();
    const proof = Buffer.from(clientKey.map((byte, i) => byte ^ (clientSignature[i] as number)));
    expect(proof.toString('base64')).toBe(RFC7677.clientProof);
    expect(createHmac('sha256', serverKey).update(RFC7677.authMessage).digest('base64')).toBe(RFC7677.serverSignature);
  });

  it("writes PostgreSQL's stored form with 4096 iterations and a fresh 16-byte salt by default", () => {
    const salt = Buffer.from(RFC7677.salt, 'base64');
    const { storedKey, serverKey } = scramKeys(RFC7677.password, salt, 4096);
    expect(SCRAM_ITERATIONS).toBe(4096);
    expect(scramSha256Verifier(RFC7677.password, { salt })).toBe(
      `SCRAM-SHA-256$4096:${RFC7677.salt}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`,
    );
    const random = scramSha256Verifier('pw');
    expect(random).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
    expect(scramSha256Verifier('pw')).not.toBe(random);
  });

  it('never contains the password', () => {
    const password = "p w'x\\y:z";
    expect(scramSha256Verifier(password)).not.toContain(password);
  });

  it('hashes any ASCII password (PostgreSQL skips SASLprep for pure ASCII) and refuses others with a typed error', () => {
    expect(scramPasswordProblem("p w'x\\y:z$")).toBeUndefined();
    expect(scramPasswordProblem('pässword')).toMatch(/only ASCII/);
    expect(() => scramSha256Verifier('pässword')).toThrow(ScramPasswordError);
  });
});
