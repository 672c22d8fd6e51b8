import { describe, expect, it } from 'vitest';
import {
  bagChanges,
  clusterEndpoints,
  guardPrematureWrite,
  providerData,
  requestSnapshot,
  secretGroupOf,
  secretLabel,
} from '../../../../src/relations/database/provider-data.ts';
import { pythonJsonDumps, pythonJsonString } from '../../../../src/relations/python-json.ts';

const PRIMARY = 'pg-primary.m.svc.cluster.local:5432';
const REPLICAS = 'pg-replicas.m.svc.cluster.local:5432';
const ALL_SECRETS = ['username', 'password', 'tls', 'tls-ca', 'uris', 'read-only-uris', 'entity-name', 'entity-password'];

function input(requestedSecrets: string[] | undefined, extra: Partial<Parameters<typeof providerData>[0]> = {}) {
  return {
    request: { database: 'app', roles: ['relation_access'], requestedSecrets },
    remoteAppBag: { database: 'app' },
    username: 'relation_id_7',
    password: 'Pw0123456789abcd',
    endpoints: { primary: PRIMARY, readOnly: REPLICAS },
    version: '16.4',
    tls: false,
    tlsCa: undefined,
    ...extra,
  };
}

describe('clusterEndpoints', () => {
  it('reads from the replicas Service when there are other units, else from the primary again', () => {
    expect(clusterEndpoints('pg', 'm', 0)).toEqual({ primary: PRIMARY, readOnly: PRIMARY });
    expect(clusterEndpoints('pg', 'm', 2)).toEqual({ primary: PRIMARY, readOnly: REPLICAS });
  });
});

describe('secret groups and labels', () => {
  it('follows data_interfaces SECRET_LABEL_MAP, anything else in extra', () => {
    expect(['username', 'password', 'uris', 'read-only-uris', 'tls', 'tls-ca', 'mtls-cert', 'entity-name', 'other'].map(secretGroupOf)).toEqual([
      'user', 'user', 'user', 'user', 'tls', 'tls', 'mtls', 'entity', 'extra',
    ]);
    expect(secretLabel({ endpoint: 'database', id: 7 }, 'user')).toBe('database.7.user.secret');
  });
});

describe('providerData', () => {
  it('puts every requested field in its group secret and the rest in the bag (data_interfaces 0.58 defaults)', () => {
    const data = providerData(input(ALL_SECRETS));
    expect(data.secrets).toEqual({
      user: {
        username: 'relation_id_7',
        password: 'Pw0123456789abcd',
        uris: `postgresql://relation_id_7:Pw0123456789abcd@${PRIMARY}/app`,
        'read-only-uris': `postgresql://relation_id_7:Pw0123456789abcd@${REPLICAS}/app`,
      },
      tls: { tls: 'False' },
    });
    expect(data.fields).toEqual({ endpoints: PRIMARY, 'read-only-endpoints': REPLICAS, version: '16.4', database: 'app', data: '{"database": "app"}' });
  });

  it('writes everything in plain text for a requirer that requested no secrets, without read-only-uris', () => {
    const data = providerData(input(undefined));
    expect(data.secrets).toEqual({});
    expect(data.fields).toEqual({
      username: 'relation_id_7',
      password: 'Pw0123456789abcd',
      uris: `postgresql://relation_id_7:Pw0123456789abcd@${PRIMARY}/app`,
      tls: 'False',
      endpoints: PRIMARY,
      'read-only-endpoints': REPLICAS,
      version: '16.4',
      database: 'app',
      data: '{"database": "app"}',
    });
  });

  it('gives an older requirer (no read-only-uris requested) no read-only-uris', () => {
    const data = providerData(input(['username', 'password', 'tls', 'tls-ca', 'uris']));
    expect(Object.keys(data.secrets.user!)).toEqual(['username', 'password', 'uris']);
    expect(data.fields['read-only-uris']).toBeUndefined();
  });

  it('adds tls-ca with TLS on, tls "True" (Python capitalisation)', () => {
    const data = providerData(input(ALL_SECRETS, { tls: true, tlsCa: '-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----' }));
    expect(data.secrets.tls).toEqual({ tls: 'True', 'tls-ca': '-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----' });
  });
});

describe('requestSnapshot (`data`)', () => {
  it('is the requirer bag minus data, keys sorted, as Python json.dumps', () => {
    expect(requestSnapshot({ 'requested-secrets': '["username", "password"]', database: 'app', data: '{"x": "y"}', 'extra-user-roles': 'SUPERUSER' })).toBe(
      '{"database": "app", "extra-user-roles": "SUPERUSER", "requested-secrets": "[\\"username\\", \\"password\\"]"}',
    );
  });

  it('escapes non-ASCII as json.dumps does (ensure_ascii)', () => {
    expect(pythonJsonString('é\u007f😀\n')).toBe('"\\u00e9\\u007f\\ud83d\\ude00\\n"');
    expect(pythonJsonDumps({})).toBe('{}');
    expect(JSON.parse(pythonJsonDumps({ 'a"b': 'c\\d' }))).toEqual({ 'a"b': 'c\\d' });
  });
});

describe('bagChanges', () => {
  it('sets what differs and deletes managed keys no longer wanted, leaving other keys alone', () => {
    expect(bagChanges({ endpoints: 'old', password: 'p', foreign: 'x' }, { endpoints: 'new', database: 'd' })).toEqual({ endpoints: 'new', database: 'd', password: '' });
    expect(bagChanges({ endpoints: 'same' }, { endpoints: 'same' })).toEqual({});
  });
});

describe('guardPrematureWrite (data_interfaces PrematureDataAccessError rule)', () => {
  it('lets only the endpoint fields through before the requirer wrote database', () => {
    expect(guardPrematureWrite(false, { endpoints: PRIMARY, 'read-only-endpoints': REPLICAS, 'secret-user': 'secret:x', version: '16.4' })).toEqual({
      allowed: { endpoints: PRIMARY, 'read-only-endpoints': REPLICAS },
      refused: ['secret-user', 'version'],
    });
  });

  it('lets everything through once requested', () => {
    expect(guardPrematureWrite(true, { version: '16.4' })).toEqual({ allowed: { version: '16.4' }, refused: [] });
  });
});
