import { describe, expect, it } from 'vitest';
import {
  conninfoValue,
  InvalidLdapSettingError,
  ldapHostAndPort,
  metricsExporterEnvironment,
  monitoringPgpassContent,
  workloadPaths,
} from '../../../src/workload/index.ts';
import { thrown } from './thrown.ts';

describe('service environments', () => {
  it('gives the exporter a connection string without a password, and its pgpass file', () => {
    expect(metricsExporterEnvironment()).toEqual({
      DATA_SOURCE_NAME: 'postgresql://monitoring@/postgres?host=%2Fvar%2Frun%2Fpostgresql&port=5432&sslmode=disable',
      PGPASSFILE: '/var/lib/postgresql/data/monitoring.pgpass',
    });
    expect(metricsExporterEnvironment(workloadPaths('/srv/pg', { socketDir: '/srv/pg sock' }), 5502)).toEqual({
      DATA_SOURCE_NAME: 'postgresql://monitoring@/postgres?host=%2Fsrv%2Fpg%20sock&port=5502&sslmode=disable',
      PGPASSFILE: '/srv/pg/monitoring.pgpass',
    });
  });

  it('escapes colon and backslash in the pgpass line, and nothing else', () => {
    expect(monitoringPgpassContent("p w'x\\y:z")).toBe("*:*:*:monitoring:p w'x\\\\y\\:z\n");
    expect(monitoringPgpassContent(' padded ')).toBe('*:*:*:monitoring: padded \n');
  });

  it('quotes libpq values only when they need it', () => {
    expect(conninfoValue('plain')).toBe('plain');
    expect(conninfoValue('')).toBe("''");
    expect(conninfoValue('two words')).toBe("'two words'");
    expect(conninfoValue("o'k\\")).toBe("'o\\'k\\\\'");
  });

  it('takes host and port from an LDAP URL, with the scheme default port', () => {
    expect(ldapHostAndPort('ldap://glauth:3893')).toEqual({ host: 'glauth', port: 3893 });
    expect(ldapHostAndPort('ldap://glauth')).toEqual({ host: 'glauth', port: 389 });
    expect(ldapHostAndPort('ldaps://[fd00::1]')).toEqual({ host: 'fd00::1', port: 636 });
    for (const bad of ['glauth:389', 'http://glauth', 'ldap://']) {
      const error = thrown(() => ldapHostAndPort(bad));
      expect(error, bad).toBeInstanceOf(InvalidLdapSettingError);
      expect(error.code).toBe('invalid-ldap-setting');
    }
  });
});
