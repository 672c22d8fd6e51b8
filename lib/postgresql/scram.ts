/**
 * SCRAM-SHA-256 verifiers computed in the charm, so a CREATE/ALTER ROLE statement carries the
 * verifier and never the password (PostgreSQL docs, "Password Authentication" and CREATE ROLE:
 * a password given already in SCRAM form is stored as it is). Pure apart from the random salt;
 * built on node:crypto's PBKDF2, HMAC and SHA-256 only.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { LibError } from '../errors.ts';

/** PostgreSQL's default SCRAM iteration count (`scram_iterations`). */
export const SCRAM_ITERATIONS = 4096;
const SCRAM_SALT_BYTES = 16;
const SCRAM_KEY_BYTES = 32;

export interface ScramOptions {
  salt?: Buffer;
  iterations?: number;
}

/** A password this module cannot turn into the verifier PostgreSQL would compute. */
export class ScramPasswordError extends LibError<'scram-unsupported-password'> {
  constructor(message: string) {
    super('scram-unsupported-password', message);
  }
}

/**
 * Why `password` cannot be hashed here, or undefined. SCRAM runs the password through SASLprep
 * (RFC 4013) first; PostgreSQL leaves a pure-ASCII password unchanged (its `pg_saslprep`), so
 * hashing the raw bytes is exact for ASCII. Other characters would need Unicode 3.2's mapping,
 * normalisation and unassigned-code-point tables, so they are refused rather than hashed wrongly
 * (a wrong verifier would lock the user out).
 */
export function scramPasswordProblem(password: string): string | undefined {
  if (!/^[\x00-\x7f]*$/.test(password)) return 'The password must contain only ASCII characters (letters, digits, punctuation and spaces)';
  return undefined;
}

/**
 * The verifier in PostgreSQL's stored form (RFC 5802, RFC 7677), as libpq's
 * `PQencryptPasswordConn(…, "scram-sha-256")` computes it client-side:
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, all base64, with a fresh 16-byte
 * salt unless one is given. The username plays no part in a SCRAM verifier.
 */
export function scramSha256Verifier(password: string, options: ScramOptions = {}): string {
  const problem = scramPasswordProblem(password);
  if (problem !== undefined) throw new ScramPasswordError(problem);
  const salt = options.salt ?? randomBytes(SCRAM_SALT_BYTES);
  const iterations = options.iterations ?? SCRAM_ITERATIONS;
  const { storedKey, serverKey } = scramKeys(password, salt, iterations);
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** SaltedPassword, then ClientKey → StoredKey and ServerKey (RFC 5802 section 3). */
export function scramKeys(password: string, salt: Buffer, iterations: number): { clientKey: Buffer; storedKey: Buffer; serverKey: Buffer } {
  const saltedPassword = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, SCRAM_KEY_BYTES, 'sha256');
  const clientKey = createHmac('sha256', saltedPassword).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', saltedPassword).update('Server Key').digest();
  return { clientKey, storedKey, serverKey };
}
