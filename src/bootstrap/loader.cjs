'use strict';
// What `dispatch` runs. It loads the charm bundle through vm.Script with the V8 code cache the
// build made for it, so a hook does not pay to parse and compile ~300 KiB of JavaScript again
// (Node 20 has no compile cache of its own). A stale or missing cache only costs speed: V8
// rejects it and compiles as usual.
const { readFileSync } = require('node:fs');
const { createRequire, wrap } = require('node:module');
const { join } = require('node:path');
const { Script } = require('node:vm');

const filename = join(__dirname, 'charm.cjs');
let cachedData;
try {
  cachedData = readFileSync(`${filename}.cache`);
} catch {
  cachedData = undefined;
}
// Stack traces name the script as the code cache recorded it, i.e. as the build's training run
// named it, not as this hook does. A name relative to the charm directory is true in both places
// (an absolute one would point at the build machine's tree).
const script = new Script(wrap(readFileSync(filename, 'utf8')), { filename: 'dist/charm.cjs', cachedData });
const charmModule = { exports: {}, filename, id: filename, loaded: false, children: [], paths: [] };
script.runInThisContext()(charmModule.exports, createRequire(filename), charmModule, filename, __dirname);
module.exports = { script };
