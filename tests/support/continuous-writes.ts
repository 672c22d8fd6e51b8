import pg from 'pg';

/**
 * A client that keeps writing monotonically increasing integers to whichever member is primary,
 * recording each write the server acknowledged, so a test can prove after a fault that no
 * acknowledged write was lost and none was applied twice. A write whose outcome is unknown (the
 * connection died mid-commit) is "uncertain": it may or may not be in the table, never twice.
 *
 * Bounded: it stops by itself after `maxDurationMs` or `maxWrites`, and talks only to the hosts
 * the test gives it.
 */
export interface ContinuousWritesOptions {
  /** Candidate hosts (pod IPs or 127.0.0.1:port pairs via `port`); the primary is found among them. */
  hosts: () => readonly string[] | Promise<readonly string[]>;
  port?: number;
  user: string;
  password: string;
  database?: string;
  table?: string;
  /** Pause between writes. */
  intervalMs?: number;
  maxDurationMs?: number;
  maxWrites?: number;
  /** TLS for every connection (e.g. `{ ca }`: verify the server's certificate and name); default none. */
  ssl?: pg.ClientConfig['ssl'];
}

export interface WriteReport {
  acknowledged: number[];
  uncertain: number[];
  /** Longest stretch without an acknowledged write (e.g. the failover gap), in ms. */
  longestGapMs: number;
  primaries: string[];
  /** Writes that failed and were retried on a new connection. */
  failures: number;
}

export interface Verification {
  missing: number[];
  duplicated: number[];
  unexpected: number[];
  rows: number;
}

/**
 * Where a member is in the WAL. A primary's `lsn` is its flushed position
 * (`pg_current_wal_flush_lsn()`: every commit it acknowledged lies at or before it, as a commit
 * is flushed before it is acknowledged); a standby's is the position it has replayed
 * (`pg_last_wal_replay_lsn()`: what a query there can see), with what it has received
 * (https://www.postgresql.org/docs/15/functions-admin.html#FUNCTIONS-RECOVERY-INFO-TABLE).
 */
export interface WalPosition {
  inRecovery: boolean;
  lsn: string | null;
  received: string | null;
}

/** One host's check by `verifyReplicated`. */
export interface ReplicatedCheck extends Verification {
  /** The primary's flushed position once the writer stopped: every acknowledged commit is at or before it. */
  target: string;
  /** Where the host was when read: a primary's flushed position, a standby's replayed one. */
  position: WalPosition;
  /** The host had replayed up to `target` when read (a primary has). */
  caughtUp: boolean;
}

/** An LSN (`X/Y`, the two hexadecimal halves of a 64-bit WAL position) as a number that orders like the WAL. */
export function lsnValue(lsn: string): bigint {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn);
  if (!match) throw new TypeError(`not an LSN: ${lsn}`);
  return (BigInt(`0x${match[1]!}`) << 32n) + BigInt(`0x${match[2]!}`);
}

export class ContinuousWrites {
  readonly #options: Required<Omit<ContinuousWritesOptions, 'hosts'>> & Pick<ContinuousWritesOptions, 'hosts'>;
  #running: Promise<void> | undefined;
  #stop = false;
  #client: pg.Client | undefined;
  #host: string | undefined;
  readonly #report: WriteReport = { acknowledged: [], uncertain: [], longestGapMs: 0, primaries: [], failures: 0 };

