import { Writable } from 'node:stream';
import { PostgreSQL, type PostgreSQLSettings } from '../../../lib/postgresql/index.ts';
import { postgresqlMemberSql, type MemberSqlFactory } from '../../../src/actions/password-rotation.ts';
import { enqueueAction, startAction, type Action } from '../../../sandbox/juju/model.ts';
import type { ActionEvent } from '../../../src/juju/events.ts';
import type { HookTools } from '../../../src/juju/hook-tools.ts';
import { createLogger, type Logger } from '../../../src/logging.ts';
import { NO_RETRY, PatroniClient } from '../../../src/patroni/index.ts';
import { SecretStore } from '../../../src/state/secrets.ts';
import type { Harness } from '../../support/juju-harness.ts';

export const APP = 'postgresql-k8s';

/** A pino logger writing into memory, to prove what reached (or did not reach) the logs. */
export function capturedLogger(): { logger: Logger; text: () => string } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger({ destination, level: 'debug' }), text: () => lines.join('') };
}

export interface RunningAction {
  action: Action;
  event: ActionEvent;
  tools: HookTools;
  secrets: SecretStore;
  commit: () => void;
}

/** Enqueue and start `name` on `unit` (params checked against actions.yaml), with its hook tools. */
export function startActionOn(harness: Harness, unit: string, name: string, params: Record<string, unknown> = {}): RunningAction {
  const action = enqueueAction(harness.model, unit, name, params);
  startAction(harness.model, action.id);
  const { tools, context } = harness.hook(unit, { hookName: '', actionId: action.id });
  return {
    action,
    event: { kind: 'action', action: name, actionId: action.id },
    tools,
    secrets: new SecretStore(tools, harness.app),
    commit: () => void context.commit(),
  };
}

/** Write app-secret fields as the leader in a committed hook. */
export async function seedAppSecret(harness: Harness, fields: Record<string, string>, leader = `${APP}/0`): Promise<void> {
  const { tools, context } = harness.hook(leader);
  await new SecretStore(tools, harness.app).set('app', fields);
  context.commit();
}

/** The app secret as a fresh hook on `unit` sees it (i.e. after commits). */
export async function appSecretField(harness: Harness, field: string, unit = `${APP}/1`): Promise<string | undefined> {
  return new SecretStore(harness.hook(unit).tools, harness.app).get('app', field);
}

/** A Patroni client for tests: no retries, short timeouts. */
export function testPatroniClient(url: string, options: { password?: string; peerUrls?: string[]; logger?: Logger } = {}): PatroniClient {
  return new PatroniClient({
    url,
    peerUrls: options.peerUrls ?? [],
    password: options.password ?? 'patroni-pass',
    timeoutMs: 2_000,
    retry: { read: NO_RETRY, switchover: NO_RETRY, action: NO_RETRY, configWrite: NO_RETRY },
    logger: options.logger ?? createLogger({ level: 'silent' }),
  });
}

/**
 * set-password's `memberSql` over a real lib/postgresql client, as the charm builds it: `settings`
 * (user, password, database) aimed at the member Patroni names, the login password replaceable.
 */
export function memberSqlFrom(settings: Omit<PostgreSQLSettings, 'primaryHost' | 'currentHost' | 'port'>): MemberSqlFactory {
  return (member, options = {}) =>
    postgresqlMemberSql(
      new PostgreSQL({
        ...settings,
        primaryHost: member.host,
        currentHost: member.host,
        port: member.port,
        ...(options.connectPassword === undefined ? {} : { password: options.connectPassword }),
      }),
    );
}
