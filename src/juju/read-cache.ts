/**
 * Per-dispatch memo of hook-tool reads. It stores promises, so two concurrent identical reads
 * still run one process; a failed read is forgotten so a later call can retry it.
 */
export class ReadCache {
  readonly #entries = new Map<string, Promise<unknown>>();

  /** The cached value for `key`, loading it once with `load`. */
  get<T>(key: string, load: () => Promise<T>): Promise<T> {
    const cached = this.#entries.get(key);
    if (cached) return cached as Promise<T>;
    return this.set(key, load());
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** Replace the entry (a write whose effect on the read we know exactly). */
  set<T>(key: string, value: Promise<T>): Promise<T> {
    this.#entries.set(key, value);
    value.catch(() => {
      if (this.#entries.get(key) === value) this.#entries.delete(key);
    });
    return value;
  }

  /** Transform a cached entry in place, if there is one; otherwise leave it to the next read. */
  update<T>(key: string, change: (value: T) => T): void {
    const cached = this.#entries.get(key) as Promise<T> | undefined;
    if (cached) this.set(key, cached.then(change));
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  deleteWhere(matches: (key: string) => boolean): void {
    for (const key of [...this.#entries.keys()]) {
      if (matches(key)) this.#entries.delete(key);
    }
  }

  clear(): void {
    this.#entries.clear();
  }
}

/** Cache keys are tool name + distinguishing parts, joined by a byte no argument contains. */
export function cacheKey(...parts: (string | number)[]): string {
  return parts.join('\u0000');
}
