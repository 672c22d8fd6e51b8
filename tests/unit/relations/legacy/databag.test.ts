import { describe, expect, it } from 'vitest';
import { connectionString, connectionValue, InvalidConnectionValueError } from '../../../../src/relations/legacy/connection-string.ts';
import { allowedSubnets, allowedUnits, databagChanges, legacyDatabag, type LegacyDatabagInput } from '../../../../src/relations/legacy/databag.ts';
import { clientIsReady, clientMaster, clientStandbys, parseConnectionString } from './is-ready.ts';

const INPUT: LegacyDatabagInput = {
  appName: 'pg',
  model: 'dev',
  unitName: 'pg/1',
  remoteApp: 'pgtest',
  remoteUnits: { 'pgtest/1': '10.1.2.4/32', 'pgtest/0': '10.1.2.3/32' },
  database: 'db_with_extensions',
  user: 'relation_id_7',
  password: 'Abc123Def456Ghi7',
  extensions: ['pg_trgm:public', 'unaccent:public'],
  version: '15.18',
};

describe('connection strings', () => {
  it('sorts keys and leaves plain values bare', () => {
    expect(connectionString({ user: 'u', dbname: 'd', port: 5432 })).toBe('dbname=d port=5432 user=u');
  });

  it('escapes quotes and backslashes, and quotes empty values and values with whitespace (libpq rules)', () => {
    expect(connectionValue('password', "it's")).toBe("it\\'s");
    expect(connectionValue('password', 'a\\b')).toBe('a\\\\b');
    expect(connectionValue('dbname', 'a b')).toBe("'a b'");
    expect(connectionValue('dbname', "a 'b'")).toBe("'a \\'b\\''");
    expect(connectionValue('dbname', '')).toBe("''");
    expect(connectionValue('dbname', 'a\tb')).toBe("'a\tb'");
  });

  it('round-trips through the client-side parser', () => {
    const values = { dbname: "we'ird name", host: 'h', password: 'back\\slash', user: "'" };
    expect(parseConnectionString(connectionString(values))).toEqual(values);
  });

  it('refuses line breaks, which would split `standbys`', () => {
    expect(() => connectionValue('dbname', 'a\nb')).toThrow(InvalidConnectionValueError);
    expect(() => connectionValue('dbname', 'a\rb')).toThrow(InvalidConnectionValueError);
  });
});

describe('allowed subnets and units', () => {
  it('is the sorted union of the remote units\' egress subnets, trimmed, missing ones skipped', () => {
    expect(allowedSubnets({ 'c/0': '10.0.0.2/32, 10.0.0.1/32', 'c/1': '10.0.0.1/32', 'c/2': undefined, 'c/3': '' })).toBe('10.0.0.1/32,10.0.0.2/32');
    expect(allowedSubnets({})).toBe('');
  });

  it('lists remote units in plain string order', () => {
    expect(allowedUnits({ 'c/10': '', 'c/2': '', 'c/1': '' })).toBe('c/1,c/10,c/2');
  });
});

