import { setTimeout as sleep } from 'node:timers/promises';
import { chooseLeader } from '../../../sandbox/controller/leader-choice.ts';
import { ContinuousWrites, type WriteReport } from '../../support/continuous-writes.ts';
import { APP, OPERATOR, type PasswordSource, type SandboxFixture, type UnitStatus } from '../../support/sandbox-fixture.ts';

/** Shared by the cluster test files: writers, checks over every unit, a primary watcher. */

export const unitNames = (units: Record<string, UnitStatus>): string[] => Object.keys(units).sort();
export const member = (unit: string): string => unit.replace('/', '-');
export const unitOf = (memberName: string): string => `${APP}/${memberName.slice(APP.length + 1)}`;

/** The units a fresh deployment of `count` units gets, in order. */
export const firstUnits = (count: number): string[] => Array.from({ length: count }, (_, i) => `${APP}/${i}`);

/**
 * A leader seed (sandbox/controller/leader-choice.ts) under which a fresh deployment of `count`
 * units elects a unit other than unit 0, and that unit: the cluster tests run with leadership
 * away from unit 0, as Juju may give it, so a charm (or sandbox) that needs unit 0 to lead fails.
 */
export function leaderAwayFromUnit0(count: number): { seed: string; leader: string } {
  for (let n = 1; n < 100; n++) {
    const leader = chooseLeader(APP, firstUnits(count), String(n));
    if (leader !== undefined && leader !== `${APP}/0`) return { seed: String(n), leader };
  }
  throw new Error(`no seed under 100 elects a unit other than ${APP}/0 of ${count}`);
}

/**
 * A ContinuousWrites client over a host list the test keeps current. `password` may be a function:
 * pg.Client calls it at every connect, so a writer that reconnects after a password rotation
 * logs in with the password the test holds then (ContinuousWrites hands the option to pg.Client
 * unchanged; its type says `string` only, hence the cast).
 */
export function writer(hosts: () => readonly string[], password: PasswordSource, table: string): ContinuousWrites {
  return new ContinuousWrites({ hosts, user: OPERATOR, password: password as string, table, intervalMs: 20 });
}

export function describeReport(report: WriteReport): string {
  return `${report.acknowledged.length} acknowledged, ${report.uncertain.length} uncertain, ${report.failures} failed attempts, longest gap ${report.longestGapMs} ms, primaries ${report.primaries.join(' → ')}`;
}

/**
 * Samples Patroni's leader every `intervalMs` through one member's REST API until stopped:
 * what a test needs to say "the primary never changed while …".
 */
export class LeaderWatch {
  readonly samples: { at: number; leader: string | null; members: string[] }[] = [];
  readonly errors: { at: number; error: string }[] = [];
  #stop = false;
  #loop: Promise<void> | undefined;

  constructor(
    private readonly fixture: SandboxFixture,
    private readonly host: string,
    private readonly intervalMs = 1_000,
    private readonly maxDurationMs = 15 * 60_000,
  ) {}

  start(): this {
    const started = Date.now();
    this.#loop = (async () => {
      while (!this.#stop && Date.now() - started < this.maxDurationMs) {
        try {
          const members = await this.fixture.patroniCluster(this.host, 2_000);
          this.samples.push({ at: Date.now(), leader: members.find((m) => m.role === 'leader')?.name ?? null, members: members.map((m) => m.name).sort() });
        } catch (error) {
          this.errors.push({ at: Date.now(), error: String(error) });
        }
        await sleep(this.intervalMs);
      }
    })();
    return this;
  }

  async stop(): Promise<this> {
    this.#stop = true;
    await this.#loop;
    return this;
  }

  leaders(): string[] {
    return [...new Set(this.samples.map((s) => s.leader ?? '(none)'))];
  }
}
