import { readFile } from 'node:fs/promises';
import { isWithin } from './layout.ts';
import { tryTool } from './system.ts';

/** One line of /proc/<pid>/mountinfo, the fields the pod layer needs. */
export interface MountEntry {
  /** Path inside the mounted filesystem that is mounted (for bind mounts, the bound directory). */
  root: string;
  mountPoint: string;
  fsType: string;
  source: string;
}

/** Parse mountinfo text (proc(5)); paths have space, tab, newline and backslash octal-escaped. */
export function parseMountInfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const [head, tail] = splitOnce(line, ' - ');
    const fields = head.split(' ');
    const after = (tail ?? '').split(' ');
    if (fields.length < 5 || after.length < 2) continue;
    entries.push({
      root: unescape(fields[3] ?? ''),
      mountPoint: unescape(fields[4] ?? ''),
      fsType: after[0] ?? '',
      source: unescape(after[1] ?? ''),
    });
  }
  return entries;
}

/** The mounts `pid` sees (`self` for this process); empty when the process is gone. */
export async function readMounts(pid: number | 'self' = 'self'): Promise<MountEntry[]> {
  try {
    return parseMountInfo(await readFile(`/proc/${pid}/mountinfo`, 'utf8'));
  } catch {
    return [];
  }
}

export async function isMountPoint(target: string): Promise<boolean> {
  return (await readMounts()).some((m) => m.mountPoint === target);
}

/** Mount points in this namespace at or below `dir`, deepest first (the order to unmount them). */
export async function mountsUnder(dir: string): Promise<string[]> {
  const points = (await readMounts()).map((m) => m.mountPoint).filter((p) => isWithin(p, dir));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/**
 * Unmount everything at or below `dir` in this namespace, repeating for stacked mounts.
 * Lazy (`-l`) so a busy mount still leaves the tree; returns what could not be unmounted.
 */
export async function unmountAllUnder(dir: string): Promise<string[]> {
  for (let round = 0; round < 8; round++) {
    const points = await mountsUnder(dir);
    if (points.length === 0) return [];
    for (const point of points) await tryTool('umount', ['-l', point]);
  }
  return mountsUnder(dir);
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + separator.length)];
}

function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}
