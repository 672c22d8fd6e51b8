/**
 * Secrets our application owns for a client relation, one per group, the way data_interfaces
 * keeps them: found by their owner label, created with `secret-add --label` and granted to the
 * relation (`secret-grant <uri> -r <id>`: every unit of the remote application may read it),
 * given a new revision only when the content really changes (so the requirer sees
 * `secret-changed` only then), and removed once its last field goes.
 */
import { SecretNotFoundError } from '../juju/errors.ts';
import type { HookTools } from '../juju/hook-tools.ts';
import { secretXid } from '../juju/hook-tool-args.ts';

export type RelationSecretTools = Pick<HookTools, 'secretInfoGet' | 'secretGet' | 'secretAdd' | 'secretSet' | 'secretGrant' | 'secretRemove'>;

async function absentIfNotFound<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (error) {
    if (error instanceof SecretNotFoundError) return undefined;
    throw error;
  }
}

function sameContent(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

/** The content of the secret we own under `label`, or undefined when there is none. */
export async function ownedSecretContent(tools: Pick<RelationSecretTools, 'secretGet'>, label: string): Promise<Readonly<Record<string, string>> | undefined> {
  // The owner reads the latest revision; --refresh keeps what it tracks current too.
  return absentIfNotFound(tools.secretGet({ label }, { refresh: true }));
}

export interface EnsureSecretOptions {
  readonly label: string;
  readonly relationId: number;
  /** The content the secret must have; empty or undefined removes it. */
  readonly content: Readonly<Record<string, string>> | undefined;
  /** The URI the bag holds now: kept as written when it names the same secret. */
  readonly currentUri?: string | undefined;
}

/** Converge one group secret; returns its URI for the bag, or undefined once it is gone. */
export async function ensureRelationSecret(tools: RelationSecretTools, options: EnsureSecretOptions): Promise<string | undefined> {
  const { label, content } = options;
  const info = await absentIfNotFound(tools.secretInfoGet({ label }));
  if (content === undefined || Object.keys(content).length === 0) {
    // Juju refuses empty content: a group whose last field went is removed (all revisions).
    if (info !== undefined) await tools.secretRemove(info.id);
    return undefined;
  }
  if (info === undefined) {
    const uri = await tools.secretAdd({ ...content }, { label, owner: 'application' });
    await tools.secretGrant(uri, options.relationId);
    return uri;
  }
  const current = await ownedSecretContent(tools, label);
  if (current === undefined || !sameContent(current, content)) await tools.secretSet(info.id, { content: { ...content } });
  const xid = secretXid(info.id);
  return options.currentUri !== undefined && options.currentUri !== '' && secretXid(options.currentUri) === xid ? options.currentUri : `secret:${xid}`;
}

/** Remove the secret we own under `label`, if any (a relation that is gone). */
export async function removeRelationSecret(tools: Pick<RelationSecretTools, 'secretInfoGet' | 'secretRemove'>, label: string): Promise<boolean> {
  const info = await absentIfNotFound(tools.secretInfoGet({ label }));
  if (info === undefined) return false;
  await tools.secretRemove(info.id);
  return true;
}
