import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { errorCode } from '../../src/errors.ts';
import { SandboxError } from './errors.ts';
import type { SandboxPaths } from './paths.ts';

/**
 * `sandbox.json`: what identifies one sandbox on this machine. Written by the first deploy before
 * anything is created (so `destroy` can always find what carries the sandbox's name), then
 * completed with the subnet once the bridge exists.
 */

export const SandboxSettingsSchema = z.object({
  version: z.literal(1).default(1),
  /** Short id; every kernel object the sandbox makes is named `sbx<id>-…`. */
  sandboxId: z.string().regex(/^[a-z0-9]{1,8}$/),
  /** The pods' /24 inside 10.213.0.0/16; null until the bridge has been made. */
  subnet: z.string().nullable().default(null),
  /** The Juju model name, also the Kubernetes namespace in the pods' DNS names. */
  model: z.string().min(1).default('sandbox'),
  /** Seconds between update-status hooks (Juju's default is 5 minutes). */
  updateStatusIntervalSec: z.number().positive().default(300),
  /**
   * Patroni's DCS (docs/dcs.md): `kubernetes`, the API stand-in (sandbox/k8s) as on Kubernetes,
   * or `etcd`, the VM flavour's path. Chosen by the first deploy; sandboxes made before the
   * setting existed ran on etcd.
   */
  dcs: z.enum(['kubernetes', 'etcd']).default('etcd'),
  createdAt: z.string(),
});
export type SandboxSettings = z.infer<typeof SandboxSettingsSchema>;

export async function readSettings(paths: SandboxPaths): Promise<SandboxSettings | null> {
  let text: string;
  try {
    text = await readFile(paths.settings, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    throw new SandboxError('sandbox-state-invalid', `cannot read ${paths.settings}`, { cause: error });
  }
  try {
    return SandboxSettingsSchema.parse(JSON.parse(text));
  } catch (error) {
    throw new SandboxError('sandbox-state-invalid', `${paths.settings} is not valid`, { cause: error });
  }
}

/** The settings, or `sandbox-not-deployed` when nothing was deployed in this state dir. */
export async function requireSettings(paths: SandboxPaths): Promise<SandboxSettings> {
  const settings = await readSettings(paths);
  if (!settings) {
    throw new SandboxError('sandbox-not-deployed', `no sandbox in ${paths.stateDir} (deploy one first, or set SANDBOX_STATE_DIR)`);
  }
  return settings;
}

export async function writeSettings(paths: SandboxPaths, settings: SandboxSettings): Promise<void> {
  await mkdir(path.dirname(paths.settings), { recursive: true, mode: 0o700 });
  const temp = `${paths.settings}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(SandboxSettingsSchema.parse(settings), null, 2)}\n`, { mode: 0o600 });
  await rename(temp, paths.settings);
}

/**
 * What a new sandbox runs Patroni's DCS on without `--dcs`: Kubernetes, the production path
 * (tests/integration/cluster/lifecycle.test.ts passes on it; etcd.test.ts keeps etcd covered).
 */
export const DEFAULT_DCS: SandboxSettings['dcs'] = 'kubernetes';

/** Fresh settings with a random id (6 base-36 characters: short enough for interface names). */
export function newSettings(options: { model?: string; updateStatusIntervalSec?: number; dcs?: SandboxSettings['dcs'] } = {}): SandboxSettings {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const id = [...randomBytes(6)].map((b) => alphabet[b % alphabet.length]).join('');
  return SandboxSettingsSchema.parse({
    sandboxId: id,
    model: options.model ?? 'sandbox',
    dcs: options.dcs ?? DEFAULT_DCS,
    ...(options.updateStatusIntervalSec === undefined ? {} : { updateStatusIntervalSec: options.updateStatusIntervalSec }),
    createdAt: new Date().toISOString(),
  });
}
