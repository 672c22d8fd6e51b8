/**
 * The passwords and hashes pgbouncer-k8s makes (its lib/charms/pgbouncer_k8s/v0/pgb.py), built on
 * node:crypto's primitives only (md5, PBKDF2, HMAC, SHA-256). Pure apart from the random bytes.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, randomInt } from 'node:crypto';

const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** 24 random letters and digits: nothing that could break userlist.txt's quoting. */
export function generatePassword(length = 24): string {
  let password = '';
  for (let i = 0; i < length; i++) password += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return password;
}

/** PostgreSQL's md5 password format: `md5` + hex(md5(password + username)). */
export function md5Password(username: string, password: string): string {
  return `md5${createHash('md5').update(password + username).digest('hex')}`;
}

/** PostgreSQL's default SCRAM iteration count (`scram_iterations`). */
export const SCRAM_ITERATIONS = 4096;
const SCRAM_SALT_BYTES = 16;

export interface ScramOptions {
  salt?: Buffer;
  iterations?: number;
}

/**
 * A SCRAM-SHA-256 verifier in PostgreSQL's stored form (RFC 5802, RFC 7677), as libpq's
 * `PQencryptPasswordConn(…, "scram-sha-256")` computes it client-side:
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, all base64.
 *
 * SCRAM first runs the password through SASLprep; for printable ASCII that is the identity, and
 * generated passwords are alphanumeric, so anything else is refused rather than hashed wrongly.
 * The username plays no part in a SCRAM verifier (libpq ignores it too).
 */
export function scramSha256Verifier(password: string, options: ScramOptions = {}): string {
  if (!/^[\x20-\x7e]*$/.test(password)) throw new RangeError('only printable ASCII passwords can be hashed without SASLprep');
  const salt = options.salt ?? randomBytes(SCRAM_SALT_BYTES);
  const iterations = options.iterations ?? SCRAM_ITERATIONS;
  const { storedKey, serverKey } = scramKeys(password, salt, iterations);
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** SaltedPassword, then ClientKey → StoredKey and ServerKey (RFC 5802 section 3). */
export function scramKeys(password: string, salt: Buffer, iterations: number): { clientKey: Buffer; storedKey: Buffer; serverKey: Buffer } {
  const saltedPassword = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', saltedPassword).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', saltedPassword).update('Server Key').digest();
  return { clientKey, storedKey, serverKey };
}
