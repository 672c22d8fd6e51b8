/**
 * Extensions (contrib) with their dependencies, the config checks that need the server,
 * parameter/restart/version reads, and TLS switched on with a key and certificate made by
 * lib/postgresql_tls — all against a real PostgreSQL 15.
 */
import { webcrypto } from 'node:crypto';
import { appendFile, chmod, chown, stat, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PostgreSQL,
  PostgreSQLDependentObjectsStillExistError,
  PostgreSQLEnableDisableExtensionError,
  extensionsFromConfig,
} from '../../../lib/postgresql/index.ts';
import { generatePrivateKey, tlsFiles, webCryptoKeyPair } from '../../../lib/postgresql_tls/index.ts';
import * as x509 from '../../../lib/postgresql_tls/x509.ts';
import { asSuperuser, startPostgres, type PostgresInstance } from '../../support/postgres-instance.ts';
import { errorCode } from '../../../lib/errors.ts';

let instance: PostgresInstance;
let postgresql: PostgreSQL;

async function installed(database: string): Promise<string[]> {
  return asSuperuser(
    instance,
    async (c) => (await c.query<{ extname: string }>("SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1")).rows.map((r) => r.extname),
    database,
  );
}

beforeAll(async () => {
  instance = await startPostgres({ settings: { max_connections: '40' } });
  await asSuperuser(instance, async (c) => {
    await c.query("CREATE ROLE operator WITH LOGIN SUPERUSER PASSWORD 'op-pw'");
    await c.query('CREATE DATABASE second');
    await c.query('CREATE ROLE developers NOLOGIN');
  });
  postgresql = new PostgreSQL({
    primaryHost: instance.host,
    currentHost: instance.host,
    port: instance.port,
    user: 'operator',
    password: 'op-pw',
    database: 'postgres',
  });
});

afterAll(async () => {
  await instance?.stop();
});

