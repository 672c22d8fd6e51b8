/**
 * Notices (canonical/pebble docs/reference/notices.md, internals/overlord/state/notices.go): unique
 * per (user-id, type, key); a repeat bumps occurrences and last-occurred/last-data, and
 * last-repeated only when repeat-after has elapsed. Waiters long-poll for new or repeated notices
 * matching a filter.
 */
import { formatGoDuration, HOUR } from '../util/go-duration.ts';
import { formatRfc3339Nano, nowNs } from '../util/go-time.ts';

export type NoticeType = 'custom' | 'change-update' | 'warning';
export const NOTICE_TYPES: readonly NoticeType[] = ['custom', 'change-update', 'warning'];

const DEFAULT_EXPIRE_AFTER_NS = 7 * 24 * HOUR;

export interface Notice {
  id: string;
  userId: number | null;
  type: NoticeType;
  key: string;
  firstOccurred: bigint;
  lastOccurred: bigint;
  lastRepeated: bigint;
  occurrences: number;
  lastData?: Record<string, string> | undefined;
  repeatAfterNs: number;
  expireAfterNs: number;
}

export interface NoticeFilter {
  /** undefined = all users; a number = that user's notices plus public ones. */
  userId?: number | undefined;
  types?: NoticeType[] | undefined;
  keys?: string[] | undefined;
  after?: bigint | undefined;
}

export interface AddNoticeOptions {
  data?: Record<string, string> | undefined;
  repeatAfterNs?: number | undefined;
}

/** The JSON shape of a notice on the wire. */
export function noticeToJson(n: Notice): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: n.id,
    'user-id': n.userId,
    type: n.type,
    key: n.key,
    'first-occurred': formatRfc3339Nano(n.firstOccurred),
    'last-occurred': formatRfc3339Nano(n.lastOccurred),
    'last-repeated': formatRfc3339Nano(n.lastRepeated),
    occurrences: n.occurrences,
  };
  if (n.lastData && Object.keys(n.lastData).length > 0) out['last-data'] = n.lastData;
  if (n.repeatAfterNs !== 0) out['repeat-after'] = formatGoDuration(n.repeatAfterNs);
  if (n.expireAfterNs !== 0) out['expire-after'] = formatGoDuration(n.expireAfterNs);
  return out;
}

interface Waiter {
  filter: NoticeFilter;
  wake: () => void;
}

export class NoticeStore {
  private readonly notices = new Map<string, Notice>();
  private lastId = 0;
  private readonly waiters = new Set<Waiter>();
  /** Called after every change so the owner can persist. */
  onChange: (() => void) | undefined;

  private static uniqueKey(userId: number | null, type: NoticeType, key: string): string {
    return JSON.stringify([userId, type, key]);
  }

  add(userId: number | null, type: NoticeType, key: string, options: AddNoticeOptions = {}): string {
    const now = nowNs();
    const uniqueKey = NoticeStore.uniqueKey(userId, type, key);
    const repeatAfterNs = options.repeatAfterNs ?? 0;
    let notice = this.notices.get(uniqueKey);
    let newOrRepeated = false;
    if (!notice) {
      this.lastId += 1;
      notice = {
        id: String(this.lastId),
        userId,
        type,
        key,
        firstOccurred: now,
        lastOccurred: now,
        lastRepeated: now,
        occurrences: 1,
        repeatAfterNs,
        expireAfterNs: DEFAULT_EXPIRE_AFTER_NS,
      };
      this.notices.set(uniqueKey, notice);
      newOrRepeated = true;
    } else {
      notice.occurrences += 1;
      if (repeatAfterNs === 0 || now > notice.lastRepeated + BigInt(repeatAfterNs)) {
        notice.lastRepeated = now;
        newOrRepeated = true;
      }
    }
    notice.lastOccurred = now;
    notice.lastData = options.data;
    notice.repeatAfterNs = repeatAfterNs;
    if (newOrRepeated) {
      for (const waiter of this.waiters) if (this.matches(notice, waiter.filter)) waiter.wake();
    }
    this.onChange?.();
    return notice.id;
  }

  private expired(n: Notice, now: bigint): boolean {
    return n.lastOccurred + BigInt(n.expireAfterNs) < now;
  }

  private matches(n: Notice, f: NoticeFilter): boolean {
    if (f.userId !== undefined && n.userId !== null && n.userId !== f.userId) return false;
    if (f.types && f.types.length > 0 && !f.types.includes(n.type)) return false;
    if (f.keys && f.keys.length > 0 && !f.keys.includes(n.key)) return false;
    if (f.after !== undefined && !(n.lastRepeated > f.after)) return false;
    return true;
  }

  list(filter: NoticeFilter = {}): Notice[] {
    const now = nowNs();
    return [...this.notices.values()]
      .filter((n) => !this.expired(n, now) && this.matches(n, filter))
      .sort((a, b) => (a.lastRepeated < b.lastRepeated ? -1 : a.lastRepeated > b.lastRepeated ? 1 : 0));
  }

  get(id: string): Notice | undefined {
    const now = nowNs();
    for (const n of this.notices.values()) if (n.id === id && !this.expired(n, now)) return n;
    return undefined;
  }

  /** Long-poll: matching notices now, or the first ones to appear within timeoutMs, else []. */
  async wait(filter: NoticeFilter, timeoutMs: number, signal?: AbortSignal): Promise<Notice[]> {
    const current = this.list(filter);
    if (current.length > 0) return current;
    await new Promise<void>((resolve) => {
      const waiter: Waiter = { filter, wake: () => finish() };
      const timer = setTimeout(() => finish(), timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        signal?.removeEventListener('abort', finish);
        resolve();
      };
      this.waiters.add(waiter);
      signal?.addEventListener('abort', finish, { once: true });
    });
    return this.list(filter);
  }

  /** Wake every waiter (server shutdown). */
  wakeAll(): void {
    for (const waiter of [...this.waiters]) waiter.wake();
  }

  toJSON(): { lastId: number; notices: unknown[] } {
    return {
      lastId: this.lastId,
      notices: [...this.notices.values()].map((n) => ({
        ...n,
        firstOccurred: n.firstOccurred.toString(),
        lastOccurred: n.lastOccurred.toString(),
        lastRepeated: n.lastRepeated.toString(),
      })),
    };
  }

  load(saved: { lastId?: number; notices?: Array<Record<string, unknown>> }): void {
    this.lastId = saved.lastId ?? 0;
    const now = nowNs();
    for (const raw of saved.notices ?? []) {
      const notice: Notice = {
        id: String(raw['id']),
        userId: typeof raw['userId'] === 'number' ? raw['userId'] : null,
        type: raw['type'] as NoticeType,
        key: String(raw['key']),
        firstOccurred: BigInt(String(raw['firstOccurred'])),
        lastOccurred: BigInt(String(raw['lastOccurred'])),
        lastRepeated: BigInt(String(raw['lastRepeated'])),
        occurrences: Number(raw['occurrences']),
        lastData: raw['lastData'] as Record<string, string> | undefined,
        repeatAfterNs: Number(raw['repeatAfterNs'] ?? 0),
        expireAfterNs: Number(raw['expireAfterNs'] ?? DEFAULT_EXPIRE_AFTER_NS),
      };
      if (!this.expired(notice, now)) {
        this.notices.set(NoticeStore.uniqueKey(notice.userId, notice.type, notice.key), notice);
      }
    }
  }
}
