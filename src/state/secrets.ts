import { CharmError } from '../errors.ts';
import { SecretNotFoundError } from '../juju/errors.ts';
import type { HookTools } from '../juju/hook-tools.ts';

export type SecretScope = 'app' | 'unit';

/** The hook tools the store uses (a `HookTools` instance). */
export type SecretAccess = Pick<HookTools, 'secretGet' | 'secretInfoGet' | 'secretAdd' | 'secretSet' | 'secretRemove' | 'isLeader'>;

export type SecretStoreErrorCode = 'not-leader';

export class SecretStoreError extends CharmError<SecretStoreErrorCode> {}

/**
 * Passwords the leader generates for the system users and the Patroni REST API (reference
 * `_on_leader_elected`).
 */
export const PASSWORD_USERS = ['backup', 'operator', 'replication', 'rewind', 'monitoring', 'patroni'] as const;
export type PasswordUser = (typeof PASSWORD_USERS)[number];
export const passwordKey = (user: PasswordUser): string => `${user}-password`;

/**
 * Juju secret keys must be lowercase words joined by single hyphens, three characters or more.
 * The reference maps its field names the same way, so both charms find the same keys.
 */
export function secretKeyFor(field: string): string {
  const renamed = field === 'ca' ? 'cauth' : field;
  return renamed.replaceAll('_', '-').replace(/^-+|-+$/g, '');
}

/**
 * One Juju secret per scope holds every private field of that scope, labelled as the reference
 * labels it (`database-peers.<app>.app` / `.unit`), so a refreshed unit finds its passwords.
 */
export class SecretStore {
  private readonly cache = new Map<SecretScope, Record<string, string> | undefined>();

  constructor(
    private readonly tools: SecretAccess,
    private readonly appName: string,
    private readonly peerRelation: string = 'database-peers',
  ) {}

  label(scope: SecretScope): string {
    return `${this.peerRelation}.${this.appName}.${scope}`;
  }

  async get(scope: SecretScope, field: string): Promise<string | undefined> {
    const content = await this.content(scope);
    return content?.[secretKeyFor(field)];
  }

  /** Sets (or, with undefined/empty, removes) fields; app scope is the leader's to write. */
  async set(scope: SecretScope, fields: Record<string, string | undefined>): Promise<void> {
    if (scope === 'app' && !(await this.tools.isLeader())) {
      throw new SecretStoreError('not-leader', 'only the leader can change application secrets');
    }
    const current = (await this.content(scope)) ?? {};
    const next: Record<string, string> = { ...current };
    for (const [field, value] of Object.entries(fields)) {
      const key = secretKeyFor(field);
      if (value === undefined || value === '') delete next[key];
      else next[key] = value;
    }
    if (sameContent(current, next)) return;

    const label = this.label(scope);
    const id = await this.secretId(label);
    if (Object.keys(next).length === 0) {
      // Juju refuses empty secret content: an emptied secret is removed altogether.
      if (id !== undefined) await this.tools.secretRemove(id);
    } else if (id === undefined) {
      await this.tools.secretAdd(next, { label, owner: scope === 'app' ? 'application' : 'unit' });
    } else {
      await this.tools.secretSet(id, { content: next });
    }
    this.cache.set(scope, Object.keys(next).length === 0 ? undefined : next);
  }

  private async content(scope: SecretScope): Promise<Record<string, string> | undefined> {
    if (!this.cache.has(scope)) {
      // The owner always sees the latest revision; --refresh keeps a non-owner peer unit current too.
      const content = await absentIfNotFound(this.tools.secretGet({ label: this.label(scope) }, { refresh: true }));
      this.cache.set(scope, content === undefined ? undefined : { ...content });
    }
    return this.cache.get(scope);
  }

  private async secretId(label: string): Promise<string | undefined> {
    const info = await absentIfNotFound(this.tools.secretInfoGet({ label }));
    return info?.id;
  }
}

function sameContent(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

async function absentIfNotFound<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (error) {
    if (error instanceof SecretNotFoundError) return undefined;
    throw error;
  }
}
