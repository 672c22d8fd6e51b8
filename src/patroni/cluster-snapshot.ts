import type { PatroniClient } from './client.ts';
import type { ClusterStatus } from './schemas.ts';

/**
 * `/cluster` as this hook last read it, so the steps after the one that read it (and the final
 * status) do not ask Patroni again. `read` always asks and remembers; `latest` reuses the last
 * answer; `forget` drops it after something changed the cluster (a restart).
 */
export class ClusterSnapshot {
  #latest: ClusterStatus | undefined;

  constructor(private readonly patroni: () => Promise<PatroniClient>) {}

  /** A fresh `/cluster`: from this member (`self`), or from whichever member answers first. */
  async read(from: 'self' | 'any' = 'any'): Promise<ClusterStatus> {
    const patroni = await this.patroni();
    this.#latest = from === 'self' ? await patroni.cluster() : await patroni.clusterFromAny();
    return this.#latest;
  }

  /** The last answer, or a fresh one read as `read(from)` would. */
  async latest(from: 'self' | 'any' = 'any'): Promise<ClusterStatus> {
    return this.#latest ?? (await this.read(from));
  }

  forget(): void {
    this.#latest = undefined;
  }
}
