/**
 * pgbouncer's auth_file (userlist.txt) as pgbouncer-k8s writes it once the backend relation is
 * up (canonical/pgbouncer-k8s-operator: src/relations/backend_database.py `_on_database_created`):
 * the auth user with its md5 hash, the stats and admin users with SCRAM verifiers. Every other
 * login goes through auth_query. Pure.
 */

export interface UserlistEntry {
  user: string;
  /** The stored form: `md5…` or `SCRAM-SHA-256$…`; never a plain password. */
  hash: string;
}

/** `"user" "hash"` per line (pgbouncer's format: double quotes, `""` for a quote inside). */
export function renderUserlist(entries: readonly UserlistEntry[]): string {
  return entries.map(({ user, hash }) => `${quote(user)} ${quote(hash)}`).join('\n');
}

function quote(value: string): string {
  return `"${value.replaceAll('"', '""')}"`;
}

/** The entries of a userlist (for reading back what another unit or hook stored). */
export function parseUserlist(text: string): UserlistEntry[] {
  const entries: UserlistEntry[] = [];
  for (const line of text.split('\n')) {
    const match = /^\s*"((?:[^"]|"")*)"\s+"((?:[^"]|"")*)"/.exec(line);
    if (match) entries.push({ user: (match[1] as string).replaceAll('""', '"'), hash: (match[2] as string).replaceAll('""', '"') });
  }
  return entries;
}
