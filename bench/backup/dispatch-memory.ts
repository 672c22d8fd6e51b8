/**
 * Peak memory of a unit's charm dispatches, sampled from /proc: every `intervalMs` the Node
 * processes running `<charmDir>/dist/loader.cjs` are found and their VmHWM (peak resident set,
 * proc(5)) kept, per process, with the hook or action they dispatch (`JUJU_DISPATCH_PATH` in
 * their environment). A dispatch shorter than the interval may be missed; a sampled one's peak is
 * exact (VmHWM is the kernel's high-water mark, not a sample).
 */
import { readdir, readFile } from 'node:fs/promises';

export interface DispatchPeak {
  pid: number;
  dispatch: string;
  peakKiB: number;
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined; // gone between readdir and read, or not ours to read
  }
}

export class DispatchMemorySampler {
  readonly #peaks = new Map<number, DispatchPeak>();
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  constructor(
    private readonly charmDir: string,
    private readonly intervalMs = 250,
  ) {}

  start(): void {
    this.#timer = setInterval(() => void this.#sample(), this.intervalMs);
    this.#timer.unref();
  }

  stop(): DispatchPeak[] {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    return [...this.#peaks.values()];
  }

  async #sample(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const entries = await readdir('/proc');
      for (const entry of entries) {
        if (!/^\d+$/.test(entry)) continue;
        const cmdline = await readText(`/proc/${entry}/cmdline`);
        if (cmdline === undefined || !cmdline.includes(this.charmDir) || !cmdline.includes('loader.cjs')) continue;
        const status = await readText(`/proc/${entry}/status`);
        const hwm = status === undefined ? undefined : /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
        if (hwm === undefined) continue;
        const pid = Number(entry);
        const known = this.#peaks.get(pid);
        if (known !== undefined) {
          known.peakKiB = Math.max(known.peakKiB, Number(hwm));
          continue;
        }
        const environ = (await readText(`/proc/${entry}/environ`)) ?? '';
        const dispatch = environ.split('\0').find((v) => v.startsWith('JUJU_DISPATCH_PATH='))?.slice('JUJU_DISPATCH_PATH='.length) ?? 'unknown';
        this.#peaks.set(pid, { pid, dispatch, peakKiB: Number(hwm) });
      }
    } finally {
      this.#busy = false;
    }
  }
}

/** The largest peak per dispatch name (`actions/create-backup`, `hooks/update-status`, …), MiB. */
export function peaksByDispatch(peaks: readonly DispatchPeak[]): Record<string, { n: number; maxMiB: number }> {
  const out: Record<string, { n: number; maxMiB: number }> = {};
  for (const peak of peaks) {
    const entry = (out[peak.dispatch] ??= { n: 0, maxMiB: 0 });
    entry.n += 1;
    entry.maxMiB = Math.max(entry.maxMiB, Math.round((peak.peakKiB / 1024) * 10) / 10);
  }
  return out;
}
