'use strict';
// Shared by the node:test files: the package under test, and an in-memory loopback between a host-side Channel and a Main.
const path = require('path');
const { PassThrough } = require('stream');
const { spawn } = require('child_process');

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

const plugin = path.join(__dirname, 'fixtures', 'plugin.js');

/**
 * Starts the fixture plugin (or `script`) with the launch variables; `fds` true passes the channel on descriptor 3 (a socket),
 * `closedFd` names one the child does not have.
 * `t` (the test's context) kills it after the test if it is still running, so that a failed test cannot leave it behind.
 */
function start(t, { framer = 'text', envFramer = framer, cookie = 'pluginipc-v1', fds = false, closedFd = null, sdkPath, script = plugin } = {}) {
  const env = { ...process.env, PLUGINIPC_COOKIE: cookie, PLUGINIPC_PROTOCOL: '1', PLUGINIPC_FRAMER: envFramer };
  delete env.PLUGINIPC_IN_FD;
  delete env.PLUGINIPC_OUT_FD;
  if (cookie === null) delete env.PLUGINIPC_COOKIE;
  if (sdkPath) env.PLUGINIPC_SDK = sdkPath;
  if (fds) {
    env.PLUGINIPC_IN_FD = '3';
    env.PLUGINIPC_OUT_FD = '3';
  }
  if (closedFd !== null) {
    env.PLUGINIPC_IN_FD = String(closedFd); // a descriptor the child does not have
    env.PLUGINIPC_OUT_FD = String(closedFd);
  }
  const child = spawn(process.execPath, [script], { env, stdio: ['pipe', 'pipe', 'pipe', fds ? 'pipe' : 'ignore'] });
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { if (fds) stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const stream = fds ? child.stdio[3] : null;
  const host = new sdk.Channel({ input: fds ? stream : child.stdout, output: fds ? stream : child.stdin, framer: sdk.createFramer(framer), name: 'host' });
  return { child, host, exited, output: () => ({ stdout, stderr }) };
}

module.exports = { sdk, packageDir, loopback, next, Inbox, start };
