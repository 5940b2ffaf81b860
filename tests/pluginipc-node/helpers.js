'use strict';
// Shared by the node:test files: the package under test, and an in-memory loopback between a host-side Channel and a Main.
const path = require('path');
const { PassThrough } = require('stream');

const packageDir = path.resolve(__dirname, '../../src/pluginipc-node');
const sdk = require(packageDir);

/** A host Channel and a Main connected by in-memory streams; `run` is the Main's run promise (its exit code). */
function loopback({ framer = 'text', options = {}, setup = () => {} } = {}) {
  const toPlugin = new PassThrough();
  const toHost = new PassThrough();
  const host = new sdk.Channel({ input: toHost, output: toPlugin, framer: sdk.createFramer(framer), name: 'host' });
  const main = sdk.createMain({ name: 'loop', hostPingIntervalMs: Infinity, stopGracePeriodMs: 500, exitProcess: false, ...options });
  setup(main, host);
  host.start();
  const run = main.run({ input: toPlugin, output: toHost, framer });
  return { host, main, run, toPlugin, toHost };
}

/** Resolves with the next value `emitter` emits as `event`, or rejects after `ms`. */
function next(emitter, event, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' within ${ms} ms`)), ms);
    emitter.once(event, (value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

/** A queue of values that a test awaits one at a time. */
class Inbox {
  constructor() {
    this.items = [];
    this.waiters = [];
  }

  push(value) {
    const waiter = this.waiters.shift();
    if (waiter) waiter(value);
    else this.items.push(value);
  }

  take(ms = 5000) {
    if (this.items.length > 0) return Promise.resolve(this.items.shift());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nothing arrived within ${ms} ms`)), ms);
      this.waiters.push((value) => {
        clearTimeout(timer);
        resolve(value);
      });
    });
  }
}

module.exports = { sdk, packageDir, loopback, next, Inbox };
