import { describe, expect, it } from 'vitest';
import { clientFields, parseClientRequest, providerSecretLabel, requestSnapshot, wantsWildcard } from '../../../../sandbox/charms/pgbouncer/src/provider.ts';

// pgbouncer's own `database` endpoint, as data_interfaces' DatabaseProvides writes it for its
// clients: requested fields in secrets per group, the rest plain, one Service for both endpoints.
const ENDPOINT = 'pgbouncer-k8s-service.dev.svc.cluster.local:6432';
const SECRETS = '["username", "password", "tls", "tls-ca", "uris", "read-only-uris"]';

describe('pgbouncer client request', () => {
  it('is undefined until the client wrote its database', () => {
    expect(parseClientRequest({})).toBeUndefined();
    expect(parseClientRequest({ 'extra-user-roles': 'admin' })).toBeUndefined();
  });

  it('lowercases extra-user-roles, drops blanks and adds relation_access', () => {
    expect(parseClientRequest({ database: 'app', 'extra-user-roles': ' SUPERUSER, ,CreateDB ' })).toEqual({
      database: 'app',
      roles: ['superuser', 'createdb', 'relation_access'],
      requestedSecrets: undefined,
    });
  });

  it('reads requested-secrets as a JSON list of strings, and garbage as no secrets (everything plain)', () => {
    expect(parseClientRequest({ database: 'app', 'requested-secrets': SECRETS })?.requestedSecrets).toEqual(['username', 'password', 'tls', 'tls-ca', 'uris', 'read-only-uris']);
    expect(parseClientRequest({ database: 'app', 'requested-secrets': '["username", 7]' })?.requestedSecrets).toEqual(['username']);
    expect(parseClientRequest({ database: 'app', 'requested-secrets': '{not json' })?.requestedSecrets).toBeUndefined();
    expect(parseClientRequest({ database: 'app', 'requested-secrets': '"username"' })?.requestedSecrets).toBeUndefined();
  });

  it('adds the wildcard database for privileged roles only', () => {
    expect(wantsWildcard(['superuser', 'relation_access'])).toBe(true);
    expect(wantsWildcard(['charmed_dml'])).toBe(true);
    expect(wantsWildcard(['relation_access'])).toBe(false);
    expect(wantsWildcard([])).toBe(false);
  });
});

describe('pgbouncer client databag', () => {
  const clientBag = { database: 'app', 'requested-secrets': SECRETS, 'extra-user-roles': '', data: '{"old": "x"}' };

  it('echoes the request as data: the bag without data, keys sorted, Python json.dumps spacing', () => {
    expect(requestSnapshot(clientBag)).toBe(`{"database": "app", "extra-user-roles": "", "requested-secrets": ${JSON.stringify(SECRETS)}}`);
  });

  it('puts requested fields in their secret group and the rest plain, both endpoints on its own Service', () => {
    const request = parseClientRequest(clientBag)!;
    const out = clientFields({ request, clientBag, username: 'relation_id_9', password: 'pw', endpoint: ENDPOINT, version: '15.18' });
    expect(out.secrets).toEqual({
      user: {
        username: 'relation_id_9',
        password: 'pw',
        uris: `postgresql://relation_id_9:pw@${ENDPOINT}/app`,
        'read-only-uris': `postgresql://relation_id_9:pw@${ENDPOINT}/app_readonly`,
      },
      tls: { tls: 'False' },
    });
    expect(out.fields).toEqual({
      endpoints: ENDPOINT,
      'read-only-endpoints': ENDPOINT,
      version: '15.18',
      database: 'app',
      data: requestSnapshot(clientBag),
    });
  });

  it('gives a client that requested no secrets everything plain, and no read-only-uris it did not ask for', () => {
    const bag = { database: 'app' };
    const out = clientFields({ request: parseClientRequest(bag)!, clientBag: bag, username: 'relation_id_3', password: 'pw', endpoint: ENDPOINT, version: '15.18' });
    expect(out.secrets).toEqual({});
    expect(Object.keys(out.fields).sort()).toEqual(['data', 'database', 'endpoints', 'password', 'read-only-endpoints', 'tls', 'uris', 'username', 'version']);
    expect(out.fields['uris']).toBe(`postgresql://relation_id_3:pw@${ENDPOINT}/app`);
  });

  it('falls back to the database itself when <db>_readonly would not fit in 63 characters', () => {
    const database = 'd'.repeat(60);
    const bag = { database, 'requested-secrets': '["read-only-uris"]' };
    const out = clientFields({ request: parseClientRequest(bag)!, clientBag: bag, username: 'u', password: 'p', endpoint: ENDPOINT, version: '15.18' });
    expect(out.secrets['user']?.['read-only-uris']).toBe(`postgresql://u:p@${ENDPOINT}/${database}`);
  });

  it('labels its secrets as data_interfaces does', () => {
    expect(providerSecretLabel({ endpoint: 'database', id: 4 }, 'user')).toBe('database.4.user.secret');
  });
});
