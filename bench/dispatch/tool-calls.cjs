'use strict';
// The "tool calls themselves" baseline of bench:dispatch: a bare Node process that runs the given
// hook-tool calls one after another, the least any Node charm must do for them (spawn, read the
// answer, wait for the exit). Usage: node tool-calls.cjs '[["config-get","--format=json"], ...]'
const { spawn } = require('node:child_process');

function run([tool, ...args]) {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (out += chunk));
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${tool} exited ${code}`))));
  });
}

(async () => {
  for (const call of JSON.parse(process.argv[2])) await run(call);
})().catch((error) => {
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
});
