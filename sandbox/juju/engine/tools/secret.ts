import { isValidApplicationName, isValidUnitName, newSecretId, secretUri, unitApplication } from '../../model/names.ts';
import type { Relation } from '../../model/schema.ts';
import { remoteApplication } from '../../model/topology.ts';
import { type HookTool, relationFlag } from '../command.ts';
import type { HookContext } from '../context.ts';
import { HookToolRunError, HookToolUsageError } from '../errors.ts';
import { checkEmpty } from '../flags.ts';
import { checkLabelFree, decodeContent, latestRevision, type OwnedSecret, ownedSecrets, ownsSecret, readSecret, requireManage } from '../secrets.ts';
import { parseUpsertArgs, secretIdArg, upsertFlags } from './secret-args.ts';

/**
 * secret-add, secret-set, secret-get, secret-info-get, secret-ids, secret-grant, secret-revoke,
 * secret-remove. Writes are transactional; errors carry the `not found` / `permission denied` /
 * `this unit is not the leader` texts ops classifies.
 */

const ALL_FORMATS = ['smart', 'yaml', 'json'] as const;
const YAML_JSON = ['yaml', 'json'] as const;

/** A secret this unit may manage: owned (counting this hook's creates), and leader if app-owned. */
function manageable(ctx: HookContext, id: string): OwnedSecret {
  const owned = ownedSecrets(ctx).get(id);
  if (!owned) {
    const secret = ctx.model.secrets[id];
    if (secret && !ownsSecret(ctx, secret.owner)) throw new HookToolRunError('permission denied');
    throw new HookToolRunError(`secret ${JSON.stringify(id)} not found`);
  }
  requireManage(ctx, owned.owner);
  return owned;
}

/**
 * The secrets whose metadata this unit sees (secret-info-get, secret-ids): those it owns, and its
 * application's only when it is the leader. Juju's uniter reads them with GetSecretMetadata,
 * which (apiserver/common/secrets/secrets.go, GetSecretMetadata) adds the application's
 * secrets for the leader unit only; a follower may still read their content (secret-get).
 */
function secretMetadata(ctx: HookContext): Map<string, OwnedSecret> {
  const leader = ctx.isLeader();
  return new Map([...ownedSecrets(ctx)].filter(([, s]) => s.owner.kind === 'unit' || leader));
}

function sameContent(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => b[k] === a[k]);
}

export const secretAdd: HookTool = {
  name: 'secret-add',
  flags: () => upsertFlags,
  run(inv) {
    const { ctx } = inv;
    if (inv.args.length === 0 && !inv.flags['file']) throw new HookToolUsageError('missing secret value or filename');
    const upsert = parseUpsertArgs(inv, inv.args);
    const owner = upsert.owner === 'unit' ? { kind: 'unit' as const, name: ctx.unit.name } : { kind: 'application' as const, name: ctx.unit.app };
    requireManage(ctx, owner);
    if (Object.keys(upsert.content).length === 0) throw new HookToolRunError('empty secret value not valid');
    if (upsert.label !== undefined) checkLabelFree(ctx, upsert.label);
    const id = newSecretId(ctx.now());
    ctx.pending.secretCreates.set(id, {
      id,
      owner,
      label: upsert.label ?? null,
      description: upsert.description ?? null,
      rotatePolicy: upsert.rotatePolicy ?? null,
      expireTime: upsert.expireTime ?? null,
      content: upsert.content,
    });
    inv.print(`${secretUri(id)}\n`);
  },
};

/**
 * The secret secret-set may change. A follower setting its application's secret is not refused
 * here: Juju's HookContext.UpdateSecret (worker/uniter/runner/context/context.go) checks
 * leadership only for a secret in the unit's metadata, which has no application secrets for a
 * follower (GetSecretMetadata), so the change is queued and refused when the hook commits
 * (commitRefusal in commit.ts).
 */
function settable(ctx: HookContext, id: string): OwnedSecret {
  const owned = ownedSecrets(ctx).get(id);
  if (owned?.owner.kind === 'application' && !ctx.isLeader()) return owned;
  return manageable(ctx, id);
}

