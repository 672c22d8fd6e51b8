import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { hostsExtraFile, hostsFile } from './layout.ts';
import { podDnsNames } from './names.ts';
import { isMissing, listPodRecords, writeJsonAtomically, type Pod } from './records.ts';

/** An extra line for the pods' /etc/hosts, e.g. a `<app>-primary` service name. */
export const HostsEntrySchema = z.object({ ip: z.string(), names: z.array(z.string()).min(1) });
export type HostsEntry = z.infer<typeof HostsEntrySchema>;

/** The /etc/hosts text every pod sees: loopback, each pod's DNS names, then the extras. */
export function renderHosts(pods: readonly Pick<Pod, 'ip' | 'name' | 'app' | 'namespace'>[], extra: readonly HostsEntry[] = []): string {
  const lines = [
    '# Written by the sandbox pod layer; rewritten in place when pods come and go.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    ...pods.map((pod) => `${pod.ip}\t${podDnsNames(pod.name, pod.app, pod.namespace).join(' ')}`),
    ...extra.map((entry) => `${entry.ip}\t${entry.names.join(' ')}`),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * Rewrite the pods' /etc/hosts from the pod records (and the stored extras). `extra`, when
 * given, replaces the stored extras. The file is bind-mounted into every pod, so it is written
 * in place: a new inode (write + rename) would leave the pods looking at the old one.
 */
export async function updateHosts(stateDir: string, options: { extra?: HostsEntry[] } = {}): Promise<string> {
  if (options.extra !== undefined) {
    await writeJsonAtomically(hostsExtraFile(stateDir), z.array(HostsEntrySchema).parse(options.extra));
  }
  const content = renderHosts(await listPodRecords(stateDir), await readExtras(stateDir));
  await writeInPlace(hostsFile(stateDir), content);
  return content;
}

/**
 * Entries a sandbox service keeps for itself (the S3 server's name), beside the extras the
 * Kubernetes stand-in rewrites wholesale; kept in `pods/hosts-static.json`.
 */
export const hostsStaticFile = (stateDir: string): string => path.join(path.dirname(hostsExtraFile(stateDir)), 'hosts-static.json');

/** Set (or with no names, remove) the static entries owned by `owner`, and rewrite /etc/hosts. */
export async function setStaticHostsEntries(stateDir: string, owner: string, entries: HostsEntry[]): Promise<void> {
  const all = { ...(await readStatic(stateDir)), [owner]: entries };
  if (entries.length === 0) delete all[owner];
  await writeJsonAtomically(hostsStaticFile(stateDir), all);
  await updateHosts(stateDir);
}

async function readStatic(stateDir: string): Promise<Record<string, HostsEntry[]>> {
  try {
    return z.record(z.string(), z.array(HostsEntrySchema)).parse(JSON.parse(await readFile(hostsStaticFile(stateDir), 'utf8')));
  } catch (error) {
    if (isMissing(error)) return {};
    throw error;
  }
}

async function readExtras(stateDir: string): Promise<HostsEntry[]> {
  const staticEntries = Object.values(await readStatic(stateDir)).flat();
  try {
    return [...z.array(HostsEntrySchema).parse(JSON.parse(await readFile(hostsExtraFile(stateDir), 'utf8'))), ...staticEntries];
  } catch (error) {
    if (isMissing(error)) return staticEntries;
    throw error;
  }
}

/**
 * Overwrite `file` keeping its inode. A shorter text is first written padded with newlines
 * (still a valid hosts file) and then truncated, so a resolver reading meanwhile never sees an
 * empty file or the tail of the old one glued to the new one.
 */
export async function writeInPlace(file: string, content: string): Promise<void> {
  await (await open(file, 'a', 0o644)).close(); // create it if missing; an existing inode is kept
  const handle = await open(file, 'r+');
  try {
    const { size } = await handle.stat();
    const bytes = Buffer.from(content);
    const padded =
      bytes.length >= size ? bytes : Buffer.concat([bytes, Buffer.alloc(size - bytes.length, '\n')]);
    await handle.write(padded, 0, padded.length, 0);
    await handle.truncate(bytes.length);
    await handle.chmod(0o644);
  } finally {
    await handle.close();
  }
}
