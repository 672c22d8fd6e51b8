import { describe, expect, it } from 'vitest';
import { DEFAULT_CONNECT_TIMEOUT_MS, PostgreSQLConnector } from '../../../lib/postgresql/connection.ts';
import { ident, identList, literal } from '../../../lib/postgresql/sql.ts';

describe('PostgreSQLConnector.optionsFor', () => {
  const connector = new PostgreSQLConnector({
    primaryHost: 'pg-primary.ns.svc.cluster.local',
    currentHost: 'pg-1.pg-endpoints',
    port: 5433,
    user: 'operator',
    password: 'pw',
    database: 'postgres',
  });

  it('targets the primary and the configured database by default', () => {
    expect(connector.optionsFor()).toMatchObject({
      host: 'pg-primary.ns.svc.cluster.local',
      port: 5433,
      user: 'operator',
      password: 'pw',
      database: 'postgres',
    });
    expect(connector.user).toBe('operator');
  });

  it('targets the unit itself, another database, or an explicit host when asked', () => {
    expect(connector.optionsFor({ currentHost: true, database: 'app' })).toMatchObject({
      host: 'pg-1.pg-endpoints',
      database: 'app',
    });
    expect(connector.optionsFor({ currentHost: true, host: '10.0.0.9' }).host).toBe('10.0.0.9');
  });

  it('keeps a copy of its settings (later changes to the input do not leak in)', () => {
    const settings = { primaryHost: 'a', currentHost: 'b', user: 'u', database: 'd' };
    const c = new PostgreSQLConnector(settings);
    settings.primaryHost = 'changed';
    expect(c.optionsFor().host).toBe('a');
  });

  it('mirrors libpq’s effective 2 s connect timeout', () => {
    expect(DEFAULT_CONNECT_TIMEOUT_MS).toBe(2000);
  });
});

describe('quoting', () => {
  it('quotes identifiers and literals with PostgreSQL’s rules', () => {
    expect(ident('uuid-ossp')).toBe('"uuid-ossp"');
    expect(ident('we"ird')).toBe('"we""ird"');
    expect(identList(['a', 'B'])).toBe('"a", "B"');
    expect(literal("it's")).toBe("'it''s'");
    expect(literal('back\\slash')).toBe(" E'back\\\\slash'");
  });
});