export const secretSet: HookTool = {
  name: 'secret-set',
  flags: () => upsertFlags,
  run(inv) {
    const { ctx } = inv;
    const [uri, ...rest] = inv.args;
    const id = secretIdArg(uri);
    const upsert = parseUpsertArgs(inv, rest);
    settable(ctx, id);
    if (upsert.label !== undefined) checkLabelFree(ctx, upsert.label, id);
    const hasContent = Object.keys(upsert.content).length > 0;
    const create = ctx.pending.secretCreates.get(id);
    if (create) {
      // Changing a secret created in the same hook changes what gets created.
      if (hasContent) create.content = upsert.content;
      if (upsert.label !== undefined) create.label = upsert.label;
      if (upsert.description !== undefined) create.description = upsert.description;
      if (upsert.rotatePolicy !== undefined) create.rotatePolicy = upsert.rotatePolicy;
      if (upsert.expireTime !== undefined) create.expireTime = upsert.expireTime;
      return;
    }
    const secret = ctx.model.secrets[id]!;
    const update = { ...(ctx.pending.secretUpdates.get(id) ?? { id }) };
    if (hasContent) {
      // Several secret-set calls in one hook make one revision; content equal to the latest makes none.
      const latest = secret.revisions.find((r) => r.revision === latestRevision(secret))!.content;
      if (sameContent(upsert.content, latest)) delete update.content;
      else update.content = upsert.content;
    }
    if (upsert.label !== undefined) update.label = upsert.label;
    if (upsert.description !== undefined) update.description = upsert.description;
    if (upsert.rotatePolicy !== undefined) update.rotatePolicy = upsert.rotatePolicy;
    if (upsert.expireTime !== undefined) update.expireTime = upsert.expireTime;
    ctx.pending.secretUpdates.set(id, update);
  },
};

export const secretGet: HookTool = {
  name: 'secret-get',
  formats: YAML_JSON,
  flags: () => [
    { names: ['label'], kind: 'string' },
    { names: ['peek'], kind: 'bool' },
    { names: ['refresh'], kind: 'bool' },
  ],
  run(inv) {
    const rest = [...inv.args];
    const id = rest.length > 0 ? secretIdArg(rest.shift()) : undefined;
    const label = (inv.flags['label'] as string | undefined) || undefined;
    if (id === undefined && label === undefined) throw new HookToolUsageError('require either a secret URI or label');
    const peek = inv.flags['peek'] === true;
    const refresh = inv.flags['refresh'] === true;
    if (peek && refresh) throw new HookToolUsageError('specify one of --peek or --refresh but not both');
    const key = rest.shift();
    checkEmpty(rest);
    const content = readSecret(inv.ctx, { id, label, peek, refresh });
    if (key === undefined) {
      inv.write(decodeContent(content));
      return;
    }
    const base64 = key.endsWith('#base64');
    const name = base64 ? key.slice(0, -'#base64'.length) : key;
    const value = content[name];
    if (value === undefined) throw new HookToolRunError(`secret key ${JSON.stringify(name)} not found`);
    inv.write(base64 ? value : Buffer.from(value, 'base64').toString('utf8'));
  },
};

/** Juju's relation tag: `relation-` + the relation key with `:`→`.` and ` `→`#`. */
function relationTag(relation: Relation | undefined, fallbackId: number): string {
  if (!relation) return `relation-${fallbackId}`;
  const key = relation.endpoints.map((e) => `${e.app}:${e.name}`).sort().join(' ');
  return `relation-${key.replace(/:/g, '.').replace(/ /g, '#')}`;
}

export const secretInfoGet: HookTool = {
  name: 'secret-info-get',
  formats: YAML_JSON,
  flags: () => [{ names: ['label'], kind: 'string' }],
  run(inv) {
    const { ctx } = inv;
    const [uri, ...rest] = inv.args;
    const id = uri === undefined ? undefined : secretIdArg(uri);
    const label = (inv.flags['label'] as string | undefined) || undefined;
    if (id === undefined && label === undefined) throw new HookToolUsageError('require either a secret URI or label');
    if (id !== undefined && label !== undefined) throw new HookToolUsageError('specify either a secret URI or label but not both');
    checkEmpty(rest);
    const owned = [...secretMetadata(ctx).values()].find((s) => (id !== undefined ? s.id === id : s.label === label));
    if (!owned) throw new HookToolRunError(`secret ${JSON.stringify(id ?? label)} not found`);
    const info: Record<string, unknown> = { revision: owned.latestRevision, label: owned.label ?? '', owner: owned.owner.kind };
    if (owned.description) info['description'] = owned.description;
    if (owned.rotatePolicy) info['rotation'] = owned.rotatePolicy;
    if (owned.expireTime) info['expiry'] = owned.expireTime;
    if (owned.nextRotateTime) info['rotates'] = owned.nextRotateTime;
    if (owned.grants.length > 0) {
      info['access'] = owned.grants.map((g) => ({
        target: g.targetKind === 'application' ? `application-${g.target}` : `unit-${g.target.replace('/', '-')}`,
        scope: relationTag(ctx.model.relations.find((r) => r.id === g.relationId), g.relationId),
        role: g.role,
      }));
    }
    inv.write({ [owned.id]: info });
  },
};

