import { describe, expect, it } from 'vitest';
import * as names from '../../../../sandbox/charms/pgbouncer/src/names.ts';
import { backendNeedsHbaSync, installAuthFunctionStatements, uninstallAuthFunctionStatements } from '../../../../sandbox/charms/pgbouncer/src/sql.ts';
import { parseUserlist, renderUserlist } from '../../../../sandbox/charms/pgbouncer/src/userlist.ts';

describe('pgbouncer names', () => {
  it('derives the auth, stats and admin users as pgbouncer-k8s does (- becomes _)', () => {
    expect(names.authUserName('relation_id_7')).toBe('pgbouncer_auth_relation_id_7');
    expect(names.statsUserName('pgbouncer-k8s')).toBe('pgbouncer_stats_pgbouncer_k8s');
    expect(names.adminUserName('pgbouncer-k8s')).toBe('pgbouncer_admin_pgbouncer_k8s');
    expect(names.authQuery('pgbouncer_auth_relation_id_7')).toBe('SELECT username, password FROM pgbouncer_auth_relation_id_7.get_auth($1)');
    expect(names.clientRelationUser(12)).toBe('relation_id_12');
  });

  it('serves <db>_readonly only while the name stays under 64 characters', () => {
    expect(names.readOnlyDatabaseName('app')).toBe('app_readonly');
    expect(names.readOnlyDatabaseName('x'.repeat(54))).toBe(`${'x'.repeat(54)}_readonly`);
    expect(names.readOnlyDatabaseName('x'.repeat(55))).toBeUndefined();
  });

  it('publishes its ClusterIP Service on the listen port', () => {
    expect(names.serviceEndpoint('pgbouncer-k8s', 'dev', 6432)).toBe('pgbouncer-k8s-service.dev.svc.cluster.local:6432');
  });
});

describe('pgbouncer SQL', () => {
  it('installs get_auth in the auth user schema, executable by the auth user only', () => {
    const statements = installAuthFunctionStatements('pgbouncer_auth_relation_id_7');
    const u = '"pgbouncer_auth_relation_id_7"';
    expect(statements[0]).toBe('RESET ROLE');
    expect(statements).toContain(`REVOKE ALL PRIVILEGES ON SCHEMA public FROM ${u}`);
    expect(statements).toContain(`CREATE SCHEMA IF NOT EXISTS ${u}`);
    expect(statements).toContain(`GRANT USAGE ON SCHEMA ${u} TO ${u}`);
    const fn = statements.find((s) => s.startsWith('CREATE OR REPLACE FUNCTION')) ?? '';
    expect(fn).toContain(`${u}.get_auth(username TEXT)`);
    expect(fn).toContain("pg_authid.rolname <> 'pgbouncer_auth_relation_id_7'");
    expect(fn).toContain('NOT pg_authid.rolreplication');
    expect(fn).toContain('SECURITY DEFINER');
    expect(statements.slice(-2)).toEqual([
      `REVOKE ALL ON FUNCTION ${u}.get_auth(username TEXT) FROM PUBLIC, ${u}`,
      `GRANT EXECUTE ON FUNCTION ${u}.get_auth(username TEXT) TO ${u}`,
    ]);
  });

  it('uninstalls the function, the schema and what the auth user owns', () => {
    expect(uninstallAuthFunctionStatements('pgbouncer_auth_relation_id_7')).toEqual([
      'RESET ROLE',
      'DROP FUNCTION IF EXISTS "pgbouncer_auth_relation_id_7".get_auth(username TEXT)',
      'DROP SCHEMA IF EXISTS "pgbouncer_auth_relation_id_7" CASCADE',
      'DROP OWNED BY "pgbouncer_auth_relation_id_7" CASCADE',
    ]);
  });

  it("quotes a hostile name instead of splicing it", () => {
    const statements = installAuthFunctionStatements('x"; DROP TABLE t; --');
    expect(statements).toContain('CREATE SCHEMA IF NOT EXISTS "x""; DROP TABLE t; --"');
  });

  it('waits for pg_hba from 14.16 on, comparing versions as strings as pgbouncer-k8s does', () => {
    expect(backendNeedsHbaSync('14.15')).toBe(false);
    expect(backendNeedsHbaSync('14.16')).toBe(true);
    expect(backendNeedsHbaSync('15.14')).toBe(true);
    expect(backendNeedsHbaSync('14.9')).toBe(true); // "14.9" > "14.16" as strings
    expect(backendNeedsHbaSync('')).toBe(true);
  });
});

describe('userlist.txt', () => {
  it('writes one quoted pair per line and reads it back', () => {
    const entries = [
      { user: 'pgbouncer_auth_relation_id_7', hash: 'md5abc' },
      { user: 'pgbouncer_stats_pgb', hash: 'SCRAM-SHA-256$4096:s$a:b' },
      { user: 'we"ird', hash: 'h' },
    ];
    const text = renderUserlist(entries);
    expect(text).toBe('"pgbouncer_auth_relation_id_7" "md5abc"\n"pgbouncer_stats_pgb" "SCRAM-SHA-256$4096:s$a:b"\n"we""ird" "h"');
    expect(parseUserlist(text)).toEqual(entries);
  });
});
