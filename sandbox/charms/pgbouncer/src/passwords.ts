/**
 * The passwords and hashes pgbouncer-k8s makes (its lib/charms/pgbouncer_k8s/v0/pgb.py), built on
 * node:crypto. Pure apart from the random bytes. (Its SCRAM verifier is lib/postgresql's.)
 */
import { createHash, randomInt } from 'node:crypto';

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