export const secretIds: HookTool = {
  name: 'secret-ids',
  formats: ALL_FORMATS,
  run(inv) {
    checkEmpty(inv.args);
    const ids = [...secretMetadata(inv.ctx).keys()].sort();
    // Juju builds a nil Go slice when nothing is owned: JSON prints null, YAML [] and smart nothing.
    if (ids.length === 0 && inv.format !== 'yaml') inv.write(null);
    else inv.write(ids);
  },
};

export const secretGrant: HookTool = {
  name: 'secret-grant',
  flags: (ctx) => [{ names: ['unit'], kind: 'string' }, relationFlag(ctx)],
  run(inv) {
    const { ctx } = inv;
    const [uri, ...rest] = inv.args;
    const id = secretIdArg(uri);
    const relationId = (inv.flags['r'] as number | undefined) ?? ctx.hookRelationId();
    if (relationId === undefined) throw new HookToolUsageError('no relation id specified');
    const relation = ctx.relation(relationId);
    const app = remoteApplication(relation, ctx.unit.app);
    const unit = (inv.flags['unit'] as string | undefined) || undefined;
    if (unit !== undefined) {
      if (!isValidUnitName(unit)) throw new HookToolUsageError(`unit ${JSON.stringify(unit)} not valid`);
      if (unitApplication(unit) !== app) throw new HookToolUsageError(`cannot specify unit ${JSON.stringify(unit)} in relation to application ${JSON.stringify(app)}`);
    }
    checkEmpty(rest);
    const owned = manageable(ctx, id);
    const target = unit ?? app;
    const existing = owned.grants.filter((g) => g.relationId === relationId);
    if (existing.some((g) => g.target === target || g.targetKind === 'application')) return; // already covered
    if (unit === undefined && existing.length > 0) {
      throw new HookToolRunError('any unit level grants need to be revoked before granting access to the corresponding application');
    }
    ctx.pending.secretGrants.push({ id, grant: { target, targetKind: unit === undefined ? 'application' : 'unit', relationId, role: 'view' } });
  },
};

export const secretRevoke: HookTool = {
  name: 'secret-revoke',
  flags: (ctx) => [{ names: ['app', 'application'], kind: 'string' }, { names: ['unit'], kind: 'string' }, relationFlag(ctx)],
  run(inv) {
    const { ctx } = inv;
    const [uri, ...rest] = inv.args;
    const id = secretIdArg(uri);
    let app = (inv.flags['app'] as string | undefined) || undefined;
    const unit = (inv.flags['unit'] as string | undefined) || undefined;
    if (app !== undefined && !isValidApplicationName(app)) throw new HookToolUsageError(`application ${JSON.stringify(app)} not valid`);
    if (unit !== undefined && !isValidUnitName(unit)) throw new HookToolUsageError(`unit ${JSON.stringify(unit)} not valid`);
    if (app !== undefined && unit !== undefined) throw new HookToolUsageError('specify only one of application or unit');
    const relationId = (inv.flags['r'] as number | undefined) ?? ctx.hookRelationId();
    if (relationId !== undefined) {
      const relation = ctx.relation(relationId);
      if (app !== undefined) throw new HookToolUsageError('do not specify both relation and app');
      app = remoteApplication(relation, ctx.unit.app);
    }
    if (app === undefined && unit === undefined) throw new HookToolUsageError('missing relation or application or unit');
    checkEmpty(rest);
    manageable(ctx, id);
    // Juju revokes the application when both a relation and a unit are named.
    ctx.pending.secretRevokes.push({ id, target: app ?? unit! });
  },
};

export const secretRemove: HookTool = {
  name: 'secret-remove',
  flags: () => [
    {
      names: ['revision'],
      kind: 'string',
      parse(value) {
        if (!/^[+-]?\d+$/.test(value)) throw new Error('parse error');
        return Number(value);
      },
    },
  ],
  run(inv) {
    const { ctx } = inv;
    const [uri, ...rest] = inv.args;
    const id = secretIdArg(uri);
    checkEmpty(rest);
    manageable(ctx, id);
    const revision = (inv.flags['revision'] as number | undefined) ?? 0;
    if (ctx.pending.secretCreates.has(id) && revision <= 0) {
      ctx.pending.secretCreates.delete(id);
      return;
    }
    if (revision <= 0) {
      ctx.pending.secretRemovals.set(id, 'all');
      return;
    }
    const current = ctx.pending.secretRemovals.get(id);
    if (current === 'all') return;
    ctx.pending.secretRemovals.set(id, new Set([...(current ?? []), revision]));
  },
};
