import { charmMetaFromYaml } from '../../../sandbox/juju/charm-meta.ts';
import { createHookContext, type HookContext, type HookEnv } from '../../../sandbox/juju/engine/index.ts';
import { addApplication, addRelation, addUnit, createModel, enterScope, type Model } from '../../../sandbox/juju/model.ts';
import { createInMemoryToolRunner } from '../../../sandbox/juju/runner.ts';

/**
 * A small model shaped like the real deployment: three postgresql-k8s units (peers, a
 * `database` provider endpoint, storage, config, actions) related to a two-unit client.
 */

export const PG_METADATA = `
name: postgresql-k8s
containers:
  postgresql:
    resource: postgresql-image
    mounts:
      - storage: pgdata
        location: /var/lib/postgresql/data
resources:
  postgresql-image:
    type: oci-image
storage:
  pgdata:
    type: filesystem
    location: /var/lib/postgresql/data
peers:
  database-peers:
    interface: postgresql_peers
provides:
  database:
    interface: postgresql_client
requires:
  certificates:
    interface: tls-certificates
    limit: 1
    optional: true
`;

export const PG_CONFIG = `
options:
  synchronous_node_count:
    type: string
    default: all
  durability_wal_keep_size:
    type: int
    default: 4096
  cpu_wal_compression:
    type: boolean
    default: true
  memory_shared_buffers:
    type: int
  admin_secret:
    type: secret
`;

export const PG_ACTIONS = `
get-password:
  params:
    username:
      type: string
      default: operator
set-password:
  params:
    username:
      type: string
    password:
      type: string
  required: [username]
  additionalProperties: false
create-backup:
  params:
    type:
      type: string
      enum: [full, differential, incremental]
      default: full
`;

export const CLIENT_METADATA = `
name: client
requires:
  database:
    interface: postgresql_client
`;

/** What Juju writes into a unit's own bag as it enters a relation's scope. */
export function addressBag(address: string): Record<string, string> {
  return { 'private-address': address, 'ingress-address': address, 'egress-subnets': `${address}/32` };
}

export interface Fixture {
  model: Model;
  /** The pg–client relation. */
  dbRelation: number;
  /** The pg peer relation. */
  peerRelation: number;
}

export function buildModel(): Fixture {
  const now = new Date('2026-01-01T00:00:00Z');
  const model = createModel({ name: 'sandbox', uuid: '11111111-2222-4333-8444-555555555555' });
  addApplication(model, { name: 'pg', charm: charmMetaFromYaml({ metadata: PG_METADATA, config: PG_CONFIG, actions: PG_ACTIONS }) }, now);
  addApplication(model, { name: 'client', charm: charmMetaFromYaml({ metadata: CLIENT_METADATA }) }, now);
  for (let i = 0; i < 3; i++) addUnit(model, 'pg', { address: `10.0.0.${i + 1}` }, now);
  for (let i = 0; i < 2; i++) addUnit(model, 'client', { address: `10.0.1.${i + 1}` }, now);
  const peerRelation = model.relations.find((r) => r.endpoints.length === 1)!.id;
  const dbRelation = addRelation(model, 'pg:database', 'client:database', now).id;
  for (const unit of ['pg/0', 'pg/1', 'pg/2']) enterScope(model, peerRelation, unit, now);
  for (const unit of ['pg/0', 'pg/1', 'pg/2', 'client/0', 'client/1']) enterScope(model, dbRelation, unit, now);
  return { model, dbRelation, peerRelation };
}

export interface ToolCall {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** A context plus a `run` that calls tools through the in-memory ToolRunner, as charm tests do. */
export function hook(model: Model, env: HookEnv, cwd?: string) {
  const ctx: HookContext = createHookContext(model, env, { now: () => new Date('2026-01-02T03:04:05Z') });
  const runner = createInMemoryToolRunner(ctx, cwd === undefined ? {} : { cwd });
  const run = (tool: string, args: string[] = [], stdin?: string): Promise<ToolCall> => runner.run(tool, args, stdin === undefined ? undefined : { stdin });
  /** Run a tool that must succeed and parse its JSON output. */
  const json = async (tool: string, args: string[] = []): Promise<unknown> => {
    const result = await run(tool, ['--format=json', ...args]);
    if (result.exitCode !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${result.stderr}`);
    return JSON.parse(result.stdout);
  };
  return { ctx, run, json };
}
