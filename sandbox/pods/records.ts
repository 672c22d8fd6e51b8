import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { PodError } from './errors.ts';
import { networkFile, podRecordFile, unitsDir } from './layout.ts';

/** The sandbox network, written once by `ensureSandboxNetwork`. */
export const NetworkRecordSchema = z.object({
  sandboxId: z.string().min(1),
  subnet: z.string(),
  bridge: z.string(),
  bridgeIp: z.string(),
  prefixLength: z.number().int(),
  /** The Kubernetes namespace (Juju model) pods get by default in their DNS names. */
  namespace: z.string().min(1),
});
export type NetworkRecord = z.infer<typeof NetworkRecordSchema>;

/** One pod, as `createPod` made it; enough for any later process to enter or destroy it. */
export const PodSchema = z.object({
  sandboxId: z.string().min(1),
  stateDir: z.string(),
  name: z.string(),
  index: z.number().int().nonnegative(),
  app: z.string(),
  namespace: z.string(),
  ip: z.string(),
  prefixLength: z.number().int(),
  netns: z.string(),
  veth: z.string(),
  /** `pid` is absent in records of pods made before pods had their own PID namespace. */
  nsFiles: z.object({ mnt: z.string(), uts: z.string(), ipc: z.string(), pid: z.string().optional() }),
  /** Paths inside the pod that have a per-pod directory mounted over them. */
  paths: z.array(z.string()),
  /** Host directories that stay visible in the pod even below one of `paths` (e.g. a checkout under /tmp). */
  hostPaths: z.array(z.string()).default([]),
  /** Of `paths`, those that are a filesystem of their own (volumes.ts); empty in older records. */
  volumes: z.array(z.string()).optional(),
  createdAt: z.string(),
});
export type Pod = z.infer<typeof PodSchema>;

export async function readNetworkRecord(stateDir: string): Promise<NetworkRecord | undefined> {
  return readJson(networkFile(stateDir), NetworkRecordSchema);
}

export async function writeNetworkRecord(stateDir: string, record: NetworkRecord): Promise<void> {
  await writeJsonAtomically(networkFile(stateDir), record);
}

export async function readPodRecord(stateDir: string, name: string): Promise<Pod | undefined> {
  return readJson(podRecordFile(stateDir, name), PodSchema);
}

export async function writePodRecord(pod: Pod): Promise<void> {
  await writeJsonAtomically(podRecordFile(pod.stateDir, pod.name), pod);
}

/** Every pod with a readable record, by index. Directories without one (a crash mid-create) are skipped. */
export async function listPodRecords(stateDir: string): Promise<Pod[]> {
  let names: string[];
  try {
    names = await readdir(unitsDir(stateDir));
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
  const pods: Pod[] = [];
  for (const name of names) {
    try {
      const pod = await readPodRecord(stateDir, name);
      if (pod) pods.push(pod);
    } catch {
      // an unreadable record is left to destroySandbox, which works from names and mounts too
    }
  }
  return pods.sort((a, b) => a.index - b.index);
}

async function readJson<T>(file: string, schema: z.ZodType<T>): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new PodError('pod-state-invalid', `${file} is not JSON`, { cause: error });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new PodError('pod-state-invalid', `${file} is not a valid record: ${parsed.error.message}`);
  }
  return parsed.data;
}

/** Write-then-rename, so a crash never leaves a half-written record behind. */
export async function writeJsonAtomically(file: string, value: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(temp, file);
}

export function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
