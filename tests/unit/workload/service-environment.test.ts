import { describe, expect, it } from 'vitest';
import { conninfoValue, InvalidLdapSettingError, ldapHostAndPort, metricsDataSourceName } from '../../../src/workload/index.ts';
import { thrown } from './thrown.ts';

describe('service environments', () => {
  it('writes the exporter DSN the reference writes for a plain password', () => {
    expect(metricsDataSourceName('abcDEF123')).toBe(
      'user=monitoring password=abcDEF123 host=/var/run/postgresql port=5432 database=postgres',
    );
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
