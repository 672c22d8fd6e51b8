import * as z from 'zod/mini';
import '../zod-setup.ts';

/*
 * Shapes of Patroni's REST answers. Objects are loose (newer Patroni versions add keys) and
 * vocabulary fields are plain strings: 3.0.2 says replica state `running` and `/patroni` role
 * `master`, newer versions say `streaming` and `primary`; the helpers in cluster.ts accept both.
 */

/** `/cluster` roles seen so far; other strings still parse. */
export type MemberRole = 'leader' | 'standby_leader' | 'sync_standby' | 'replica' | (string & {});

export const clusterMemberSchema = z.looseObject({
  name: z.string(),
  role: z.string() as z.ZodMiniType<MemberRole>,
  state: z.string(),
  api_url: z.optional(z.string()),
  host: z.string(),
  port: z.number(),
  timeline: z.optional(z.number()),
  // Bytes behind the leader; Patroni says "unknown" when it cannot tell.
  lag: z.optional(z.union([z.number(), z.string()])),
  tags: z.optional(z.record(z.string(), z.unknown())),
});
export type ClusterMember = z.infer<typeof clusterMemberSchema>;

export const clusterStatusSchema = z.looseObject({
  members: z.array(clusterMemberSchema),
  scope: z.optional(z.string()),
  pause: z.optional(z.boolean()),
});
export type ClusterStatus = z.infer<typeof clusterStatusSchema>;

export const replicationEntrySchema = z.looseObject({
  usename: z.optional(z.string()),
  application_name: z.string(),
  client_addr: z.optional(z.nullable(z.string())),
  state: z.string(),
  sync_state: z.string(),
  sync_priority: z.optional(z.number()),
});

/** The body of `/patroni` and `/health` (Patroni returns the same document from both). */
export const memberStatusSchema = z.looseObject({
  state: z.string(),
  role: z.string(),
  server_version: z.optional(z.number()),
  timeline: z.optional(z.number()),
  postmaster_start_time: z.optional(z.nullable(z.string())),
  pending_restart: z.optional(z.boolean()),
  sync_standby: z.optional(z.boolean()),
  pause: z.optional(z.boolean()),
  replication: z.optional(z.array(replicationEntrySchema)),
  replication_state: z.optional(z.string()),
  xlog: z.optional(
    z.looseObject({
      location: z.optional(z.number()),
      received_location: z.optional(z.number()),
      replayed_location: z.optional(z.nullable(z.number())),
      paused: z.optional(z.boolean()),
    }),
  ),
  dcs_last_seen: z.optional(z.number()),
  database_system_identifier: z.optional(z.string()),
  patroni: z.optional(z.looseObject({ version: z.string(), scope: z.string() })),
});
export type MemberStatus = z.infer<typeof memberStatusSchema>;

/** The dynamic (DCS) configuration from `GET/PATCH /config`; only the keys the charm reads are typed. */
export const dynamicConfigSchema = z.looseObject({
  ttl: z.optional(z.number()),
  loop_wait: z.optional(z.number()),
  retry_timeout: z.optional(z.number()),
  maximum_lag_on_failover: z.optional(z.number()),
  synchronous_mode: z.optional(z.boolean()),
  synchronous_mode_strict: z.optional(z.boolean()),
  synchronous_node_count: z.optional(z.number()),
  failsafe_mode: z.optional(z.boolean()),
  max_timelines_history: z.optional(z.number()),
  standby_cluster: z.optional(z.nullable(z.record(z.string(), z.unknown()))),
  postgresql: z.optional(
    z.looseObject({
      use_pg_rewind: z.optional(z.boolean()),
      use_slots: z.optional(z.boolean()),
      parameters: z.optional(z.record(z.string(), z.unknown())),
    }),
  ),
});
export type DynamicConfig = z.infer<typeof dynamicConfigSchema>;

/**
 * A JSON merge patch for `PATCH /config`: nested objects merge, `null` deletes a key
 * (e.g. `{ standby_cluster: null }` promotes a standby cluster).
 */
export type ConfigPatch = { [key: string]: ConfigPatchValue };
export type ConfigPatchValue = string | number | boolean | null | ConfigPatchValue[] | ConfigPatch;