  constructor(options: ContinuousWritesOptions) {
    this.#options = {
      port: 5432,
      database: 'postgres',
      table: 'continuous_writes',
      intervalMs: 20,
      maxDurationMs: 10 * 60_000,
      maxWrites: 100_000,
      ssl: false,
      ...options,
    };
    if (!/^[a-z_][a-z0-9_]*$/.test(this.#options.table)) throw new TypeError(`bad table name ${this.#options.table}`);
  }

  /** Creates the table on the current primary and starts writing in the background. */
  async start(): Promise<void> {
    const client = await this.#connectToPrimary(30_000);
    await client.query(`CREATE TABLE IF NOT EXISTS ${this.#options.table} (value bigint NOT NULL, written_at timestamptz NOT NULL DEFAULT now())`);
    await client.query(`TRUNCATE ${this.#options.table}`);
    this.#running = this.#loop();
  }

  /** Stops writing and returns what was acknowledged. */
  async stop(): Promise<WriteReport> {
    this.#stop = true;
    await this.#running;
    await this.#client?.end().catch(() => undefined);
    this.#client = undefined;
    return this.report();
  }

  report(): WriteReport {
    return { ...this.#report, acknowledged: [...this.#report.acknowledged], uncertain: [...this.#report.uncertain] };
  }

  get acknowledgedCount(): number {
    return this.#report.acknowledged.length;
  }

  /** Waits until `count` more writes have been acknowledged (e.g. "the new primary accepts writes"). */
  async waitForWrites(count: number, timeoutMs: number): Promise<void> {
    const target = this.#report.acknowledged.length + count;
    const deadline = Date.now() + timeoutMs;
    while (this.#report.acknowledged.length < target) {
      if (Date.now() > deadline) throw new Error(`only ${this.#report.acknowledged.length}/${target} writes acknowledged after ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  /** Reads the table on `host` and checks it against what was acknowledged. */
  async verify(host: string): Promise<Verification> {
    const client = this.#newClient(host);
    await client.connect();
    try {
      const { rows } = await client.query<{ value: string }>(`SELECT value FROM ${this.#options.table}`);
      const counts = new Map<number, number>();
      for (const row of rows) counts.set(Number(row.value), (counts.get(Number(row.value)) ?? 0) + 1);
      const uncertain = new Set(this.#report.uncertain);
      const acknowledged = new Set(this.#report.acknowledged);
      return {
        missing: this.#report.acknowledged.filter((v) => !counts.has(v)),
        duplicated: [...counts].filter(([, n]) => n > 1).map(([v]) => v),
        unexpected: [...counts.keys()].filter((v) => !acknowledged.has(v) && !uncertain.has(v)),
        rows: rows.length,
      };
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** `host`'s position in the WAL (see WalPosition). */
  async walPosition(host: string): Promise<WalPosition> {
    const client = this.#newClient(host);
    await client.connect();
    try {
      const { rows } = await client.query<{ recovery: boolean; lsn: string | null; received: string | null }>(
        `SELECT pg_is_in_recovery() AS recovery,
                (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_flush_lsn() END)::text AS lsn,
                pg_last_wal_receive_lsn()::text AS received`,
      );
      const row = rows[0]!;
      return { inRecovery: row.recovery, lsn: row.lsn, received: row.received };
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /**
   * After `stop`: each host's copy of the writes, read only once the host has replayed the WAL
   * up to the primary's flushed position. A standby read earlier can lack writes that it has
   * only not replayed yet (after a failover a rejoining member may still be rewinding or
   * catching up); waiting on the position, rather than re-reading until nothing is missing,
   * means a write reported missing on a host that had replayed past `target` is really not
   * there, and a host that never gets there says so (`caughtUp: false`, with where it stood).
   * Exactly one host must be a primary: two are a split brain, reported as such.
   */
  async verifyReplicated(hosts: readonly string[], timeoutMs = 120_000): Promise<Record<string, ReplicatedCheck>> {
    const deadline = Date.now() + timeoutMs;
    const target = await this.#primaryFlushPosition(hosts, deadline);
    const checks = await Promise.all(
      hosts.map(async (host): Promise<[string, ReplicatedCheck]> => {
        const position = await this.#replayedTo(host, target, deadline);
        const caughtUp = !position.inRecovery || (position.lsn !== null && lsnValue(position.lsn) >= lsnValue(target));
        return [host, { ...(await this.#verifyWithRetry(host, deadline)), target, position, caughtUp }];
      }),
    );
    return Object.fromEntries(checks);
  }

  async #primaryFlushPosition(hosts: readonly string[], deadline: number): Promise<string> {
    let seen = '';
    for (;;) {
      const positions = await Promise.all(hosts.map((host) => this.walPosition(host).then((p) => ({ host, p }), (error: unknown) => ({ host, error: String(error) }))));
      const primaries = positions.flatMap((x) => ('p' in x && !x.p.inRecovery && x.p.lsn !== null ? [{ host: x.host, lsn: x.p.lsn }] : []));
      if (primaries.length > 1) throw new Error(`more than one primary among the hosts: ${JSON.stringify(primaries)}`);
      if (primaries.length === 1) return primaries[0]!.lsn;
      seen = JSON.stringify(positions);
      if (Date.now() > deadline) throw new Error(`no primary among the hosts to take the WAL position from; last seen ${seen}`);
      await sleep(500);
    }
  }

  /** Polls `host` until it is a primary or has replayed up to `target`; its last position (or throws if it never answered). */
  async #replayedTo(host: string, target: string, deadline: number): Promise<WalPosition> {
    let last: WalPosition | undefined;
    let lastError: unknown;
    for (;;) {
      try {
        last = await this.walPosition(host);
        if (!last.inRecovery || (last.lsn !== null && lsnValue(last.lsn) >= lsnValue(target))) return last;
      } catch (error) {
        lastError = error;
      }
      if (Date.now() > deadline) {
        if (last !== undefined) return last;
        throw new Error(`${host} never answered for its WAL position: ${String(lastError)}`);
      }
      await sleep(250);
    }
  }

  async #verifyWithRetry(host: string, deadline: number): Promise<Verification> {
    for (;;) {
      try {
        return await this.verify(host);
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`could not read the writes on ${host}: ${String(error)}`, { cause: error });
        await sleep(500);
      }
    }
  }

  async #loop(): Promise<void> {
    const started = Date.now();
    let lastAck = Date.now();
    let next = 1;
    while (!this.#stop && Date.now() - started < this.#options.maxDurationMs && next <= this.#options.maxWrites) {
      let client: pg.Client;
      try {
        client = this.#client ?? (await this.#connectToPrimary(5_000));
      } catch {
        // Nothing was sent: the same value is tried again.
        this.#report.failures += 1;
        await sleep(100);
        continue;
      }
      try {
        await client.query(`INSERT INTO ${this.#options.table} (value) VALUES ($1)`, [next]);
        this.#acknowledge(next, lastAck);
        lastAck = Date.now();
        next += 1;
        await sleep(this.#options.intervalMs);
      } catch {
        // The INSERT may still commit after we gave up on it: a backend waiting for a synchronous
        // standby's acknowledgement keeps waiting when its client leaves, its row invisible until
        // then. So a value whose fate is unknown is never written again: it is recorded as
        // uncertain (present once or absent) and the writer moves on to the next one.
        this.#report.failures += 1;
        this.#report.uncertain.push(next);
        next += 1;
        await this.#client?.end().catch(() => undefined);
        this.#client = undefined;
        await sleep(100);
      }
    }
  }

  #acknowledge(value: number, lastAck: number): void {
    this.#report.acknowledged.push(value);
    this.#report.longestGapMs = Math.max(this.#report.longestGapMs, Date.now() - lastAck);
  }

  async #connectToPrimary(timeoutMs: number): Promise<pg.Client> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const host of await this.#options.hosts()) {
        const client = this.#newClient(host);
        try {
          await client.connect();
          const { rows } = await client.query<{ recovery: boolean }>('SELECT pg_is_in_recovery() AS recovery');
          if (rows[0]?.recovery === false) {
            this.#client = client;
            if (this.#host !== host) this.#report.primaries.push(host);
            this.#host = host;
            return client;
          }
        } catch {
          // not reachable or not ready: try the next host
        }
        await client.end().catch(() => undefined);
      }
      if (Date.now() > deadline) throw new Error('no writable primary among the hosts');
      await sleep(100);
    }
  }

  #newClient(target: string): pg.Client {
    // `host:port` (one port per member, e.g. Patroni processes on loopback) or a bare host on `port`.
    const pair = /^([^:]+):(\d+)$/.exec(target);
    const client = new pg.Client({
      host: pair?.[1] ?? target,
      port: pair === null ? this.#options.port : Number(pair[2]),
      user: this.#options.user,
      password: this.#options.password,
      database: this.#options.database,
      connectionTimeoutMillis: 1_000,
      query_timeout: 3_000,
      ssl: this.#options.ssl,
    });
    client.on('error', () => undefined);
    return client;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
