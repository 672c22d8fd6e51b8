/**
 * Opening short-lived connections. A hook runs for seconds, so every operation opens its own
 * connection and closes it (as the reference does); there is no pool to keep alive.
 */
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type pg from 'pg';
import { PostgreSQLConnectionError } from './errors.ts';

/**
 * libpq treats the reference's `connect_timeout=1` as 2 s (its minimum), so that is the
 * effective default we mirror.
 */
export const DEFAULT_CONNECT_TIMEOUT_MS = 2_000;

export interface ConnectionOptions {
  /** A hostname/IP, or an absolute unix-socket directory. */
  host: string;
  port?: number;
  user: string;
  password?: string;
  database: string;
  /** `true` for TLS with default verification, or Node TLS options; absent means plain. */
  ssl?: boolean | TlsConnectionOptions;
  connectTimeoutMs?: number;
  applicationName?: string;
}

/** The part of a pg client the SQL helpers use; lets them run on a client or a transaction. */
export type Queryable = Pick<pg.ClientBase, 'query'>;

/** Open a connection; failures become PostgreSQLConnectionError (never naming the password). */
export async function connect(options: ConnectionOptions): Promise<pg.Client> {
  // Loaded on first connection: most hooks never open one, and pg's module set-up costs ~30 ms.
  const { default: driver } = await import('pg');
  const client = new driver.Client({
    host: options.host,
    port: options.port ?? 5432,
    user: options.user,
    password: options.password,
    database: options.database,
    ssl: options.ssl,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    application_name: options.applicationName,
  });
  // An idle client whose server goes away emits 'error'; unhandled, that would kill the hook.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (cause) {
    await client.end().catch(() => undefined);
    const where = `${options.user}@${options.host}:${options.port ?? 5432}/${options.database}`;
    const reason = cause instanceof Error ? `: ${cause.message}` : '';
    throw new PostgreSQLConnectionError(`Failed to connect to ${where}${reason}`, { cause });
  }
  return client;
}

/** Run `fn` on a fresh connection and always close it afterwards. */
export async function withConnection<T>(
  options: ConnectionOptions,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = await connect(options);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Where an operation should run; defaults to the configured database on the primary. */
export interface Target {
  database?: string;
  /** Run on the unit's own host rather than the primary (catalog reads, restart checks). */
  currentHost?: boolean;
  /** An explicit host, winning over both (e.g. the other cluster's primary in async replication). */
  host?: string;
}

/** A connection's options with the two hosts a target picks from instead of one `host`. */
export interface ConnectorSettings extends Omit<ConnectionOptions, 'host' | 'applicationName'> {
  /** The primary's address (K8s: `<app>-primary.<ns>.svc.cluster.local`). */
  primaryHost: string;
  /** This unit's own address. */
  currentHost: string;
}

/** Knows the cluster's hosts and credentials; hands out connections to a chosen target. */
export class PostgreSQLConnector {
  readonly settings: Readonly<ConnectorSettings>;

  constructor(settings: ConnectorSettings) {
    this.settings = { ...settings };
  }

  /** The role the charm connects as (the reference's `operator`). */
  get user(): string {
    return this.settings.user;
  }

  optionsFor(target: Target = {}): ConnectionOptions {
    const s = this.settings;
    return {
      host: target.host ?? (target.currentHost ? s.currentHost : s.primaryHost),
      port: s.port,
      user: s.user,
      password: s.password,
      database: target.database ?? s.database,
      ssl: s.ssl,
      connectTimeoutMs: s.connectTimeoutMs,
    };
  }

  run<T>(fn: (client: pg.Client) => Promise<T>, target?: Target): Promise<T> {
    return withConnection(this.optionsFor(target), fn);
  }
}