describe('legacyDatabag', () => {
  it('is the whole bag, key for key, for an ops-lib-pgsql client asking for pg_trgm:public,unaccent:public', () => {
    expect(legacyDatabag(INPUT)).toEqual({
      'allowed-subnets': '10.1.2.3/32,10.1.2.4/32',
      'allowed-units': 'pgtest/0,pgtest/1',
      host: 'pg-1.pg-endpoints.dev.svc.cluster.local',
      master:
        'dbname=db_with_extensions fallback_application_name=pgtest host=pg-primary.dev.svc.cluster.local password=Abc123Def456Ghi7 port=5432 user=relation_id_7',
      standbys:
        'dbname=db_with_extensions fallback_application_name=pgtest host=pg-replicas.dev.svc.cluster.local password=Abc123Def456Ghi7 port=5432 user=relation_id_7',
      port: '5432',
      user: 'relation_id_7',
      password: 'Abc123Def456Ghi7',
      database: 'db_with_extensions',
      extensions: 'pg_trgm:public,unaccent:public',
      version: '15.18',
    });
  });

  it('leaves fallback_application_name out when the client application is not known', () => {
    expect(legacyDatabag({ ...INPUT, remoteApp: '' }).master).toBe(
      'dbname=db_with_extensions host=pg-primary.dev.svc.cluster.local password=Abc123Def456Ghi7 port=5432 user=relation_id_7',
    );
  });

  it('leaves version out when it could not be read, and writes "" (absent) for no extensions', () => {
    const bag = legacyDatabag({ ...INPUT, version: undefined, extensions: [] });
    expect(bag).not.toHaveProperty('version');
    expect(bag.extensions).toBe('');
  });

  it('satisfies ops-lib-pgsql\'s readiness rule for every client unit, in the app bag and in each unit bag', () => {
    // What ops-lib-pgsql wrote: extensions sorted and comma-joined, no roles.
    const requested = { database: 'db_with_extensions', extensions: 'pg_trgm:public,unaccent:public' };
    const appBag = legacyDatabag({ ...INPUT, unitName: 'pg/0' });
    const unitBags = { 'pg/0': legacyDatabag({ ...INPUT, unitName: 'pg/0' }), 'pg/1': legacyDatabag(INPUT) };
    for (const subnet of Object.values(INPUT.remoteUnits)) {
      const clientUnit = { 'egress-subnets': subnet! };
      expect(clientIsReady(requested, clientUnit, appBag)).toBe(true);
      for (const bag of Object.values(unitBags)) expect(clientIsReady(requested, clientUnit, bag)).toBe(true);
      const master = clientMaster(requested, clientUnit, { pg: appBag, ...unitBags });
      expect(parseConnectionString(master!)).toEqual({
        dbname: 'db_with_extensions',
        fallback_application_name: 'pgtest',
        host: 'pg-primary.dev.svc.cluster.local',
        password: 'Abc123Def456Ghi7',
        port: '5432',
        user: 'relation_id_7',
      });
      expect(clientStandbys(requested, clientUnit, { pg: appBag, ...unitBags }).map((s) => parseConnectionString(s).host)).toEqual([
        'pg-replicas.dev.svc.cluster.local',
      ]);
    }
  });

  it('is not ready for a client unit whose subnet is not listed yet, until the bag is recomputed with it', () => {
    const requested = { database: 'db_with_extensions', extensions: 'pg_trgm:public,unaccent:public' };
    const newUnit = { 'egress-subnets': '10.1.2.9/32' };
    expect(clientIsReady(requested, newUnit, legacyDatabag(INPUT))).toBe(false);
    const scaled = legacyDatabag({ ...INPUT, remoteUnits: { ...INPUT.remoteUnits, 'pgtest/2': '10.1.2.9/32' } });
    expect(clientIsReady(requested, newUnit, scaled)).toBe(true);
    expect(scaled['allowed-units']).toBe('pgtest/0,pgtest/1,pgtest/2');
  });

  it('would not be ready for a client that asked for roles (we never echo them)', () => {
    const requested = { database: 'db_with_extensions', extensions: 'pg_trgm:public,unaccent:public', roles: 'admin' };
    expect(clientIsReady(requested, { 'egress-subnets': '10.1.2.3/32' }, legacyDatabag(INPUT))).toBe(false);
  });
});

describe('databagChanges', () => {
  it('writes only what differs, deletes with "", and leaves keys it does not own alone', () => {
    const desired = legacyDatabag(INPUT);
    const current = { ...desired, 'allowed-units': 'pgtest/0,pgtest/1,pgtest/2', 'egress-subnets': '10.9.9.9/32', extensions: '' };
    expect(databagChanges(current, desired)).toEqual({
      'allowed-units': 'pgtest/0,pgtest/1',
      extensions: 'pg_trgm:public,unaccent:public',
    });
    expect(databagChanges(desired, desired)).toEqual({});
    expect(databagChanges(desired, { ...desired, extensions: '' })).toEqual({ extensions: '' });
  });
});
