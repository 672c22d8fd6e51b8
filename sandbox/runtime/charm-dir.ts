import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, cp, copyFile, mkdir, readdir, readFile, rename, rm, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { errorCode } from '../../src/errors.ts';
import { SandboxError } from './errors.ts';
import { REPO_ROOT, type SandboxPaths } from './paths.ts';

/**
 * An application's charm directory, `<stateDir>/charms/<app>/`: what Juju unpacks a charm into.
 * Either the repository's charm assembled on the spot (dispatch, the yaml files, a copy of dist/
 * and node/bin/node pointing at this Node), a packed `.charm` unzipped, a charm directory copied,
 * or a partner charm from sandbox/charms built (sandbox/charms/build.ts).
 */

const CHARM_FILES = ['dispatch', 'metadata.yaml', 'config.yaml', 'actions.yaml'] as const;
const BUNDLE = ['charm.cjs', 'loader.cjs'] as const;

export interface PreparedCharm {
  dir: string;
  /** The charm's name (metadata `name`), the default application name. */
  name: string;
}

/** Whether the repository has a built charm bundle in dist/. */
export async function hasBuiltCharm(repo = REPO_ROOT): Promise<boolean> {
  for (const file of BUNDLE) if (!(await exists(path.join(repo, 'dist', file)))) return false;
  return true;
}

/** Build dist/ (scripts/build.mjs); its output goes to `output` as it comes. */
export async function buildCharm(output: (line: string) => void, repo = REPO_ROOT): Promise<void> {
  const run = execa(process.execPath, [path.join(repo, 'scripts', 'build.mjs')], { cwd: repo, reject: false, all: true, stdin: 'ignore' });
  run.all?.setEncoding('utf8');
  run.all?.on('data', (chunk: string) => chunk.split('\n').filter((l) => l !== '').forEach(output));
  const result = await run;
  if (result.exitCode !== 0) throw new SandboxError('sandbox-charm-invalid', `npm run build failed (exit ${String(result.exitCode)})`);
}

/** Files under src/ and lib/ newer than dist/charm.cjs (a hint that dist/ is stale). */
export async function newerSources(repo = REPO_ROOT): Promise<string[]> {
  const built = (await stat(path.join(repo, 'dist', 'charm.cjs'))).mtimeMs;
  const newer: string[] = [];
  for (const top of ['src', 'lib', 'metadata.yaml', 'config.yaml', 'actions.yaml']) {
    await walk(path.join(repo, top), async (file) => {
      if ((await stat(file)).mtimeMs > built) newer.push(path.relative(repo, file));
    });
  }
  return newer;
}

/**
 * Unpack `charmPath` (or assemble the repository's charm) under the state dir. The charm dir is
 * named after the application, `appName` or else the charm's own name.
 */
export async function prepareCharm(
  paths: SandboxPaths,
  options: { charmPath?: string; appName?: string; taken?: (app: string) => boolean } = {},
): Promise<PreparedCharm> {
  await mkdir(paths.charmsDir, { recursive: true, mode: 0o700 });
  const staging = path.join(paths.charmsDir, `.staging-${randomBytes(4).toString('hex')}`);
  try {
    if (options.charmPath !== undefined) await fromCharmPath(options.charmPath, staging);
    else await assemble(staging);
    for (const file of ['dispatch', 'metadata.yaml']) {
      if (!(await exists(path.join(staging, file)))) throw new SandboxError('sandbox-charm-invalid', `the charm has no ${file}`);
    }
    await access(path.join(staging, 'dispatch'), constants.X_OK).catch((error: unknown) => {
      throw new SandboxError('sandbox-charm-invalid', 'the charm\'s dispatch is not executable', { cause: error });
    });
    const metadata = parseYaml(await readFile(path.join(staging, 'metadata.yaml'), 'utf8')) as { name?: unknown } | null;
    if (typeof metadata?.name !== 'string') throw new SandboxError('sandbox-charm-invalid', 'metadata.yaml has no name');
    const app = options.appName ?? metadata.name;
    if (options.taken?.(app)) throw new SandboxError('sandbox-charm-invalid', `cannot add application "${app}": application already exists`);
    const dir = paths.charmDir(app);
    await rm(dir, { recursive: true, force: true }); // left by a deploy that did not finish
    await rename(staging, dir);
    return { dir, name: metadata.name };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * A `.charm` (unzipped), a charm directory (copied; a TypeScript charm source with src/charm.ts
 * is built first), or the name of a partner charm under sandbox/charms (built).
 */
async function fromCharmPath(charmPath: string, dir: string): Promise<void> {
  const resolved = path.resolve(charmPath);
  const found = await stat(resolved).catch(() => undefined);
  if (found?.isDirectory()) {
    const charms = await import('../charms/build.ts');
    if (await charms.isCharmSource(resolved)) await charms.buildPartnerCharm(resolved, dir);
    else await cp(resolved, dir, { recursive: true, verbatimSymlinks: true });
    return;
  }
  if (found === undefined && !charmPath.includes('/') && !charmPath.endsWith('.charm')) {
    const charms = await import('../charms/build.ts');
    const source = await charms.partnerCharmSource(charmPath);
    if (source === undefined) throw new SandboxError('sandbox-charm-invalid', `no such charm: ${charmPath} (not a file, a directory or a charm under sandbox/charms)`);
    await charms.buildPartnerCharm(source, dir);
    return;
  }
  await unpack(resolved, dir);
}

async function unpack(charmPath: string, dir: string): Promise<void> {
  if (!(await exists(charmPath))) throw new SandboxError('sandbox-charm-invalid', `no such charm: ${charmPath}`);
  const result = await execa('unzip', ['-q', '-o', charmPath, '-d', dir], { reject: false, stdin: 'ignore' });
  if (result.exitCode !== 0) throw new SandboxError('sandbox-charm-invalid', `cannot unzip ${charmPath}: ${result.stderr.trim()}`);
}

/** The repository's charm, as `npm run pack` lays it out, with this machine's Node linked in. */
async function assemble(dir: string): Promise<void> {
  if (!(await hasBuiltCharm())) throw new SandboxError('sandbox-charm-invalid', `${path.join(REPO_ROOT, 'dist')} has no built charm; run npm run build`);
  await mkdir(path.join(dir, 'node', 'bin'), { recursive: true });
  for (const file of CHARM_FILES) await copyFile(path.join(REPO_ROOT, file), path.join(dir, file));
  // dist/ may be rebuilt by someone else meanwhile (build removes it first): retry a torn copy.
  for (let attempt = 1; ; attempt++) {
    await rm(path.join(dir, 'dist'), { recursive: true, force: true });
    try {
      await cp(path.join(REPO_ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
      if (await hasBuiltCharm(dir)) break;
    } catch (error) {
      if (attempt >= 5) throw new SandboxError('sandbox-charm-invalid', 'cannot copy dist/', { cause: error });
    }
    if (attempt >= 5) throw new SandboxError('sandbox-charm-invalid', 'dist/ is incomplete; run npm run build');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  await symlink(process.execPath, path.join(dir, 'node', 'bin', 'node'));
}

async function walk(target: string, visit: (file: string) => Promise<void>): Promise<void> {
  let entries;
  try {
    entries = await readdir(target, { withFileTypes: true });
  } catch (error) {
    if (errorCode(error) === 'ENOTDIR') return visit(target);
    return; // missing
  }
  for (const entry of entries) {
    const full = path.join(target, entry.name);
    if (entry.isDirectory()) await walk(full, visit);
    else if (entry.isFile()) await visit(full);
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