describe('extensions', () => {
  it('enables the configured extensions in every database and drops the disabled ones', async () => {
    const config = {
      plugin_btree_gist_enable: true,
      plugin_citext_enable: true,
      plugin_pg_trgm_enable: true,
      plugin_uuid_ossp_enable: true,
      plugin_hstore_enable: false,
    };
    await postgresql.enableDisableExtensions(extensionsFromConfig(config));
    const expected = ['btree_gist', 'citext', 'pg_trgm', 'uuid-ossp'];
    expect(await installed('postgres')).toEqual(expected);
    expect(await installed('second')).toEqual(expected);

    await postgresql.enableDisableExtensions(extensionsFromConfig({ ...config, plugin_pg_trgm_enable: false }));
    expect(await installed('postgres')).toEqual(['btree_gist', 'citext', 'uuid-ossp']);
    expect(await installed('second')).toEqual(['btree_gist', 'citext', 'uuid-ossp']);
  });

  it('limits the change to one database when asked', async () => {
    await postgresql.enableDisableExtensions({ hstore: true }, { database: 'second' });
    expect(await installed('second')).toContain('hstore');
    expect(await installed('postgres')).not.toContain('hstore');
  });

  it('an extension whose required extension is off fails typed (earthdistance needs cube)', async () => {
    const error = await postgresql
      .enableDisableExtensions({ cube: false, earthdistance: true }, { database: 'second' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PostgreSQLEnableDisableExtensionError);
    expect(errorCode((error as Error).cause)).toBe('42704'); // required extension missing
  });

  it('enables cube before earthdistance, and refuses to drop cube while something uses it', async () => {
    await postgresql.enableDisableExtensions({ cube: true, earthdistance: true }, { database: 'second' });
    expect(await installed('second')).toEqual(expect.arrayContaining(['cube', 'earthdistance']));

    await asSuperuser(instance, (c) => c.query('CREATE TABLE places (location cube)'), 'second');
    const error = await postgresql
      .enableDisableExtensions({ cube: false, earthdistance: false }, { database: 'second' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PostgreSQLDependentObjectsStillExistError);
    expect((error as PostgreSQLDependentObjectsStillExistError).code).toBe('postgresql-dependent-objects-still-exist');
    expect(await installed('second')).toContain('cube');

    // Once nothing uses it, both go — earthdistance first, as it depends on cube.
    await asSuperuser(instance, (c) => c.query('DROP TABLE places'), 'second');
    await postgresql.enableDisableExtensions({ cube: false, earthdistance: false }, { database: 'second' });
    expect(await installed('second')).not.toEqual(expect.arrayContaining(['cube']));
    expect(await installed('second')).not.toContain('earthdistance');
  });

  it('without pgAudit loaded, keeping it off is fine and turning it on fails typed', async () => {
    await expect(postgresql.enableDisableExtensions({ pgaudit: false, citext: true })).resolves.toBeUndefined();
    await expect(postgresql.enableDisableExtensions({ pgaudit: true })).rejects.toBeInstanceOf(
      PostgreSQLEnableDisableExtensionError,
    );
  });
});

describe('config checks that need the database', () => {
  const valid = {
    instance_default_text_search_config: 'pg_catalog.simple',
    ldap_map: 'ldap_devs=developers',
    request_date_style: 'ISO, MDY',
    request_time_zone: 'UTC',
    storage_default_table_access_method: 'heap',
  };

  it('reads the catalogs the checks use', async () => {
    expect(await postgresql.getTextSearchConfigs()).toEqual(expect.arrayContaining(['pg_catalog.simple', 'pg_catalog.english']));
    expect(await postgresql.getTimezones()).toEqual(expect.arrayContaining(['UTC', 'Europe/London']));
    expect(await postgresql.getDefaultTableAccessMethods()).toEqual(['heap']);
  });

  it('accepts the defaults and valid values', async () => {
    expect(await postgresql.checkConfigAgainstDatabase(valid)).toEqual([]);
    expect(await postgresql.checkConfigAgainstDatabase({ ...valid, request_date_style: 'SQL, DMY' })).toEqual([]);
    expect(await postgresql.checkConfigAgainstDatabase({})).toEqual([]);
  });

  it('reports every invalid option with the reference message, in order', async () => {
    expect(
      await postgresql.checkConfigAgainstDatabase({
        instance_default_text_search_config: 'pg_catalog.klingon',
        ldap_map: 'ldap_devs=no_such_group',
        request_date_style: 'Bogus',
        request_time_zone: 'Mars/Olympus_Mons',
        storage_default_table_access_method: 'columnar',
      }),
    ).toEqual([
      'instance_default_text_search_config config option has an invalid value',
      'ldap_map config option has an invalid value',
      'request_date_style config option has an invalid value',
      'request_time_zone config option has an invalid value',
      'storage_default_table_access_method config option has an invalid value',
    ]);
  });

  it('validateDateStyle treats hostile input as a value, not SQL', async () => {
    expect(await postgresql.validateDateStyle('ISO"; CREATE TABLE pwned (); --')).toBe(false);
    expect(await postgresql.validateDateStyle("ISO'); CREATE TABLE pwned (); --")).toBe(false);
    expect(await asSuperuser(instance, async (c) => (await c.query("SELECT to_regclass('pwned') AS t")).rows[0]?.t)).toBeNull();
  });

  it('validateGroupMap: parse errors and unknown groups fail; forbidden targets are dropped', async () => {
    expect(await postgresql.validateGroupMap(undefined)).toBe(true);
    expect(await postgresql.validateGroupMap('a=developers')).toBe(true);
    expect(await postgresql.validateGroupMap('a=admin')).toBe(true);
    expect(await postgresql.validateGroupMap('a=developers,b=nobody')).toBe(false);
    expect(await postgresql.validateGroupMap('not-a-pair')).toBe(false);
  });
});

describe('parameters and server state', () => {
  it('reads parameters as SHOW prints them and as pg_settings rows', async () => {
    expect(await postgresql.showParameter('max_connections')).toBe('40');
    expect(await postgresql.showParameter('DateStyle')).toBe('ISO, MDY');
    const settings = await postgresql.getSettings(['shared_buffers', 'max_connections', 'no_such_thing']);
    expect([...settings.keys()].sort()).toEqual(['max_connections', 'shared_buffers']);
    expect(settings.get('shared_buffers')).toMatchObject({ setting: '2048', unit: '8kB', pendingRestart: false });
  });

  it('sees a pending restart after a restart-only parameter changes', async () => {
    expect(await postgresql.isRestartPending()).toBe(false);
    await asSuperuser(instance, async (c) => {
      await c.query("ALTER SYSTEM SET max_prepared_transactions = '5'");
      await c.query('SELECT pg_reload_conf()');
    });
    await expect.poll(() => postgresql.isRestartPending(), { timeout: 5_000 }).toBe(true);
    // (PostgreSQL 15 keeps the flag until a restart even if the change is reverted.)
  });

  it('reads version, timeline and archiver state', async () => {
    expect(await postgresql.getPostgreSQLVersion()).toMatch(/^15\.\d+$/);
    expect(await postgresql.getCurrentTimeline()).toBe(1);
    expect(await postgresql.getLastArchivedWal()).toBeNull();
  });

  it('finds users named in pg_hba rules', async () => {
    expect(await postgresql.isUserInHba('relation_id_9')).toBe(false);
    const hba = `${instance.dataDir}/pg_hba.conf`;
    await appendFile(hba, 'host all relation_id_9 127.0.0.1/32 scram-sha-256\n');
    expect(await postgresql.isUserInHba('relation_id_9')).toBe(true);
  });

  it('reports TLS on once the server uses a key and certificate made by lib/postgresql_tls', async () => {
    expect(await postgresql.isTlsEnabled()).toBe(false);
    const key = generatePrivateKey();
    const { keys, signParams } = await webCryptoKeyPair(key);
    const certificate = await x509.X509CertificateGenerator.createSelfSigned(
      { serialNumber: '02', name: 'CN=127.0.0.1', notAfter: new Date(Date.now() + 86_400_000), keys, signingAlgorithm: signParams },
      webcrypto,
    );
    const pem = certificate.toString('pem');
    const files = tlsFiles({ key, ca: pem, cert: pem }, instance.dataDir) ?? [];
    const { uid, gid } = await stat(instance.dataDir);
    for (const file of files) {
      await writeFile(file.path, file.content);
      await chown(file.path, uid, gid);
      await chmod(file.path, file.mode);
    }
    await asSuperuser(instance, async (c) => {
      await c.query(`ALTER SYSTEM SET ssl_cert_file = '${instance.dataDir}/cert.pem'`);
      await c.query(`ALTER SYSTEM SET ssl_key_file = '${instance.dataDir}/key.pem'`);
      await c.query("ALTER SYSTEM SET ssl = 'on'");
      await c.query('SELECT pg_reload_conf()');
    });
    await expect.poll(() => postgresql.isTlsEnabled(), { timeout: 5_000 }).toBe(true);

    const overTls = new PostgreSQL({ ...postgresql.connector.settings, ssl: { ca: pem, checkServerIdentity: () => undefined } });
    expect(await overTls.run(async (c) => (await c.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows[0]?.ssl)).toBe(true);
  });
});
