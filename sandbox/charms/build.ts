import { build, type Plugin } from 'esbuild';
import { access, chmod, copyFile, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { SandboxError } from '../runtime/errors.ts';
import { REPO_ROOT } from '../runtime/paths.ts';

/**
 * Builds a partner charm written in TypeScript under `sandbox/charms/<name>/` into a charm
 * directory as Juju unpacks one: `dispatch`, metadata/config/actions yaml, `dist/charm.cjs`
 * (esbuild bundle of `src/charm.ts`, with `pg`, `yaml` etc. inside), `dist/workload.cjs` when the
 * charm has a `src/workload.ts` (a program its Pebble services run), `dist/charm-metadata.json`
 * (what src/juju/metadata.ts reads instead of the yaml), and `node/bin/node` linked to this Node.
 */

export const PARTNER_CHARMS_DIR = path.join(REPO_ROOT, 'sandbox', 'charms');
const YAML_FILES = ['metadata.yaml', 'config.yaml', 'actions.yaml'] as const;

const DISPATCH = `#!/bin/sh
# Juju runs this file for every hook and action, from the charm directory.
charm_dir="\${JUJU_CHARM_DIR:-$(dirname "$0")}"
JUJU_DISPATCH_PATH="\${JUJU_DISPATCH_PATH:-$0}" exec "$charm_dir/node/bin/node" "$charm_dir/dist/charm.cjs"
`;

/** The source directory of a partner charm named `name` (sandbox/charms/<name>), if there is one. */
export async function partnerCharmSource(name: string): Promise<string | undefined> {
  if (!/^[a-z][a-z0-9-]*$/.test(name) || name === 'lib') return undefined;
  const dir = path.join(PARTNER_CHARMS_DIR, name);
  return (await exists(path.join(dir, 'metadata.yaml'))) && (await exists(path.join(dir, 'src', 'charm.ts'))) ? dir : undefined;
}

/** Whether `dir` is a TypeScript charm source (metadata.yaml and src/charm.ts), not a built charm. */
export async function isCharmSource(dir: string): Promise<boolean> {
  return (await exists(path.join(dir, 'metadata.yaml'))) && (await exists(path.join(dir, 'src', 'charm.ts'))) && !(await exists(path.join(dir, 'dispatch')));
}

// pino loads sonic-boom and thread-stream (worker transports) when it loads; hooks log through
// a plain stderr writer (src/logging.ts), so the bundle carries the repository's stand-ins.
const pinoWithoutWorkers: Plugin = {
  name: 'pino-without-workers',
  setup(builder) {
    const stand = (file: string) => path.join(REPO_ROOT, 'scripts', file);
    builder.onResolve({ filter: /^(sonic-boom|thread-stream)$/ }, (args) =>
      args.importer.includes('/node_modules/pino/') ? { path: stand('pino-unused-stream.cjs') } : undefined,
    );
    builder.onResolve({ filter: /^(node:)?worker_threads$/ }, (args) =>
      args.importer.includes('/node_modules/pino/') ? { path: stand('pino-main-thread.cjs') } : undefined,
    );
  },
};

/** Bundle the charm at `sourceDir` into `outDir` (created; must not exist or is replaced). */
export async function buildPartnerCharm(sourceDir: string, outDir: string): Promise<{ name: string }> {
  const metadataText = await readFile(path.join(sourceDir, 'metadata.yaml'), 'utf8').catch((error: unknown) => {
    throw new SandboxError('sandbox-charm-invalid', `${sourceDir} has no metadata.yaml`, { cause: error });
  });
  const metadata = parseYaml(metadataText) as { name?: unknown } | null;
  if (typeof metadata?.name !== 'string') throw new SandboxError('sandbox-charm-invalid', `${sourceDir}/metadata.yaml has no name`);

  await rm(outDir, { recursive: true, force: true });
  await mkdir(path.join(outDir, 'dist'), { recursive: true });
  const entries: Record<string, string> = { charm: path.join(sourceDir, 'src', 'charm.ts') };
  if (await exists(path.join(sourceDir, 'src', 'workload.ts'))) entries['workload'] = path.join(sourceDir, 'src', 'workload.ts');
  try {
    await build({
      entryPoints: entries,
      outdir: path.join(outDir, 'dist'),
      outExtension: { '.js': '.cjs' },
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      sourcemap: 'linked',
      logLevel: 'silent',
      // src/logging.ts reaches import.meta only where ESM has no require (tsx, vitest).
      logOverride: { 'empty-import-meta': 'silent' },
      // pg's optional native binding is never used.
      external: ['pg-native'],
      plugins: [pinoWithoutWorkers],
    });
  } catch (error) {
    throw new SandboxError('sandbox-charm-invalid', `cannot bundle ${sourceDir}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }

  const documents: Record<string, unknown> = {};
  for (const file of YAML_FILES) {
    const source = path.join(sourceDir, file);
    if (!(await exists(source))) continue;
    await copyFile(source, path.join(outDir, file));
    documents[file] = parseYaml(await readFile(source, 'utf8')) ?? {};
  }
  await writeFile(
    path.join(outDir, 'dist', 'charm-metadata.json'),
    JSON.stringify({ metadata: documents['metadata.yaml'], actions: documents['actions.yaml'] ?? {} }) + '\n',
  );
  await writeFile(path.join(outDir, 'dispatch'), DISPATCH);
  await chmod(path.join(outDir, 'dispatch'), 0o755);
  await mkdir(path.join(outDir, 'node', 'bin'), { recursive: true });
  await symlink(process.execPath, path.join(outDir, 'node', 'bin', 'node'));
  return { name: metadata.name };
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
