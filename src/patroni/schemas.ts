import { z } from 'zod';

/*
 * Shapes of Patroni's REST answers. Objects are loose (newer Patroni versions add keys) and
 * vocabulary fields are plain strings: 3.0.2 says replica state `running` and `/patroni` role
 * `master`, newer versions say `streaming` and `primary`; the helpers in cluster.ts accept both.
 */

/** `/cluster` roles seen so far; other strings still parse. */
export type MemberRole = 'leader' | 'standby_leader' | 'sync_standby' | 'replica' | (string & {});

export const clusterMemberSchema = z.looseObject({
  name: z.string(),
  role: z.string() as z.ZodType<MemberRole>,
  state: z.string(),
  api_url: z.string().optional(),
  host: z.string(),
  port: z.number(),
  timeline: z.number().optional(),
  // Bytes behind the leader; Patroni says "unknown" when it cannot tell.
  lag: z.union([z.number(), z.string()]).optional(),
  tags: z.record(z.string(), z.unknown()).optional(),
});
export type ClusterMember = z.infer<typeof clusterMemberSchema>;

export const clusterStatusSchema = z.looseObject({
  members: z.array(clusterMemberSchema),
  scope: z.string().optional(),
  pause: z.boolean().optional(),
});
export type ClusterStatus = z.infer<typeof clusterStatusSchema>;

export const replicationEntrySchema = z.looseObject({
  usename: z.string().optional(),
  application_name: z.string(),
  client_addr: z.string().nullable().optional(),
  state: z.string(),
  sync_state: z.string(),
  sync_priority: z.number().optional(),
});

/** The body of `/patroni` and `/health` (Patroni returns the same document from both). */
export const memberStatusSchema = z.looseObject({
  state: z.string(),
  role: z.string(),
  server_version: z.number().optional(),
  timeline: z.number().optional(),
  postmaster_start_time: z.string().nullable().optional(),
  pending_restart: z.boolean().optional(),
  sync_standby: z.boolean().optional(),
  pause: z.boolean().optional(),
  replication: z.array(replicationEntrySchema).optional(),
  replication_state: z.string().optional(),
  xlog: z
    .looseObject({
      location: z.number().optional(),
      received_location: z.number().optional(),
      replayed_location: z.number().nullable().optional(),
      paused: z.boolean().optional(),
    })
    .optional(),
  dcs_last_seen: z.number().optional(),
  database_system_identifier: z.string().optional(),
  patroni: z.looseObject({ version: z.string(), scope: z.string() }).optional(),
});
export type MemberStatus = z.infer<typeof memberStatusSchema>;

/** The dynamic (DCS) configuration from `GET/PATCH /config`; only the keys the charm reads are typed. */
export const dynamicConfigSchema = z.looseObject({
  ttl: z.number().optional(),
  loop_wait: z.number().optional(),
  retry_timeout: z.number().optional(),
  maximum_lag_on_failover: z.number().optional(),
  synchronous_mode: z.boolean().optional(),
  synchronous_mode_strict: z.boolean().optional(),
  synchronous_node_count: z.number().optional(),
  failsafe_mode: z.boolean().optional(),
  max_timelines_history: z.number().optional(),
  standby_cluster: z.record(z.string(), z.unknown()).nullable().optional(),
  postgresql: z
    .looseObject({
      use_pg_rewind: z.boolean().optional(),
      use_slots: z.boolean().optional(),
      parameters: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
});
export type DynamicConfig = z.infer<typeof dynamicConfigSchema>;

/**
 * A JSON merge patch for `PATCH /config`: nested objects merge, `null` deletes a key
 * (e.g. `{ standby_cluster: null }` promotes a standby cluster).
 */
export type ConfigPatch = { [key: string]: ConfigPatchValue };
export type ConfigPatchValue = string | number | boolean | null | ConfigPatchValue[] | ConfigPatch;
