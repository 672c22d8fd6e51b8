import https from 'node:https';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateMatchesKey, generatePrivateKey } from '../../../lib/postgresql_tls/index.ts';
import { ContinuousWrites } from '../../support/continuous-writes.ts';
import { APP, allActive, isCaughtUpReplica, isClean, PATRONI_PORT, PG_PORT, SandboxFixture } from '../../support/sandbox-fixture.ts';
import { latestContent, readModel, relationOf, secretsLabelled } from '../relations/helpers.ts';

// One 2-unit deployment of the real charm, the sandbox's TLS provider and a test client,
// scenario after scenario: relate → every connection from the network is TLS, verifiable with the
// `tls-ca` the client was given; replication runs over TLS; Patroni's API answers only https; a
// client writes over verify-full TLS while receive-ca-cert comes and goes (the CA in each pod's
// trust store, then gone) and the first certificates are renewed (3-minute certificates, renewed
// at two thirds of their life: no write lost, no primary change); a switchover and a failover
// (frozen primary) under writes; set-tls-private-key; a provider's bad answer; remove the
// relation → plain connections work again.

const MIN = 60_000;
const TLS_APP = 'tls';
const CLIENT = 'client';
let sbx: SandboxFixture;
let model = '';
/** The writer running from the first certificates to their renewal (stopped here if a test fails first). */
let renewalWrites: ContinuousWrites | undefined;

beforeAll(async () => {
  sbx = await SandboxFixture.create('tls');
}, MIN);

afterAll(async () => {
  await renewalWrites?.stop().catch(() => undefined);
  const leftovers = await sbx?.teardown();
  expect(leftovers === null || isClean(leftovers), JSON.stringify(leftovers)).toBe(true);
}, 5 * MIN);

const UNITS = [`${APP}/0`, `${APP}/1`];
const primaryService = () => `${APP}-primary.${model}.svc.cluster.local`;

/** Each of our units' peer-bag `tls` flag (what the charm's Patroni client follows). */
async function tlsFlags(): Promise<Record<string, string | undefined>> {
  const doc = await readModel(sbx);
  const peers = doc.relations.find((r) => r.interface === 'postgresql_peers');
  return Object.fromEntries(UNITS.map((unit) => [unit, peers?.unitData[unit]?.['tls']]));
}

/** A unit's stored certificate (its unit secret `cert`). */
async function storedCertificate(unit: string): Promise<string | undefined> {
  const doc = await readModel(sbx);
  const secret = secretsLabelled(doc, new RegExp(`^database-peers\\.${APP}\\.unit$`)).find((s) => s.owner.name === unit);
  return secret === undefined ? undefined : latestContent(secret)['cert'];
}

async function credentials(): Promise<Record<string, string>> {
  return (await sbx.runOk(`${CLIENT}/0`, 'get-credentials', { 'show-password': true })) as Record<string, string>;
}

