/**
 * The system users' and the Patroni REST API's passwords, kept in the application secret.
 *
 * `passwords` (every unit): the leader makes sure each one exists — existing passwords are never
 * replaced (rotation is the set-password action's job), so leader changes and repeated hooks keep
 * them; unlike the reference charm, the `backup` user's password is stored too, so get-password
 * can return it. Every unit provides what the secret holds.
 *
 * `passwords-available` (every unit, after the workload is known): Patroni cannot start without
 * the leader's passwords; until they are readable the unit waits.
 */
import { randomInt } from 'node:crypto';
import { PASSWORD_USERS, passwordKey, type PasswordUser } from '../../state/secrets.ts';
import type { HandlerDeps } from '../deps.ts';
import type { Passwords } from './facts.ts';
import { MESSAGES, waiting } from './outcome.ts';
import { halt, next, proceed, step } from './pipeline.ts';

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

export async function readPasswords(deps: Pick<HandlerDeps, 'secrets'>): Promise<Passwords> {
  const values = await Promise.all(PASSWORD_USERS.map((user) => deps.secrets.get('app', passwordKey(user))));
  const passwords: Partial<Record<PasswordUser, string>> = {};
  PASSWORD_USERS.forEach((user, index) => {
    const value = values[index];
    if (value) passwords[user] = value;
  });
  return passwords;
}

export const passwordsStep = step({
  name: 'passwords',
  retryMessage: 'waiting to store the system passwords',
  requires: ['isLeader'],
  provides: ['passwords'],
  async run(deps: Pick<HandlerDeps, 'secrets' | 'logger'>, { isLeader }) {
    const existing = await readPasswords(deps);
    const missing = isLeader ? passwordsToGenerate(existing) : [];
    if (missing.length === 0) return next({ passwords: existing });
    const generated = Object.fromEntries(missing.map((user) => [user, generatePassword()])) as Record<PasswordUser, string>;
    await deps.secrets.set('app', Object.fromEntries(missing.map((user) => [passwordKey(user), generated[user]])));
    deps.logger.info({ users: missing }, 'generated passwords for the system users');
    return next({ passwords: { ...existing, ...generated } });
  },
});

/** What Patroni cannot start without (monitoring only feeds the exporter). */
const REQUIRED_FOR_PATRONI: readonly PasswordUser[] = ['operator', 'replication', 'rewind', 'patroni'];

export const passwordsAvailableStep = step({
  name: 'passwords-available',
  retryMessage: MESSAGES.clusterNotStarted,
  requires: ['passwords'],
  provides: [],
  async run(deps: Pick<HandlerDeps, 'logger'>, { passwords }) {
    const missing = REQUIRED_FOR_PATRONI.filter((user) => !passwords[user]);
    if (missing.length === 0) return proceed();
    deps.logger.info({ users: missing }, 'the leader has not stored the system passwords yet');
    return halt(waiting(MESSAGES.clusterNotStarted));
  },
});
