#!/usr/bin/env node
// Runs the integration tier as two lanes, each its own `vitest run --project integration`
// over its share of the files, side by side. Every sandbox deployment picks a free
// 10.213.N.0/24 and names its kernel objects after its own id (sandbox/pods/names.ts), so two
// deployments coexist; within a lane, files still run one after another. Most of an
// integration test is waiting (Patroni's loop, certificates, hooks), so two lanes share 2 cores
// well.
//
// Files are dealt out longest first to the lane with less work so far, by the durations below
// (seconds, measured on 2 cores); a file not listed counts as NEW_FILE_SECONDS. The
// HA-sensitive files (failover, chaos) go to the same lane so they never overlap each other.
//
// Usage: node scripts/run-integration-lanes.mjs [--lanes N] [vitest args…]
// Exit code: non-zero when any lane fails.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TESTS = path.join(ROOT, 'tests', 'integration');
const NEW_FILE_SECONDS = 60;

/** Measured per-file durations (full suite run, 2 cores, one file at a time). */
const SECONDS = {
  'cluster/chaos.test.ts': 495,
  'relations/clients.test.ts': 410,
  'tls/tls.test.ts': 350,
  'cluster/failures.test.ts': 325,
  'backups/backups.test.ts': 290,
  'backups/disaster-recovery.test.ts': 270,
  'cos/cos.test.ts': 175,
  'relations/pgbouncer.test.ts': 170,
  'cluster/lifecycle.test.ts': 110,
  'sandbox-cli/sandbox-cli.test.ts': 95,
  'sandbox-recovery/recovery.test.ts': 80,
  'cluster/etcd.test.ts': 55,
  'cluster/kubernetes.test.ts': 45,
  'cluster/single-unit.test.ts': 40,
  'sandbox-pods/two-pods.test.ts': 25,
  'sandbox-charms/test-client.test.ts': 20,
  'sandbox-pods/crash.test.ts': 15,
  'sandbox-pods/naming-and-files.test.ts': 10,
};

/** Files that measure failover or inject faults: kept in lane 0, never beside each other. */
const HA_SENSITIVE = /^cluster\/(failures|chaos)/;

function testFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return testFiles(full);
    return name.endsWith('.test.ts') ? [path.relative(TESTS, full)] : [];
  });
}

export function dealLanes(files, laneCount) {
  const lanes = Array.from({ length: laneCount }, () => ({ files: [], seconds: 0 }));
  const cost = (file) => SECONDS[file] ?? NEW_FILE_SECONDS;
  for (const file of files.filter((f) => HA_SENSITIVE.test(f))) {
    lanes[0].files.push(file);
    lanes[0].seconds += cost(file);
  }
  const rest = files.filter((f) => !HA_SENSITIVE.test(f)).sort((a, b) => cost(b) - cost(a) || a.localeCompare(b));
  for (const file of rest) {
    const lane = lanes.reduce((least, l) => (l.seconds < least.seconds ? l : least));
    lane.files.push(file);
    lane.seconds += cost(file);
  }
  return lanes.filter((l) => l.files.length > 0);
}

function runLane(index, files, extraArgs) {
  const tag = `[lane ${index}] `;
  const args = ['vitest', 'run', '--project', 'integration', ...extraArgs, ...files.map((f) => path.join('tests', 'integration', f))];
  const child = spawn('npx', args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? '0' } });
  for (const [stream, sink] of [[child.stdout, process.stdout], [child.stderr, process.stderr]]) {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) sink.write(tag + line + '\n');
    });
    stream.on('end', () => {
      if (rest !== '') sink.write(tag + rest + '\n');
    });
  }
  return new Promise((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

async function main() {
  const argv = process.argv.slice(2);
  let laneCount = 2;
  const lanesAt = argv.indexOf('--lanes');
  if (lanesAt !== -1) {
    laneCount = Number(argv[lanesAt + 1]);
    argv.splice(lanesAt, 2);
    if (!Number.isInteger(laneCount) || laneCount < 1) throw new Error('--lanes needs a positive integer');
  }
  const lanes = dealLanes(testFiles(TESTS).sort(), laneCount);
  const started = Date.now();
  lanes.forEach((lane, i) => process.stdout.write(`[lane ${i}] ~${lane.seconds} s: ${lane.files.join(' ')}\n`));
  const codes = await Promise.all(lanes.map((lane, i) => runLane(i, lane.files, argv)));
  const seconds = Math.round((Date.now() - started) / 1000);
  process.stdout.write(`integration lanes done in ${seconds} s: exit codes ${codes.join(', ')}\n`);
  process.exitCode = codes.some((c) => c !== 0) ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().catch((error) => {
    process.stderr.write(`integration lanes: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
