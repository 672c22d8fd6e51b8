import { flagCodec, integerCodec, stringListCodec, textCodec, type Decoded } from './codecs.ts';
import { relationUsersCodec } from './relation-users.ts';

/** The peer relation every unit of the application shares (metadata.yaml `peers`). */
export const PEER_RELATION = 'database-peers';

/**
 * Application databag of the peer relation (written by the leader). Key names are the reference
 * charm's, so a unit refreshed from the Python charm reads the cluster it already runs.
 */
export const appPeerCodecs = {
  cluster_initialised: flagCodec,
  endpoints: stringListCodec,
  ldap_enabled: flagCodec,
  'promoted-cluster-counter': integerCodec,
  'restoring-backup': textCodec,
  'restore-to-time': textCodec,
  'restore-stanza': textCodec,
  /** Hexadecimal timeline a point-in-time restore follows (`--target-timeline`). */
  'restore-timeline': textCodec,
  'require-change-bucket-after-restore': flagCodec,
  's3-initialization-start': textCodec,
  's3-initialization-done': flagCodec,
  's3-initialization-block-message': textCodec,
  stanza: textCodec,
  'internal-secret': textCodec,
  /** Users the charm created for client relations (src/state/relation-users.ts). */
  'relation-users': relationUsersCodec,
  /**
   * Bumped by set-password once a new password is stored: the write gives every peer
   * relation-changed, so each unit re-renders patroni.yml at once, whether or not secret-changed
   * comes; each unit also checks its Patroni once per value (reconcile/password-heal.ts).
   */
  'password-rotation': integerCodec,
} as const;

/** Unit databag of the peer relation (each unit writes its own). */
export const unitPeerCodecs = {
  tls: textCodec,
  'start-tls-server': flagCodec,
  connectivity: textCodec,
  departing: flagCodec,
  stanza: textCodec,
  's3-initialization-start': textCodec,
  's3-initialization-done': flagCodec,
  's3-initialization-block-message': textCodec,
  user_hash: textCodec,
  config_hash: textCodec,
  'patroni-on-failure-condition-override': textCodec,
  pg_hba_needs_update_timestamp: textCodec,
  'last_pitr_fail_id': textCodec,
  /** This unit's PostgreSQL serves (unit Active); flips tell peers to recount '(degraded)'. */
  'member-serving': flagCodec,
  /** This member's role as its last status showed it (`primary`, `standby-leader`, `replica`); a change makes peers recompute their labels. */
  'member-role': textCodec,
  /** When this unit last restarted PostgreSQL for pending parameters; peers waiting their turn see the change. */
  'postgresql-restarted-at': textCodec,
  'internal-secret': textCodec,
} as const;

export type AppPeerData = Decoded<typeof appPeerCodecs>;
export type UnitPeerData = Decoded<typeof unitPeerCodecs>;