/** A query over TLS, verifying the server's certificate against `ca` and its name against `servername`. */
async function tlsQuery(host: string, options: { user: string; password: string; database: string; ca: string; servername?: string }, query: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({
    host,
    port: PG_PORT,
    user: options.user,
    password: options.password,
    database: options.database,
    connectionTimeoutMillis: 5_000,
    query_timeout: 10_000,
    ssl: { ca: options.ca, ...(options.servername === undefined ? {} : { servername: options.servername }) },
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.query(query)).rows as Record<string, unknown>[];
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The error of a connection without TLS, or undefined when it works. */
async function plainConnectError(host: string, user: string, password: string, database: string): Promise<string | undefined> {
  const client = new pg.Client({ host, port: PG_PORT, user, password, database, connectionTimeoutMillis: 5_000, ssl: false });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Patroni's `GET /cluster` over https from one address, verified against `ca`. */
function patroniClusterTls(address: string, ca: string): Promise<{ name: string; role: string; state: string }[]> {
  return new Promise((resolve, reject) => {
    const req = https.get(`https://${address}:${PATRONI_PORT}/cluster`, { timeout: 3_000, agent: false, ca }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        try {
          resolve((JSON.parse(body) as { members?: { name: string; role: string; state: string }[] }).members ?? []);
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** What a pod's trust store holds for a CA received from `app`: the file's text and whether update-ca-certificates linked it. */
async function trustedCa(unit: string, app: string): Promise<{ file: string; linked: boolean }> {
  const result = await sbx.ssh(unit, ['sh', '-c', `cat /usr/local/share/ca-certificates/ca-${app}.crt 2>/dev/null; echo; if [ -e /etc/ssl/certs/ca-${app}.pem ]; then echo LINKED; fi`]);
  const out = result.stdout;
  return { file: out.replace(/\n?LINKED\n?$/, '').trim(), linked: /LINKED\s*$/.test(out) };
}

const pemBlocks = (text: string): string[] => text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];

/** GET on Patroni's API: status code, or the error. */
function patroniGet(url: string, ca?: string): Promise<number | string> {
  return new Promise((resolve) => {
    const get = url.startsWith('https:') ? https.get : http.get;
    const req = get(url, { timeout: 5_000, agent: false, ...(ca === undefined ? {} : { ca }) }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => resolve(String(error)));
  });
}

describe('TLS through the certificates relation', () => {
  let ca = '';
  let creds: Record<string, string> = {};
  let operatorPassword = '';
  let firstCertificates: Record<string, string | undefined> = {};
  let primaryBeforeRenewal = '';

  it(
    'deploys two units, the TLS provider and a related client; relating certificates turns TLS on on every unit',
    async () => {
      await sbx.deploy(2);
      model = (await sbx.status()).model.name;
      await sbx.cliOk(['deploy', 'tls-provider', TLS_APP, '--config', 'certificate-validity=3m', '--timeout', '5m'], 6 * MIN);
      await sbx.cliOk(['deploy', 'test-client', CLIENT, '--timeout', '5m'], 6 * MIN);
      await sbx.cliOk(['relate', `${CLIENT}:database`, `${APP}:database`, '--timeout', '5m'], 6 * MIN);
      expect((await credentials())['tls']).toBe('False');
      await sbx.cliOk(['relate', `${APP}:certificates`, `${TLS_APP}:certificates`, '--timeout', '5m'], 6 * MIN);
      await sbx.until(tlsFlags, (flags) => UNITS.every((unit) => flags[unit] === 'enabled'), 'every unit with tls enabled', 2 * MIN);
      await sbx.waitForActive(2, 2 * MIN);
      const relation = await relationOf(sbx, TLS_APP, 'certificates');
      const requests = UNITS.map((unit) => JSON.parse(relation?.unitData[unit]?.['certificate_signing_requests'] ?? '[]') as unknown[]);
      expect(requests.map((r) => r.length)).toEqual([1, 1]);
      operatorPassword = await sbx.operatorPassword();
    },
    8 * MIN,
  );

  it(
    'gives the client tls True and a CA with which it connects verify-full, while a connection without TLS is refused',
    async () => {
      creds = await sbx.until(credentials, (c) => c['tls'] === 'True' && (c['tls-ca'] ?? '').includes('BEGIN CERTIFICATE'), 'tls and tls-ca for the client', MIN);
      ca = creds['tls-ca']!;
      const primary = await sbx.primary();
      const host = await sbx.unitAddress(primary);
      const login = { user: creds['username']!, password: creds['password']!, database: creds['database']!, ca };
      // verify-full: the chain verifies against tls-ca and the name is the primary Service's.
      const rows = await tlsQuery(host, { ...login, servername: primaryService() }, 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      expect(rows).toEqual([{ ssl: true }]);
      // A name the certificate does not carry is refused by the client.
      await expect(tlsQuery(host, { ...login, servername: 'not-this-server.example' }, 'SELECT 1')).rejects.toThrow(/altnames|Hostname/i);
      expect(await plainConnectError(host, login.user, login.password, login.database)).toMatch(/no pg_hba\.conf entry .*no encryption/);
    },
    2 * MIN,
  );

  it(
    'a client writes over verify-full TLS from the first certificates on; the provider will answer the renewal with a long-lived one',
    async () => {
      firstCertificates = Object.fromEntries(await Promise.all(UNITS.map(async (unit) => [unit, await storedCertificate(unit)] as const)));
      expect(Object.values(firstCertificates).every((cert) => cert !== undefined)).toBe(true);
      primaryBeforeRenewal = await sbx.primary();
      // Only the certificates issued so far are short-lived: no renewal after the first one.
      await sbx.cliOk(['config', TLS_APP, 'certificate-validity=1h'], 3 * MIN);
      const hosts = await Promise.all(UNITS.map((unit) => sbx.unitAddress(unit)));
      renewalWrites = new ContinuousWrites({ hosts: () => hosts, user: 'operator', password: operatorPassword, ssl: { ca }, intervalMs: 50, table: 'cw_renewal' });
      await renewalWrites.start();
      await renewalWrites.waitForWrites(20, MIN);
    },
    4 * MIN,
  );

  it(
    'replicates over TLS, and Patroni answers only over https',
    async () => {
      const primary = await sbx.primary();
      const host = await sbx.unitAddress(primary);
      const operator = { user: 'operator', password: operatorPassword, database: 'postgres', ca };
      // The replica's walreceiver reconnects (verify-ca) once its patroni.yml has TLS: wait for it.
      const replication = await sbx.until(
        () => tlsQuery(host, operator, 'SELECT r.application_name, s.ssl FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid)'),
        (rows) => rows.length === 1 && rows[0]!['ssl'] === true,
        'one replication connection, over TLS',
        MIN,
      );
      expect(replication.map((r) => r['ssl'])).toEqual([true]);
      for (const unit of UNITS) {
        const address = await sbx.unitAddress(unit);
        expect(await patroniGet(`https://${address}:${PATRONI_PORT}/health`, ca)).toBe(200);
        expect(await patroniGet(`http://${address}:${PATRONI_PORT}/health`)).not.toBe(200);
      }
    },
    2 * MIN,
  );

  it(
    "receive-ca-cert: the CA offered over certificate_transfer lands in every pod's trust store, and leaves with the relation",
    async () => {
      const providerCa = pemBlocks(ca).at(-1)!;
      await sbx.cliOk(['relate', `${APP}:receive-ca-cert`, `${TLS_APP}:send-ca-cert`, '--timeout', '5m'], 6 * MIN);
      await Promise.all(
        UNITS.map((unit) => sbx.until(() => trustedCa(unit, TLS_APP), (t) => t.file === providerCa && t.linked, `${unit}: ca-${TLS_APP}.crt in the trust store`, 2 * MIN, 1_000)),
      );
      await sbx.cliOk(['remove-relation', `${APP}:receive-ca-cert`, `${TLS_APP}:send-ca-cert`, '--timeout', '5m'], 6 * MIN);
      await Promise.all(
        UNITS.map((unit) => sbx.until(() => trustedCa(unit, TLS_APP), (t) => t.file === '' && !t.linked, `${unit}: ca-${TLS_APP}.crt gone from the trust store`, 2 * MIN, 1_000)),
      );
    },
    5 * MIN,
  );

  it(
    'renews every certificate while the client writes over TLS: nothing lost, no primary change',
    async () => {
      const writes = renewalWrites!;
      // 3-minute certificates (a minute back-dated) are renewed 80 s before they expire: Juju's
      // secret-expired within the minute before that.
      await sbx.until(
        () => Promise.all(UNITS.map((unit) => storedCertificate(unit))),
        (now) => now.every((cert, i) => cert !== undefined && cert !== firstCertificates[UNITS[i]!]),
        'a new certificate on every unit',
        4 * MIN,
        2_000,
      );
      // The renewed certificate is what the servers present: new connections verify and work.
      await sleep(3_000);
      await writes.waitForWrites(20, MIN);
      const report = await writes.stop();
      renewalWrites = undefined;
      const result = await writes.verify(await sbx.unitAddress(primaryBeforeRenewal));
      expect(result.missing).toEqual([]);
      expect(result.duplicated).toEqual([]);
      expect(report.primaries).toHaveLength(1);
      expect(await sbx.primary()).toBe(primaryBeforeRenewal);
      for (const unit of UNITS) {
        const rows = await tlsQuery(await sbx.unitAddress(unit), { user: 'operator', password: operatorPassword, database: 'postgres', ca }, 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
        expect(rows).toEqual([{ ssl: true }]);
      }
      // Every unit active again once the hooks of the renewal are done (no member taken for stopped).
      await sbx.waitForActive(2, MIN, { primaryLabel: false });
    },
    7 * MIN,
  );

  it(
    'switches over and fails over (primary frozen) with TLS on while a client writes over verify-full: none lost, the API https only, statuses follow',
    async () => {
      const first = await sbx.primary();
      const second = UNITS.find((unit) => unit !== first)!;
      const hosts = await Promise.all(UNITS.map((unit) => sbx.unitAddress(unit)));
      const address = Object.fromEntries(UNITS.map((unit, i) => [unit, hosts[i]!]));
      const writes = new ContinuousWrites({ hosts: () => hosts, user: 'operator', password: operatorPassword, ssl: { ca }, intervalMs: 50, table: 'cw_failover' });
      await writes.start();
      let frozen = false;
      let failure: unknown;
      try {
        await writes.waitForWrites(20, MIN);
        // Switchover: promote-to-primary, through the charm's own Patroni client over https.
        await sbx.runOk(second, 'promote-to-primary', { scope: 'unit' });
        await sbx.waitFor((units) => units[second]?.patroni?.role === 'leader' && allActive(units, 2, { primaryLabel: false }), `${second} primary`, 2 * MIN);
        await writes.waitForWrites(20, MIN);
        // Failover: the new primary's pod frozen; the other member takes over.
        await sbx.cliOk(['chaos', 'freeze', second]);
        frozen = true;
        await sbx.until(
          async () => (await patroniClusterTls(address[first]!, ca)).find((m) => m.role === 'leader' && m.state === 'running')?.name,
          (name) => name === `${APP}-${first.split('/')[1]}`,
          `${first} to lead again`,
          2 * MIN,
          500,
        );
        await sbx.cliOk(['chaos', 'thaw', second]);
        frozen = false;
        // synchronous_mode_strict (the default): with two units, commits wait for the other member
        // to be back as a synchronous standby.
        await writes.waitForWrites(20, 2 * MIN);
        // The statuses follow: the charm reads the roles through its own Patroni client (https),
        // so "Primary" moves to the new leader.
        await sbx.waitFor(
          (units) => allActive(units, 2) && units[first]?.patroni?.role === 'leader' && isCaughtUpReplica(units[second]?.patroni),
          `${second} back as a caught-up replica, "Primary" on ${first}`,
          3 * MIN,
        );
      } catch (error) {
        failure = error;
        throw error;
      } finally {
        if (frozen) await sbx.cliOk(['chaos', 'thaw', second]).catch(() => undefined);
        const report = await writes.stop();
        if (failure === undefined) {
          expect(report.primaries.length).toBeGreaterThanOrEqual(3);
          const checks = await writes.verifyReplicated(hosts);
          for (const host of hosts) expect(checks[host], host).toMatchObject({ missing: [], duplicated: [], caughtUp: true });
        }
      }
      for (const unit of UNITS) {
        expect(await patroniGet(`https://${address[unit]}:${PATRONI_PORT}/health`, ca)).toBe(200);
        expect(await patroniGet(`http://${address[unit]}:${PATRONI_PORT}/health`)).not.toBe(200);
      }
      const rows = await tlsQuery(address[first]!, { user: 'operator', password: operatorPassword, database: 'postgres', ca, servername: primaryService() }, 'SELECT pg_is_in_recovery() AS standby');
      expect(rows).toEqual([{ standby: false }]);
    },
    8 * MIN,
  );

  it(
    'set-tls-private-key: a bad key fails the action and changes nothing; a given key is in the next certificate',
    async () => {
      const unit = UNITS[0]!;
      const before = await storedCertificate(unit);
      const refused = await sbx.run(unit, 'set-tls-private-key', { 'private-key': 'not-a-key' });
      expect(refused.status).toBe('failed');
      expect(refused.status === 'failed' ? refused.message : '').toMatch(/^Invalid private-key: The private key is not a valid PEM/);
      const key = generatePrivateKey();
      await sbx.runOk(unit, 'set-tls-private-key', { 'private-key': Buffer.from(key).toString('base64') });
      const cert = await sbx.until(() => storedCertificate(unit), (c) => c !== undefined && c !== before, 'a certificate for the new key', 2 * MIN, 1_000);
      expect(certificateMatchesKey(cert!, key)).toBe(true);
    },
    3 * MIN,
  );

  it(
    "a provider's bad answer blocks the unit naming it, keeps TLS working, and heals when the provider answers properly",
    async () => {
      const unit = UNITS[1]!;
      const working = await storedCertificate(unit);
      await sbx.cliOk(['config', TLS_APP, 'test-fault=expired'], 3 * MIN);
      await sbx.waitFor(
        (units) => /^TLS certificate from tls rejected: the certificate has expired; the current one stays in use/.test(units[unit]?.['workload-status'].message ?? ''),
        `${unit} blocked on the expired certificate`,
        2 * MIN,
      );
      expect(await storedCertificate(unit)).toBe(working);
      const rows = await tlsQuery(await sbx.unitAddress(unit), { user: 'operator', password: operatorPassword, database: 'postgres', ca }, 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      expect(rows).toEqual([{ ssl: true }]);
      await sbx.cliOk(['config', TLS_APP, '--reset', 'test-fault'], 3 * MIN);
      await sbx.waitForActive(2, 2 * MIN, { primaryLabel: false });
      expect(await storedCertificate(unit)).not.toBe(working);
    },
    5 * MIN,
  );

  it(
    'turns TLS off when the relation goes: plain connections work again and the client gets tls False',
    async () => {
      await sbx.cliOk(['remove-relation', `${APP}:certificates`, `${TLS_APP}:certificates`, '--timeout', '5m'], 6 * MIN);
      await sbx.until(tlsFlags, (flags) => UNITS.every((unit) => flags[unit] === undefined), 'tls flags cleared', 2 * MIN);
      await sbx.waitForActive(2, 2 * MIN);
      const host = await sbx.unitAddress(await sbx.primary());
      await sbx.until(
        () => plainConnectError(host, creds['username']!, creds['password']!, creds['database']!),
        (error) => error === undefined,
        'a plain connection accepted',
        MIN,
      );
      expect(await patroniGet(`http://${host}:${PATRONI_PORT}/health`)).toBe(200);
      await sbx.until(credentials, (c) => c['tls'] === 'False', 'the client told tls False', MIN);
    },
    8 * MIN,
  );
});
