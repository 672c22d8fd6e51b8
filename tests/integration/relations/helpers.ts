import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { lsnValue } from '../../support/continuous-writes.ts';
import { APP, CliFailedError, type SandboxFixture, type StatusDoc } from '../../support/sandbox-fixture.ts';

/**
 * What the client-relation tests read besides the CLI: the sandbox's model (relation bags and
 * secrets, as Juju holds them: `<state>/model.json`), a test-client unit's writer record (inside
 * its pod), and the WAL positions that say a replica has replayed every acknowledged write.
 */

const CLIENT_DIR = '/var/lib/test-client';

interface ModelRelation {
  id: number;
  interface: string;
  endpoints: { app: string; name: string }[];
  appData: Record<string, Record<string, string>>;
  unitData: Record<string, Record<string, string>>;
}

interface ModelSecret {
  id: string;
  owner: { kind: string; name: string };
  label: string | null;
  revisions: { revision: number; content: Record<string, string> }[];
  grants: { target: string; targetKind: string; relationId: number; role: string }[];
}

interface ModelDoc {
  relations: ModelRelation[];
  secrets: Record<string, ModelSecret>;
}

export async function readModel(fixture: SandboxFixture): Promise<ModelDoc> {
  return JSON.parse(await readFile(path.join(fixture.stateDir, 'model.json'), 'utf8')) as ModelDoc;
}

/** The relation between `app`'s endpoint and our application, as the model holds it. */
export async function relationOf(fixture: SandboxFixture, app: string, endpoint: string): Promise<ModelRelation | undefined> {
  return (await readModel(fixture)).relations.find((r) => r.endpoints.some((e) => e.app === app && e.name === endpoint) && r.endpoints.some((e) => e.app === APP));
}

/** A secret's latest content, decoded (the model keeps values base64-encoded, as Juju does). */
export function latestContent(secret: ModelSecret): Record<string, string> {
  const latest = secret.revisions.reduce((a, b) => (b.revision > a.revision ? b : a));
  return Object.fromEntries(Object.entries(latest.content).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

/** The secret a URI (`secret:<id>`) names. */
export function secretByUri(model: ModelDoc, uri: string): ModelSecret | undefined {
  return model.secrets[uri.replace(/^secret:(\/\/[^/]+\/)?/, '')];
}

export function secretsLabelled(model: ModelDoc, pattern: RegExp): ModelSecret[] {
  return Object.values(model.secrets).filter((s) => s.label !== null && pattern.test(s.label));
}

/** A test-client unit's writer counters (`status.json`, rewritten every ~0.5 s). */
export interface WriterStatus {
  running: boolean;
  acknowledged: number;
  lastId: number;
  uncertain: number[];
  failures: number;
  connects: number;
  lastError?: string;
}

async function catInPod(fixture: SandboxFixture, unit: string, file: string): Promise<string> {
  const result = await fixture.ssh(unit, ['cat', `${CLIENT_DIR}/${file}`]);
  if (result.exitCode !== 0) throw new CliFailedError(result);
  return result.stdout;
}

export async function writerStatus(fixture: SandboxFixture, unit: string): Promise<WriterStatus> {
  return JSON.parse(await catInPod(fixture, unit, 'status.json')) as WriterStatus;
}

/** Every id the writer counted as acknowledged (COMMIT returned), from its fdatasync'd log. */
export async function ackedIds(fixture: SandboxFixture, unit: string): Promise<number[]> {
  return (await catInPod(fixture, unit, 'acked.log'))
    .split('\n')
    .filter((line) => line !== '')
    .map(Number);
}

/** Waits until the writer has `more` acknowledged writes than now: writes go on (or resumed). */
export async function waitForMoreWrites(fixture: SandboxFixture, unit: string, more: number, what: string, timeoutMs: number): Promise<WriterStatus> {
  const from = (await writerStatus(fixture, unit)).acknowledged;
  return fixture.until(() => writerStatus(fixture, unit), (s) => s.acknowledged >= from + more, `${unit}: ${more} more acknowledged writes (${what})`, timeoutMs, 300);
}

/**
 * Waits until every unit has replayed the WAL up to the primary's flushed position now (every
 * commit the primary acknowledged lies at or before it), so a read there sees all of them.
 */
export async function waitForReplay(fixture: SandboxFixture, hosts: readonly string[], timeoutMs: number): Promise<void> {
  const position = async (host: string) =>
    (
      await fixture.sql<{ recovery: boolean; lsn: string | null }>(
        host,
        'SELECT pg_is_in_recovery() AS recovery, (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_flush_lsn() END)::text AS lsn',
      )
    )[0]!;
  const deadline = Date.now() + timeoutMs;
  let target: string | undefined;
  while (target === undefined) {
    for (const host of hosts) {
      const p = await position(host).catch(() => undefined);
      if (p !== undefined && !p.recovery && p.lsn !== null) target = p.lsn;
    }
    if (target === undefined) {
      if (Date.now() > deadline) throw new Error(`no primary among ${hosts.join(', ')}`);
      await sleep(500);
    }
  }
  const goal = lsnValue(target);
  for (const host of hosts) {
    await fixture.until(() => position(host), (p) => !p.recovery || (p.lsn !== null && lsnValue(p.lsn) >= goal), `${host} to replay up to ${target}`, Math.max(deadline - Date.now(), 1_000));
  }
}

/** A unit's workload status in a status document (any application). */
export function workloadOf(status: StatusDoc, unit: string): { current: string; message?: string } | undefined {
  const app = unit.slice(0, unit.lastIndexOf('/'));
  return status.applications[app]?.units[unit]?.['workload-status'];
}

/** Our Juju leader's name. */
export function jujuLeader(status: StatusDoc): string {
  const leader = Object.entries(status.applications[APP]?.units ?? {}).find(([, u]) => u.leader)?.[0];
  if (leader === undefined) throw new Error('no leader among our units');
  return leader;
}
