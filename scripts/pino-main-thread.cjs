'use strict';
// Stands in for worker_threads in pino inside the charm bundle (see build.mjs): a hook runs pino
// on its main thread only.
module.exports = { isMainThread: true };
