/**
 * States and readers for the client-relation scenario tests: a data_interfaces requirer's app
 * bag, and our secrets as the requirer would read them.
 */
import type { Secret } from '../../../../sandbox/juju/model.ts';
import type { ClientRelationState, ScenarioResult } from '../../scenario/charm-scenario.ts';

/** data_interfaces 0.58 `DatabaseRequires` default `requested-secrets`. */
export const DEFAULT_REQUESTED_SECRETS = ['username', 'password', 'tls', 'tls-ca', 'uris', 'read-only-uris', 'entity-name', 'entity-password'];

/** A list as Python's json.dumps writes it (`["a", "b"]`), as the requirer's library does. */
export const pythonList = (items: readonly string[]): string => `[${items.map((item) => JSON.stringify(item)).join(', ')}]`;

/** What a data_interfaces 0.58 requirer leader writes into its app bag on relation-created. */
export function requirerAppBag(database: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'requested-secrets': pythonList(DEFAULT_REQUESTED_SECRETS),
    'provided-secrets': pythonList(['mtls-cert']),
    database,
    ...extra,
  };
}

export function databaseRelation(id: number, remoteAppData: Record<string, string>, extra: Partial<ClientRelationState> = {}): ClientRelationState {
  return { id, endpoint: 'database', remoteApp: 'client', remoteAppData, ...extra };
}

/** A secret's latest content, decoded (the model keeps values base64-encoded, as Juju does). */
export function latestContent(secret: Secret): Record<string, string> {
  const latest = secret.revisions[secret.revisions.length - 1]!;
  return Object.fromEntries(Object.entries(latest.content).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
}

export function secretByLabel(result: Pick<ScenarioResult, 'relationSecrets'>, label: string): Secret | undefined {
  return result.relationSecrets.find((secret) => secret.label === label);
}

/** The primary Service's endpoint in the scenario model (`test`). */
export const PRIMARY = 'postgresql-k8s-primary.test.svc.cluster.local:5432';
export const REPLICAS = 'postgresql-k8s-replicas.test.svc.cluster.local:5432';
