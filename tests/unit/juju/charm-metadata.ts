import { parse } from 'yaml';
import { parseCharmMetadata } from '../../../src/juju/metadata.ts';

/** The reference charm's metadata.yaml/actions.yaml (docs/upstream-charm.md), plus two odd names. */
export const METADATA_YAML = `
name: postgresql-k8s
containers:
  postgresql:
    resource: postgresql-image
    mounts:
      - storage: pgdata
        location: /var/lib/postgresql/data
  pebble:
    resource: postgresql-image
resources:
  postgresql-image:
    type: oci-image
peers:
  database-peers:
    interface: postgresql_peers
  restart:
    interface: rolling_op
  upgrade:
    interface: upgrade
provides:
  database:
    interface: postgresql_client
  db:
    interface: pgsql
    optional: true
  db-admin:
    interface: pgsql
    optional: true
  replication-offer:
    interface: postgresql_async
    limit: 1
    optional: true
  data-storage:
    interface: odd_name
requires:
  s3-parameters:
    interface: s3
    limit: 1
    optional: true
  certificates:
    interface: tls-certificates
    limit: 1
    optional: true
storage:
  pgdata:
    type: filesystem
    location: /var/lib/postgresql/data
`;

export const ACTIONS_YAML = `
create-backup:
  description: Creates a backup.
  params:
    type:
      type: string
get-password:
  description: Get a system user's password.
  params:
    username:
      type: string
set-password:
  params:
    username:
      type: string
    password:
      type: string
get-primary:
`;

export function referenceMetadata() {
  return parseCharmMetadata(parse(METADATA_YAML), parse(ACTIONS_YAML));
}
