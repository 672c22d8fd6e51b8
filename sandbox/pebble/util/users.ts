/**
 * User and group lookups from /etc/passwd and /etc/group (what Go's os/user does without cgo),
 * and Pebble's rules for turning user/user-id/group/group-id into a uid/gid pair.
 */
import { readFileSync } from 'node:fs';
import { PebbleError } from '../errors.ts';

export interface UserEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
}

export class UserLookupError extends PebbleError {
  constructor(message: string) {
    super('pebble-user-lookup', message);
  }
}

function readColonFile(path: string): string[][] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.split(':'));
}

function users(): UserEntry[] {
  return readColonFile('/etc/passwd')
    .filter((f) => f.length >= 7)
    .map((f) => ({ name: f[0] ?? '', uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? '' }));
}

function groups(): GroupEntry[] {
  return readColonFile('/etc/group')
    .filter((f) => f.length >= 3)
    .map((f) => ({ name: f[0] ?? '', gid: Number(f[2]) }));
}

export const lookupUser = (name: string): UserEntry | undefined => users().find((u) => u.name === name);
export const lookupUserId = (uid: number): UserEntry | undefined => users().find((u) => u.uid === uid);
export const lookupGroup = (name: string): GroupEntry | undefined => groups().find((g) => g.name === name);
export const lookupGroupId = (gid: number): GroupEntry | undefined => groups().find((g) => g.gid === gid);

export interface UidGidRequest {
  userId?: number | null | undefined;
  user?: string | null | undefined;
  groupId?: number | null | undefined;
  group?: string | null | undefined;
}

export interface UidGid {
  uid: number;
  gid: number;
}

/**
 * Pebble's NormalizeUidGid: nothing given → undefined (run as Pebble's own user); a user without
 * a group gets the user's primary group; a group without a user is an error; a name and an id
 * given together must agree.
 */
export function normalizeUidGid(req: UidGidRequest): UidGid | undefined {
  let uid = req.userId ?? undefined;
  let gid = req.groupId ?? undefined;
  const user = req.user ?? '';
  const group = req.group ?? '';
  if (uid === undefined && user === '' && gid === undefined && group === '') return undefined;
  if (user !== '') {
    const entry = lookupUser(user);
    if (!entry) throw new UserLookupError(`user: unknown user ${user}`);
    if (uid !== undefined && uid !== entry.uid) {
      throw new UserLookupError(`user "${user}" UID (${entry.uid}) does not match user-id (${uid})`);
    }
    uid = entry.uid;
  }
  if (group !== '') {
    const entry = lookupGroup(group);
    if (!entry) throw new UserLookupError(`group: unknown group ${group}`);
    if (gid !== undefined && gid !== entry.gid) {
      throw new UserLookupError(`group "${group}" GID (${entry.gid}) does not match group-id (${gid})`);
    }
    gid = entry.gid;
  }
  if (gid === undefined && uid !== undefined) {
    const entry = lookupUserId(uid);
    if (!entry) throw new UserLookupError(`user: unknown userid ${uid}`);
    gid = entry.gid;
  }
  if (uid === undefined || gid === undefined) throw new UserLookupError('must specify user, not just group');
  return { uid, gid };
}

/** Whether uid/gid are this process's own, in which case no privilege change is needed. */
export function isCurrentUser(ids: UidGid): boolean {
  return process.getuid?.() === ids.uid && process.getgid?.() === ids.gid;
}
