/**
 * What our application bag (and its Juju secrets) should hold for one `database` relation, as
 * data_interfaces' `DatabaseProvides` (LIBPATCH 58) lays it out, so a requirer built on that
 * library cannot tell us from the reference charm:
 *
 * - every field the requirer listed in `requested-secrets` lives in a Juju secret of its group
 *   (`user`: username, password, uris, read-only-uris; `tls`: tls, tls-ca; anything else
 *   `extra`), labelled `database.<id>.<group>.secret`, its URI in the bag as `secret-<group>`;
 * - a requirer that listed nothing gets every field in plain text;
 * - `read-only-uris` only when it was requested (the reference's src/relations/postgresql_provider.py);
 * - `endpoints`, `read-only-endpoints`, `version`, `database` and `data` are never secret.
 *
 * All of it is written in one hook, so the requirer's `database_created` fires once, with
 * everything in place (data_interfaces fires it when `secret-user`, or username and password,
 * first appear).
 */
import { POSTGRESQL_PORT } from '../../workload/users.ts';
import { primaryEndpoint, replicasEndpoint } from '../../workload/names.ts';
import type { Bag } from '../client-relations.ts';
import { pythonJsonDumps } from '../python-json.ts';
import type { DatabaseRequest } from './request.ts';

export type SecretGroup = 'user' | 'tls' | 'mtls' | 'entity' | 'extra';
export const SECRET_GROUPS: readonly SecretGroup[] = ['user', 'tls', 'mtls', 'entity', 'extra'];

/** data_interfaces' `SECRET_LABEL_MAP`: which secret a requested field goes into. */
export const GROUP_OF_FIELD: Readonly<Record<string, SecretGroup>> = {
  username: 'user',
  password: 'user',
  uris: 'user',
  'read-only-uris': 'user',
  tls: 'tls',
  'tls-ca': 'tls',
  'mtls-cert': 'mtls',
  'entity-name': 'entity',
  'entity-password': 'entity',
};

export function secretGroupOf(field: string): SecretGroup {
  return GROUP_OF_FIELD[field] ?? 'extra';
}

/** The owner label data_interfaces looks its secrets up by: `<relation name>.<id>.<group>.secret`. */
export function secretLabel(relation: { endpoint: string; id: number }, group: SecretGroup): string {
  return `${relation.endpoint}.${relation.id}.${group}.secret`;
}

/** The bag field holding a group's secret URI. */
export function secretField(group: SecretGroup): string {
  return `secret-${group}`;
}

/** Fields that never go into a secret, and the only ones allowed before the requirer asked. */
const ENDPOINT_FIELDS: ReadonlySet<string> = new Set(['endpoints', 'read-only-endpoints', 'replset']);

/** Every bag key this provider writes; others (a newer library's, the requirer's own) are left alone. */
export const MANAGED_FIELDS: readonly string[] = [
  'username',
  'password',
  'uris',
  'read-only-uris',
  'tls',
  'tls-ca',
  'endpoints',
  'read-only-endpoints',
  'version',
  'database',
  'data',
  ...SECRET_GROUPS.map(secretField),
];

export interface ClusterEndpoints {
  /** `<app>-primary.<model>.svc.cluster.local:5432` */
  readonly primary: string;
  /** `<app>-replicas…:5432` when the application has other units, else the primary again. */
  readonly readOnly: string;
}

/**
 * The endpoints clients connect to: the Services the charm maintains for the primary and the
 * replicas (the reference's `update_endpoints`); a single unit has no replica to read from.
 */
export function clusterEndpoints(app: string, model: string, otherUnits: number): ClusterEndpoints {
  const primary = `${primaryEndpoint(app, model)}:${POSTGRESQL_PORT}`;
  return { primary, readOnly: otherUnits > 0 ? `${replicasEndpoint(app, model)}:${POSTGRESQL_PORT}` : primary };
}

/** data_interfaces' `data`: the requirer's app bag without `data`, sorted as ops reads it, as Python's json.dumps. */
export function requestSnapshot(remoteAppBag: Bag): string {
  const entries = Object.entries(remoteAppBag).filter(([key]) => key !== 'data');
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return pythonJsonDumps(Object.fromEntries(entries));
}

export interface ProviderInput {
  readonly request: DatabaseRequest;
  readonly remoteAppBag: Bag;
  readonly username: string;
  readonly password: string;
  readonly endpoints: ClusterEndpoints;
  readonly version: string;
  readonly tls: boolean;
  /** The CA chain clients should trust, when TLS is on. */
  readonly tlsCa: string | undefined;
}

export interface ProviderData {
  /** Plain bag fields (without the `secret-<group>` URIs, known only once the secrets exist). */
  readonly fields: Readonly<Record<string, string>>;
  /** The content each group's secret must have; a group missing here has no secret. */
  readonly secrets: Readonly<Partial<Record<SecretGroup, Readonly<Record<string, string>>>>>;
}

/** Every field this relation is owed, split into plain fields and secret contents. */
export function providerData(input: ProviderInput): ProviderData {
  const { request, username, password, endpoints } = input;
  const requested = request.requestedSecrets;
  const values: Record<string, string> = {
    username,
    password,
    uris: `postgresql://${username}:${password}@${endpoints.primary}/${request.database}`,
    tls: input.tls ? 'True' : 'False',
  };
  if (requested?.includes('read-only-uris')) values['read-only-uris'] = `postgresql://${username}:${password}@${endpoints.readOnly}/${request.database}`;
  if (input.tls && input.tlsCa !== undefined && input.tlsCa !== '') values['tls-ca'] = input.tlsCa;

  const fields: Record<string, string> = {};
  const secrets: Partial<Record<SecretGroup, Record<string, string>>> = {};
  for (const [field, value] of Object.entries(values)) {
    if (requested?.includes(field)) (secrets[secretGroupOf(field)] ??= {})[field] = value;
    else fields[field] = value;
  }
  Object.assign(fields, {
    endpoints: endpoints.primary,
    'read-only-endpoints': endpoints.readOnly,
    version: input.version,
    database: request.database,
    data: requestSnapshot(input.remoteAppBag),
  });
  return { fields, secrets };
}

/** The relation-set changes that turn `current` into `desired` for the managed keys ("" deletes). */
export function bagChanges(current: Bag, desired: Bag, managed: readonly string[] = MANAGED_FIELDS): Record<string, string> {
  const changes: Record<string, string> = {};
  for (const key of managed) {
    const want = desired[key];
    if (want !== undefined && want !== '') {
      if (current[key] !== want) changes[key] = want;
    } else if (current[key] !== undefined && current[key] !== '') {
      changes[key] = '';
    }
  }
  return changes;
}

/**
 * data_interfaces' PrematureDataAccessError rule, as a guard rather than a failed hook: until the
 * requirer has written `database`, only the endpoint fields may be written.
 */
export function guardPrematureWrite(requested: boolean, changes: Bag): { allowed: Record<string, string>; refused: string[] } {
  if (requested) return { allowed: { ...changes }, refused: [] };
  const allowed: Record<string, string> = {};
  const refused: string[] = [];
  for (const [key, value] of Object.entries(changes)) {
    if (ENDPOINT_FIELDS.has(key)) allowed[key] = value;
    else refused.push(key);
  }
  return { allowed, refused };
}

/** Whether our bag already carries credentials for this relation (secret-user, or plain username). */
export function hasCredentials(localAppBag: Bag | undefined): boolean {
  return localAppBag !== undefined && (Boolean(localAppBag[secretField('user')]) || Boolean(localAppBag['username']));
}
