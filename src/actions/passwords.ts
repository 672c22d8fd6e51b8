import { randomInt } from 'node:crypto';
import { isStoredPasswordForm } from '../../lib/postgresql/roles.ts';
import { scramPasswordProblem } from '../../lib/postgresql/scram.ts';
import type { PasswordUser } from '../state/secrets.ts';
import { PATRONI_API_USER, SYSTEM_USERS } from '../workload/users.ts';

/*
 * The users whose passwords the password actions handle, and the messages that name them, in
 * the reference's order (`backup, replication, rewind, operator, monitoring, patroni`).
 */

/** Every password user, as the reference lists them in its messages. */
export const ACTION_PASSWORD_USERS: readonly PasswordUser[] = [...SYSTEM_USERS, PATRONI_API_USER];

export function isPasswordUser(user: string): user is PasswordUser {
  return (ACTION_PASSWORD_USERS as readonly string[]).includes(user);
}

/** The reference's get-password message; set-password uses it too since it also takes `patroni`. */
export function unknownUserMessage(user: string): string {
  const shown = user === '' ? '""' : user;
  return `The action can be run only for system users or Patroni: ${ACTION_PASSWORD_USERS.join(', ')} not ${shown}`;
}

export const LDAP_UNKNOWN_USER_MESSAGE = 'The action can be run only for system users when LDAP is enabled';

const ALPHANUMERICS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const GENERATED_PASSWORD_LENGTH = 16;

/** 16 characters drawn uniformly from [A-Za-z0-9] with the CSPRNG (the reference's `new_password`). */
export function newPassword(length = GENERATED_PASSWORD_LENGTH): string {
  let password = '';
  for (let i = 0; i < length; i++) password += ALPHANUMERICS[randomInt(ALPHANUMERICS.length)];
  return password;
}

const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/**
 * Why a chosen password cannot be used, or undefined. The password ends up in patroni.yml, the
 * pgpass file and Patroni's `primary_conninfo`, where a newline or NUL would cut it short.
 */
export function passwordProblem(password: string): string | undefined {
  if (password === '') return 'The password must not be empty: give a password, or leave the parameter out to generate one';
  if (CONTROL_CHARACTER.test(password)) {
    return 'The password must not contain control characters (such as newlines or tabs): choose another password';
  }
  // Refused before anything is stored: the SCRAM verifier is computed here, not by PostgreSQL.
  const scram = scramPasswordProblem(password);
  if (scram !== undefined) return `${scram}: choose another password`;
  // PostgreSQL would store such a string as the hash itself, and no password would then log in.
  if (isStoredPasswordForm(password)) return 'The password must not look like a stored hash (md5… or SCRAM-SHA-256$…): choose another password';
  return undefined;
}
