/**
 * Step `patroni-config`: patroni.yml rendered from config, passwords, members and resources, and
 * pushed (0600, postgres) only when it changed. State in → one hook → state out.
 */
import { describe, expect, it } from 'vitest';
import { createAuthority, issueCertificate } from '../../../../sandbox/charms/tls-provider/src/ca.ts';
import { member, nextState, PASSWORDS, runScenario } from '../../scenario/charm-scenario.ts';
import { initialisedApp, operations, PATRONI_YML, patroniYml, shared, STORAGE, steadyLeader } from './support.ts';

const leader = shared(() => steadyLeader());

describe('patroni-config step', () => {
  it('pushes patroni.yml 0600 for postgres, with this member, the DCS and the probed binaries', async () => {
    const result = await runScenario({ hook: 'config-changed' }, { appSecret: { ...PASSWORDS } });

    expect(operations(result, 'push')).toEqual([
      { op: 'push', path: PATRONI_YML, permissions: 0o600, user: 'postgres', group: 'postgres' },
      // The exporter's password file, before the service starts (pebble-layer.ts).
      { op: 'push', path: `${STORAGE}/monitoring.pgpass`, permissions: 0o600, user: 'postgres', group: 'postgres' },
      // Its custom queries (src/cos/exporter-queries.ts), no secret in them.
      { op: 'push', path: `${STORAGE}/exporter-queries.yaml`, permissions: 0o644, user: 'postgres', group: 'postgres' },
    ]);
    const yml = patroniYml(result)!;
    expect(yml['name']).toBe('postgresql-k8s-0');
    expect(yml['scope']).toBe('patroni-postgresql-k8s');
    expect(yml['etcd3']['hosts']).toEqual(['127.0.0.1:2379']);
    expect(yml['postgresql']['data_dir']).toBe(`${STORAGE}/pgdata`);
    expect(yml['tags']).toBeUndefined();
  });

  it('renders the synchronous settings for the planned size: every replica synchronous', async () => {
    const result = await runScenario({ hook: 'config-changed' }, { units: 3, appSecret: { ...PASSWORDS }, peerApp: initialisedApp(0, 1, 2) });
    // Strict mode only ever comes through PATCH /config, once a standby is there (dynamic-config tests).
    expect(patroniYml(result)!['bootstrap']['dcs']).toMatchObject({ synchronous_mode: true, synchronous_node_count: 2, synchronous_mode_strict: false });
  });

  it('renders a majority and no strict mode when configured so', async () => {
    const result = await runScenario(
      { hook: 'config-changed' },
      { units: 3, appSecret: { ...PASSWORDS }, peerApp: initialisedApp(0, 1, 2), config: { synchronous_node_count: 'majority', synchronous_mode_strict: false } },
    );
    expect(patroniYml(result)!['bootstrap']['dcs']).toMatchObject({ synchronous_node_count: 1, synchronous_mode_strict: false });
  });

  it('gives the system users pg_hba rules until the cluster is initialised, then drops them', async () => {
    const before = await runScenario({ hook: 'config-changed' }, { appSecret: { ...PASSWORDS } });
    const after = await runScenario({ hook: 'config-changed' }, await leader());
    const rulesFor = (hba: string[], user: string) => hba.filter((rule) => rule.split(/\s+/)[2] === user);

    const hbaBefore: string[] = patroniYml(before)!['postgresql']['pg_hba'];
    expect(rulesFor(hbaBefore, 'operator').length).toBeGreaterThan(0);
    const hbaAfter: string[] = patroniYml(after)!['postgresql']['pg_hba'];
    expect(rulesFor(hbaAfter, 'operator')).toEqual([]);
  });

  it('leaves an unchanged patroni.yml alone: no push, no reload', async () => {
    const result = await runScenario({ hook: 'config-changed' }, await leader());
    expect(operations(result, 'push')).toEqual([]);
    expect(operations(result, 'signal')).toEqual([]);
    expect(operations(result, 'replan')).toEqual([]);
  });

  it('pushes again when only the mode or owner drifted', async () => {
    const state = await leader();
    const file = state.workload!.files[PATRONI_YML]!;
    const result = await runScenario({ hook: 'update-status' }, { ...state, workload: { ...state.workload!, files: { ...state.workload!.files, [PATRONI_YML]: { ...file, permissions: 0o644, user: 'root' } } } });
    expect(operations(result, 'push')).toHaveLength(1);
    expect(result.workload.files[PATRONI_YML]).toEqual({ ...file, permissions: 0o600, user: 'postgres' });
  });

  it('blocks when the pod names no DCS', async () => {
    const result = await runScenario({ hook: 'config-changed' }, { appSecret: { ...PASSWORDS }, env: {} });
    expect(result.status.status).toBe('blocked');
    expect(result.status.message).toMatch(/^no DCS for Patroni: set POSTGRESQL_DCS_ETCD_HOSTS /);
    expect(patroniYml(result)).toBeUndefined();
  });

  it('blocks on shared buffers over 40 % of the memory, keeping the last good file; a fix clears it', async () => {
    const state = await leader();
    const before = state.workload!.files[PATRONI_YML]!.content;
    const tooBig = await runScenario({ hook: 'config-changed' }, { ...state, config: { memory_shared_buffers: 1_000_000 } });
    expect(tooBig.status).toEqual({ status: 'blocked', message: 'Configuration Error: memory_shared_buffers is over 40% of the available memory' });
    expect(tooBig.workload.files[PATRONI_YML]!.content).toBe(before);

    const fixed = await runScenario({ hook: 'config-changed' }, { ...state, status: { status: 'blocked', message: tooBig.status.message }, config: { memory_shared_buffers: 16_384 } });
    expect(fixed.status).toEqual({ status: 'active', message: 'Primary' });
    expect(patroniYml(fixed)!['postgresql']['parameters']['shared_buffers']).toBe(16_384);
  });

  it('blocks on more worker processes than 10 per vCPU', async () => {
    const result = await runScenario({ hook: 'config-changed' }, { ...(await leader()), config: { cpu_max_worker_processes: '100' } });
    expect(result.status).toEqual({ status: 'blocked', message: 'Configuration Error: cpu_max_worker_processes=100 is over 40 (10 x vCPUs)' });
  });

  it('turns TLS on once the provider answered: files pushed 0400, ssl and hostssl in patroni.yml, https check and flag', async () => {
    const state = await leader();
    const tlsRelation = { id: 9, endpoint: 'certificates' as const, remoteApp: 'tls' };
    const workload = { ...state.workload!, commands: { ...state.workload!.commands, 'update-ca-certificates': { stdout: '' } } };
    const asked = await runScenario({ hook: 'client-relation', id: 9, kind: 'joined', remoteUnit: 'tls/0' }, { ...state, cluster: [member(0, 'leader')], workload, clientRelations: [tlsRelation] });
    const request = JSON.parse(asked.clientRelations[9]!.localUnits[0]!['certificate_signing_requests']!) as { certificate_signing_request: string }[];
    expect(request).toEqual([{ certificate_signing_request: asked.unitSecret['csr'], ca: false }]);
    expect(patroniYml(asked)!['postgresql']['parameters']['ssl']).toBeUndefined();

    const ca = await createAuthority('self-signed-certificates-operator', 86_400_000);
    const certificate = await issueCertificate(ca, request[0]!.certificate_signing_request, { validityMs: 86_400_000 });
    const answered = nextState({ ...state, clientRelations: [tlsRelation] }, asked);
    answered.clientRelations = [{ ...tlsRelation, ...answered.clientRelations![0]!, remoteAppData: { certificates: JSON.stringify([{ ca: ca.certificatePem, certificate_signing_request: request[0]!.certificate_signing_request, certificate, chain: [certificate, ca.certificatePem] }]) } }];
    answered.unitSecret = asked.unitSecret;
    const result = await runScenario({ hook: 'client-relation', id: 9, kind: 'changed', remoteUnit: 'tls/0' }, answered);

    expect(result.unitSecret).toMatchObject({ cert: certificate, cauth: ca.certificatePem, chain: `${certificate}\n${ca.certificatePem}` });
    for (const file of ['key.pem', 'ca.pem', 'cert.pem']) expect(result.workload.files[`${STORAGE}/${file}`]).toMatchObject({ permissions: 0o400, user: 'postgres', group: 'postgres' });
    const yml = patroniYml(result)!;
    expect(yml['postgresql']['parameters']).toMatchObject({ ssl: 'on', ssl_key_file: `${STORAGE}/key.pem`, ssl_ca_file: `${STORAGE}/ca.pem`, ssl_cert_file: `${STORAGE}/cert.pem` });
    expect(yml['restapi']).toMatchObject({ certfile: `${STORAGE}/cert.pem`, keyfile: `${STORAGE}/key.pem`, cafile: `${STORAGE}/ca.pem` });
    // Replication and pg_rewind connect verify-ca against our CA.
    expect(yml['postgresql']['authentication']['replication']).toMatchObject({ sslmode: 'verify-ca', sslrootcert: `${STORAGE}/ca.pem` });
    expect(yml['postgresql']['authentication']['rewind']).toMatchObject({ sslmode: 'verify-ca', sslrootcert: `${STORAGE}/ca.pem` });
    expect(patroniYml(asked)!['postgresql']['authentication']['replication']['sslmode']).toBeUndefined();
    expect((yml['postgresql']['pg_hba'] as string[]).filter((rule) => /^host /.test(rule))).toEqual([]);
    expect((yml['postgresql']['pg_hba'] as string[]).some((rule) => rule.startsWith('hostssl '))).toBe(true);
    expect(result.peerUnits[0]!['tls']).toBe('enabled');
    // The ready check follows patroni.yml at once: a checks-only change, no replan; Patroni reloads.
    const [add] = operations(result, 'add-layer');
    expect(add!.layer.checks!['postgresql']!.http).toEqual({ url: 'https://postgresql-k8s-0.postgresql-k8s-endpoints:8008/health' });
    expect(operations(result, 'replan')).toEqual([]);
    expect(operations(result, 'signal').length).toBeGreaterThan(0);
    expect(result.status).toEqual({ status: 'active', message: 'Primary' });
  });
});
