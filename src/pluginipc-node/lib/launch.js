'use strict';

const fs = require('fs');
const net = require('net');
const { Readable } = require('stream');

const DEFAULT_COOKIE = 'pluginipc-v1';

/** The one line a plugin prints to stderr before it exits with code 1 when it was not started by its host. */
function notStartedByHost(processName) {
  return `${processName} is a plugin to be started by its host application; it cannot be run on its own.`;
}

/**
 * Reads the launch contract (protocol section 6) from `env`: `{ framer, inFd, outFd }` (fds null on stdio), or
 * `{ error }`, the one line to print before exiting with code 1.
 */
function readLaunch(env, expectedCookie, processName) {
  if (env.PLUGINIPC_COOKIE !== expectedCookie) return { error: notStartedByHost(processName) };
  const protocol = env.PLUGINIPC_PROTOCOL;
  if (protocol !== undefined && protocol !== '1') {
    return { error: `${processName}: PLUGINIPC_PROTOCOL is '${protocol}', but this plugin speaks protocol version 1.` };
  }
  const framer = env.PLUGINIPC_FRAMER ?? 'text';
  if (framer !== 'text' && framer !== 'msgpack') return { error: `${processName}: PLUGINIPC_FRAMER is '${framer}'; expected text or msgpack.` };
  const inText = env.PLUGINIPC_IN_FD;
  const outText = env.PLUGINIPC_OUT_FD;
  if ((inText === undefined) !== (outText === undefined)) {
    return { error: `${processName}: PLUGINIPC_IN_FD and PLUGINIPC_OUT_FD must be set together, but only ${inText === undefined ? 'PLUGINIPC_OUT_FD' : 'PLUGINIPC_IN_FD'} is.` };
  }
  if (inText === undefined) return { framer, inFd: null, outFd: null };
  const fd = (text) => (/^[0-9]{1,10}$/.test(text) && Number(text) <= 0x7fffffff ? Number(text) : -1);
  const inFd = fd(inText);
  const outFd = fd(outText);
  if (inFd < 0 || outFd < 0) {
    return { error: `${processName}: PLUGINIPC_IN_FD ('${inText}') and PLUGINIPC_OUT_FD ('${outText}') must be non-negative decimal descriptor numbers.` };
  }
  if (process.platform === 'win32') {
    return { error: `${processName}: inherited descriptors (PLUGINIPC_IN_FD, PLUGINIPC_OUT_FD) are only supported on Linux and macOS.` };
  }
  return { framer, inFd, outFd };
}

/** A stream over an inherited descriptor: a socket or pipe becomes a net.Socket (non-blocking), anything else a file stream. */
function openFd(fd, readable, writable) {
  const stat = fs.fstatSync(fd);
  if (stat.isFIFO() || stat.isSocket()) return new net.Socket({ fd, readable, writable, allowHalfOpen: true });
  return readable ? fs.createReadStream(null, { fd, autoClose: true }) : fs.createWriteStream(null, { fd, autoClose: true });
}

/**
 * Opens the channel's streams. On stdio the plugin keeps descriptors 0 and 1 for the channel and points `process.stdout`
 * (so `console.log` and `process.stdout.write`) at stderr, and `process.stdin` at an empty stream, so that neither can
 * corrupt the channel or steal its bytes.
 */
function openTransport(contract) {
  if (contract.inFd !== null) {
    if (contract.inFd === contract.outFd) {
      const duplex = openFd(contract.inFd, true, true);
      return { input: duplex, output: duplex, stdio: false };
    }
    const input = openFd(contract.inFd, true, false);
    try {
      return { input, output: openFd(contract.outFd, false, true), stdio: false };
    } catch (e) {
      input.destroy(); // or the open input would keep the process alive
      throw e;
    }
  }
  const input = openFd(0, true, false);
  const output = openFd(1, false, true);
  redirectConsole();
  return { input, output, stdio: true };
}

function redirectConsole() {
  const stderr = process.stderr;
  const empty = new Readable({ read() { this.push(null); } });
  Object.defineProperty(process, 'stdout', { configurable: true, enumerable: true, get: () => stderr });
  Object.defineProperty(process, 'stdin', { configurable: true, enumerable: true, get: () => empty });
  // The global console binds its streams on first use; point them at stderr whether or not that has happened.
  try {
    console._stdout = stderr;
  } catch {
    // a console replaced by the application
  }
}

module.exports = { readLaunch, openTransport, notStartedByHost, DEFAULT_COOKIE };
