// Bundles the charm into dist/ with esbuild: one CommonJS file (dist/charm.cjs) whose modules
// are evaluated only when first imported, plus a V8 code cache for it (dist/charm.cjs.cache)
// made with the Node that the charm ships after a training hook, and the loader `dispatch` runs
// (dist/loader.cjs).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { fakeHookEnvironment } from './fake-hook-tools.mjs';

const repo = new URL('../', import.meta.url);
const dist = new URL('dist/', repo);
await rm(dist, { recursive: true, force: true });

// pino imports sonic-boom (its own fd writer) and thread-stream (worker-thread transports) when
// it loads, which pulls in assert, stream and worker_threads on every hook. The charm gives pino
// a plain synchronous stderr writer (src/logging.ts) and never uses transports, so the bundle
// carries stand-ins that fail loudly if anything ever reaches them.
const pinoWithoutWorkers = {
  name: 'pino-without-workers',
  setup(build) {
    build.onResolve({ filter: /^(sonic-boom|thread-stream)$/ }, (args) =>
      args.importer.includes('/node_modules/pino/') ? { path: new URL('pino-unused-stream.cjs', import.meta.url).pathname } : undefined,
    );
    // pino asks worker_threads only whether it runs on the main thread, which a hook always does;
    // loading the module costs a few milliseconds per hook.
    build.onResolve({ filter: /^(node:)?worker_threads$/ }, (args) =>
      args.importer.includes('/node_modules/pino/') ? { path: new URL('pino-main-thread.cjs', import.meta.url).pathname } : undefined,
    );
  },
};

const result = await build({
  entryPoints: [new URL('src/entry.ts', repo).pathname],
  outfile: new URL('charm.cjs', dist).pathname,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
  // src/logging.ts reaches import.meta only where ESM has no require (tsx, vitest); in the bundle
  // its require is defined and esbuild resolves it, so the empty import.meta is never read.
  logOverride: { 'empty-import-meta': 'silent' },
  plugins: [pinoWithoutWorkers],
});
await copyFile(new URL('src/bootstrap/loader.cjs', repo), new URL('loader.cjs', dist));

// The loader runs the bundle through vm.Script, which cannot resolve a real dynamic import()
// (esbuild leaves import() of Node built-ins as one). Fail the build rather than a hook.
const bundled = await readFile(new URL('charm.cjs', dist), 'utf8');
const dynamicImports = [...new Set(bundled.match(/\bimport\(\s*["'`][^"'`]+["'`]\s*\)/g) ?? [])];
if (dynamicImports.length > 0) {
  throw new Error(`the bundle keeps dynamic imports the loader cannot run: ${dynamicImports.join(', ')}; use a static import or require()`);
}

// metadata.yaml and actions.yaml as JSON, read by every hook (src/juju/metadata.ts).
const readYaml = async (file) => parseYaml(await readFile(new URL(file, repo), 'utf8'));
await writeFile(
  new URL('charm-metadata.json', dist),
  JSON.stringify({ metadata: await readYaml('metadata.yaml'), actions: await readYaml('actions.yaml') }) + '\n',
);

// What the charm publishes to COS that is fixed per revision: the alert rules, parsed, and the
// dashboards, compressed as the grafana_dashboard library sends them (scripts/cos-assets.ts).
execFileSync(process.execPath, ['--import', 'tsx', new URL('scripts/cos-assets.ts', repo).pathname, new URL('cos-assets.json', dist).pathname], {
  stdio: 'inherit',
});

// The code cache. V8 keeps the code of every function compiled so far, so the cache is made at
// the end of a training run: the install hook, dispatched for real against stand-in hook tools.
// The code every hook runs (the tool client, config parsing, the dispatcher) then loads
// compiled instead of being parsed and compiled again in each hook. The cache is only valid for
// this exact Node binary, which is the one pack ships; a stale one only costs speed.
const training = await mkdtemp(join(tmpdir(), 'charm-code-cache-'));
try {
  const toolsDir = join(training, 'tools');
  await mkdir(toolsDir);
  execFileSync(
    process.execPath,
    [
      '-e',
      `const { script } = require(${JSON.stringify(new URL('loader.cjs', dist).pathname)});
       process.once('beforeExit', () => {
         if (process.exitCode) throw new Error('the training hook failed, so no code cache was written');
         require('node:fs').writeFileSync(${JSON.stringify(new URL('charm.cjs.cache', dist).pathname)}, script.createCachedData());
       });`,
    ],
    {
      env: {
        ...process.env,
        ...fakeHookEnvironment({
          hook: 'install',
          charmDir: new URL('.', repo).pathname,
          toolsDir,
          configJson: join(training, 'config.json'),
          toolLog: join(training, 'tools.log'),
        }),
      },
      stdio: 'inherit',
    },
  );
  // What the training hook did, for the build's tests and for whoever wonders what the cache holds.
  const toolCalls = (await readFile(join(training, 'tools.log'), 'utf8')).split('\n').filter(Boolean);
  await writeFile(new URL('charm.cjs.cache.json', dist), JSON.stringify({ trainingHook: 'install', toolCalls }, null, 2) + '\n');
} finally {
  await rm(training, { recursive: true, force: true });
}

const bytes = Object.entries(result.metafile.outputs)
  .filter(([file]) => file.endsWith('.cjs'))
  .reduce((sum, [, out]) => sum + out.bytes, 0);
process.stderr.write(`build: dist/charm.cjs ${(bytes / 1024).toFixed(0)} KiB, code cache and loader\n`);
