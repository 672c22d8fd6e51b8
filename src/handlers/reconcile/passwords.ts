/**
 * Step b (passwords): the leader makes sure every system user and the Patroni REST API have a
 * password in the application secret. Existing passwords are never replaced (rotation is the
 * set-password action's job), so leader changes and repeated hooks keep them. Unlike the
 * reference, the `backup` user's password is stored too, so get-password can return it.
 */
import { randomInt } from 'node:crypto';
import type { CharmContext } from '../../charm-context.ts';
import { PASSWORD_USERS, passwordKey, type PasswordUser } from '../../state/secrets.ts';
import { DONE, MESSAGES, waiting } from './outcome.ts';
import type { Passwords } from './state.ts';
import type { ReconcileStep } from './step.ts';

const ALPHANUMERICS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const PASSWORD_LENGTH = 16;

/** 16 characters from [A-Za-z0-9], each drawn with a CSPRNG (`pick` is for tests). */
export function generatePassword(length: number = PASSWORD_LENGTH, pick: (max: number) => number = randomInt): string {
  let password = '';
  for (let i = 0; i < length; i++) password += ALPHANUMERICS[pick(ALPHANUMERICS.length)];
  return password;
}

/** The users without a password yet, in PASSWORD_USERS order. */
export function passwordsToGenerate(existing: Passwords): PasswordUser[] {
  return PASSWORD_USERS.filter((user) => !existing[user]);
}

export async function readPasswords(charm: CharmContext): Promise<Passwords> {
  const values = await Promise.all(PASSWORD_USERS.map((user) => charm.secrets.get('app', passwordKey(user))));
  const passwords: Partial<Record<PasswordUser, string>> = {};
  PASSWORD_USERS.forEach((user, index) => {
    const value = values[index];
    if (value) passwords[user] = value;
  });
  return passwords;
}

export const leaderPasswordsStep: ReconcileStep = {
  name: 'leader-passwords',
  retryMessage: 'waiting to store the system passwords',
  async run(charm, state) {
    if (!state.isLeader) return DONE;
    const existing = await readPasswords(charm);
    const missing = passwordsToGenerate(existing);
    if (missing.length === 0) {
      state.passwords = existing;
      return DONE;
    }
    const generated = Object.fromEntries(missing.map((user) => [user, generatePassword()])) as Record<PasswordUser, string>;
    await charm.secrets.set('app', Object.fromEntries(missing.map((user) => [passwordKey(user), generated[user]])));
    charm.logger.info({ users: missing }, 'generated passwords for the system users');
    state.passwords = { ...existing, ...generated };
    return DONE;
  },
};

/** What Patroni cannot start without (monitoring only feeds the exporter). */
const REQUIRED_FOR_PATRONI: readonly PasswordUser[] = ['operator', 'replication', 'rewind', 'patroni'];

/** Every unit: the leader's passwords must exist before patroni.yml can be rendered. */
export const passwordsAvailableStep: ReconcileStep = {
  name: 'passwords',
  retryMessage: MESSAGES.clusterNotStarted,
  async run(charm, state) {
    state.passwords ??= await readPasswords(charm);
    const missing = REQUIRED_FOR_PATRONI.filter((user) => !state.passwords?.[user]);
    if (missing.length > 0) {
      charm.logger.info({ users: missing }, 'the leader has not stored the system passwords yet');
      return waiting(MESSAGES.clusterNotStarted, { halt: true });
    }
    return DONE;
  },
};
