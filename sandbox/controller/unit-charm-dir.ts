import { createHash } from 'node:crypto';
import { cp, lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { errorCode } from '../../src/errors.ts';

/**
 * Each unit's own charm directory. On Kubernetes every unit's charm container has its own copy
 * of the charm, `/var/lib/juju/agents/unit-<app>-<n>/charm` (juju/juju worker/uniter/paths.go,
 * NewWorkerPaths: `CharmDir` is `charm` under `agent.Dir(dataDir, unitTag)`), and charms keep
 * state there (ops' `.unit-state.db`). So the sandbox gives each unit a writable copy of its
 * application's charm dir, `<stateDir>/agents/unit-<app>-<n>/charm/`, made before its first
 * dispatch. If the application's charm dir has changed since a copy was made (checked once per
 * controller process, so a daemon started after the charm changed sees it), the charm's files are
 * copied over again and what the unit wrote there itself stays, as on an upgrade Juju's charm
 * deployer replaces the charm's files and keeps the others. The directory goes when the unit
 * leaves the model.
 */

/** `<stateDir>/agents/unit-<app>-<n>`, the unit agent's base dir. */
export function unitAgentDir(stateDir: string, unit: string): string {
  return path.join(stateDir, 'agents', `unit-${unit.replace('/', '-')}`);
}

/** The unit's charm dir, what JUJU_CHARM_DIR names. */
export function unitCharmDir(stateDir: string, unit: string): string {
  return path.join(unitAgentDir(stateDir, unit), 'charm');
}

/** Where the unit agent dir records which charm its copy came from (outside the charm dir). */
function sourceFile(stateDir: string, unit: string): string {
  return path.join(unitAgentDir(stateDir, unit), 'charm-source.json');
}

interface CharmSource {
  dir: string;
  /** sha256 over the charm's files: relative path, kind, size and mtime. */
  signature: string;
}

/** A cheap fingerprint of a charm dir: its tree with sizes and mtimes (symlinks not followed). */
export async function charmSignature(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const visit = async (rel: string): Promise<void> => {
    const entries = await readdir(path.join(dir, rel), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const child = path.join(rel, entry.name);
      const info = await lstat(path.join(dir, child));
      hash.update(`${child}\0${info.isDirectory() ? 'd' : info.isSymbolicLink() ? 'l' : 'f'}\0${info.size}\0${info.mtimeMs}\n`);
      if (entry.isDirectory()) await visit(child);
    }
  };
  await visit('');
  return hash.digest('hex');
}

async function readSource(file: string): Promise<CharmSource | null> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<CharmSource>;
    return typeof parsed.dir === 'string' && typeof parsed.signature === 'string' ? { dir: parsed.dir, signature: parsed.signature } : null;
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || error instanceof SyntaxError) return null;
    throw error;
  }
}

/** Copies of the charm, one per unit, kept in step with their application's charm dir. */
export class UnitCharmDirs {
  /** Per application charm dir: its signature, taken once per controller process. */
  private readonly signatures = new Map<string, Promise<string>>();
  /** Units whose copy was checked against their charm in this process. */
  private readonly current = new Map<string, string>();

  constructor(private readonly stateDir: string) {}

  /**
   * The unit's charm dir, made from `appCharmDir` if it has none yet (or it was made from
   * another application's charm), or refreshed if the charm changed since it was made.
   */
  async ensure(unit: string, appCharmDir: string): Promise<string> {
    const target = unitCharmDir(this.stateDir, unit);
    if (this.current.get(unit) === appCharmDir) return target;
    const signature = await this.signatureOf(appCharmDir);
    const recorded = await readSource(sourceFile(this.stateDir, unit));
    const exists = await lstat(target).then(() => true, () => false);
    if (!exists || recorded?.dir !== appCharmDir) {
      await this.copyFresh(appCharmDir, target);
    } else if (recorded.signature !== signature) {
      // An upgrade: the charm's files replace the old ones; the unit's own files stay.
      await cp(appCharmDir, target, { recursive: true, force: true, verbatimSymlinks: true, preserveTimestamps: true });
    }
    if (recorded?.dir !== appCharmDir || recorded.signature !== signature) {
      await writeFile(sourceFile(this.stateDir, unit), `${JSON.stringify({ dir: appCharmDir, signature } satisfies CharmSource)}\n`);
    }
    this.current.set(unit, appCharmDir);
    return target;
  }

  /** Forget a unit and remove its agent dir (its charm dir with it). */
  async remove(unit: string): Promise<void> {
    this.current.delete(unit);
    await rm(unitAgentDir(this.stateDir, unit), { recursive: true, force: true });
  }

  private signatureOf(appCharmDir: string): Promise<string> {
    let signature = this.signatures.get(appCharmDir);
    if (signature === undefined) {
      signature = charmSignature(appCharmDir);
      signature.catch(() => this.signatures.delete(appCharmDir));
      this.signatures.set(appCharmDir, signature);
    }
    return signature;
  }

  private async copyFresh(appCharmDir: string, target: string): Promise<void> {
    const staging = `${target}.new`;
    await mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
    await rm(staging, { recursive: true, force: true });
    await cp(appCharmDir, staging, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    await rm(target, { recursive: true, force: true });
    await rename(staging, target);
  }
}
