/** How long hooks wait for things that usually happen within seconds (tests shrink these). */
export interface ReconcileTiming {
  /** After starting Patroni, how long to wait for the member to come up before leaving it to a later hook. */
  memberStartTimeoutMs: number;
  pollIntervalMs: number;
  /** How long storage-detaching waits for a new primary after a switchover. */
  switchoverTimeoutMs: number;
}

export const DEFAULT_TIMING: ReconcileTiming = Object.freeze({
  memberStartTimeoutMs: 30_000,
  // Each poll is one request to the local Patroni: a short interval costs nothing and a hook
  // that waits for its member goes on within half a second of it being up (2 s wasted 1 s on average).
  pollIntervalMs: 500,
  switchoverTimeoutMs: 60_000,
});
