'use strict';
// Stands in for sonic-boom and thread-stream in the charm bundle (see build.mjs): the charm
// writes logs through its own stderr writer and never starts a pino transport.
module.exports = class UnusedPinoStream {
  constructor() {
    throw new Error('pino stream or transport used in the charm bundle: pass a destination instead');
  }
};
