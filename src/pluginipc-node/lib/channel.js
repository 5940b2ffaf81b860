'use strict';

const { Direction, toBuffer } = require('./framing');
const { RemoteError, ProtocolError, ChannelClosedError, TimeoutError, abortError } = require('./errors');

const EMPTY = Buffer.alloc(0);
const PING = 'cmd.ping';
const ERROR = 'cmd.error';
const MAX_JOIN_SPARE = 1024 * 1024; // room left after a chunk joined again; its headers, the part that comes in many pieces, seldom need more

/** True for a RemoteError of any copy of this package (an application may load two). */
function isRemoteError(e) {
  return e !== null && typeof e === 'object' && e.name === 'RemoteError' && typeof e.code === 'string';
}

/** The longest delay a Node timer keeps (2^31 - 1 ms, about 24.8 days); a longer one fires at once. */
const MAX_TIMER_MS = 0x7fffffff;
// Requests with larger bodies need room in the running handlers' byte budget (maxRunningRequestBytes), as in the .NET channel.
const LARGE_REQUEST_BYTES = 64 * 1024;

/** Encodes a `cmd.error` body (`{"code","message","details"?}`, protocol section 5) of at most `maxBytes`: details are left out, then the message shortened, to fit. */
function encodeError(error, includeDetails, signal, maxBytes = Infinity) {
  let body;
  if (isRemoteError(error)) {
    body = { code: error.code || 'REMOTE_ERROR', message: String(error.message) };
    if (error.details !== undefined) body.details = error.details;
  } else if ((error && error.name === 'AbortError') || (signal && signal.aborted)) {
    body = { code: 'CANCELLED', message: error && error.message ? String(error.message) : 'The request was cancelled.' };
  } else {
    body = { code: 'HANDLER_ERROR', message: error instanceof Error ? error.message : String(error) };
    if (includeDetails && error instanceof Error && error.stack) body.details = error.stack;
  }
  let bytes;
  try {
    bytes = Buffer.from(JSON.stringify(body), 'utf8');
  } catch {
    delete body.details; // details that are not JSON (a cycle, a BigInt) are left out rather than losing the error
    bytes = Buffer.from(JSON.stringify(body), 'utf8');
  }
  if (bytes.length > maxBytes && body.details !== undefined) {
    delete body.details; // an error that cannot be sent would leave its caller waiting for its timeout
    bytes = Buffer.from(JSON.stringify(body), 'utf8');
  }
  if (bytes.length > maxBytes) {
    body.code = String(body.code).slice(0, 64);
    const message = body.message;
    // The kept length falls strictly each round, so this ends; with nothing kept the body is as small as it gets.
    for (let keep = message.length; bytes.length > maxBytes && keep > 0;) {
      keep = Math.min(keep - 1, keep >> 1);
      body.message = keep > 0 ? `${message.slice(0, keep)} (shortened)` : '';
      bytes = Buffer.from(JSON.stringify(body), 'utf8');
    }
  }
  return bytes; // still over a tiny limit: the send reports it, and the caller's timeout ends the call
}

/** Reads a `cmd.error` body; one that is not the expected JSON becomes the message of a REMOTE_ERROR. */
function decodeError(buffer, cmd) {
  let error;
  try {
    const body = JSON.parse(buffer.toString('utf8'));
    if (body && typeof body === 'object' && !Array.isArray(body) && typeof body.code === 'string' && typeof body.message === 'string') {
      error = new RemoteError(body.code, body.message, body.details);
    }
  } catch {
    // not JSON: the whole body is the message
  }
  error ??= new RemoteError('REMOTE_ERROR', buffer.toString('utf8'));
  error.cmd = cmd;
  return error;
}

/**
 * One connection to the other side: requests with answers in both directions, many at once, one-way messages,
 * cancellation, pings, errors with codes, bounded reading (protocol sections 1 to 5).
 */
class Channel {
  /**
   * @param {object} options
   * @param {import('stream').Readable} options.input where chunks are read from
   * @param {import('stream').Writable} options.output where chunks are written to (may be the same duplex stream)
   * @param {{ name: string, encode(chunk): Buffer, decode(buf, state?): object }} options.framer
   */
  constructor(options) {
    this.input = options.input;
    this.output = options.output;
    this.framer = options.framer;
    this.name = options.name ?? 'channel';
    this.maxConcurrentHandlers = options.maxConcurrentHandlers ?? 256;
    this.maxQueuedMessages = options.maxQueuedMessages ?? 1024;
    this.maxQueuedBytes = options.maxQueuedBytes ?? 16 * 1024 * 1024;
    this.maxRunningRequestBytes = options.maxRunningRequestBytes ?? 64 * 1024 * 1024;
    this.maxUnsentBytes = options.maxUnsentBytes ?? 16 * 1024 * 1024;
    this.defaultTimeoutMs = options.callTimeoutMs ?? 30000;
    this.includeErrorDetails = options.includeErrorDetails ?? false;
    this.onWarning = options.onWarning ?? (() => {});
    this.handlers = new Map();
    this.fallback = null;
    this._state = 'created';
    this._nextId = 0n;
    this._pending = new Map(); // our calls: threadId -> { resolve, reject, cmd, cleanup }
    this._incoming = new Map(); // their requests being handled or waiting: threadId -> { controller, waiting }
    this._waiting = []; // requests waiting for a handler slot, or large ones for room in _largeBytes
    this._active = 0;
    this._largeBytes = 0; // body bytes of large requests whose handlers run: at most maxRunningRequestBytes, or one alone
    this._largeWaiting = 0;
    this._oneWays = [];
    this._oneWayRunning = false;
    this._queuedMessages = 0;
    this._queuedBytes = 0;
    this._paused = false; // past the queue's limits, until half of it has started
    this._outputFull = false; // more than maxUnsentBytes wait to be written, until the output drains
    this._drainWaiters = [];
    this._pieces = [];
    this._available = 0;
    this._need = 1;
    this._room = null; // free memory right after _pieces[0] once that is the start of a chunk joined before
    this._readState = {}; // the framer's progress in an incomplete chunk, so that it does not read it again from its start
    this._lifetime = new AbortController();
    this._idle = null;
    this.closeReason = undefined;
    this.closed = new Promise((resolve) => { this._resolveClosed = resolve; });
    this._onData = (data) => this._read(data);
    this._onEnd = () => this._terminate(new ChannelClosedError(`${this.name}: the other side closed the connection.`));
    this._onInputError = (e) => this._terminate(new ChannelClosedError(`${this.name}: reading failed: ${e.message}`, e));
    this._onOutputError = (e) => this._terminate(new ChannelClosedError(`${this.name}: writing failed: ${e.message}`, e));
    this._onDrain = () => {
      this._outputFull = false;
      this._releaseDrainWaiters(true);
      this._pumpWaiting();
    };
  }

  /** True until the channel starts to close. */
  get isOpen() { return this._state === 'open'; }

  /** True while more than `maxUnsentBytes` wait to be written because the other side does not read (no new handler starts). */
  get outputFull() { return this._outputFull; }

  /** An AbortSignal that fires when the channel has closed. */
  get signal() { return this._lifetime.signal; }

  /** Registers the handler of requests and one-way messages with this cmd; `inline` one-ways run as they are read, ahead of the queue. */
  handle(cmd, handler, inline = false) {
    if (typeof cmd !== 'string' || cmd.length === 0) throw new TypeError('cmd must be a non-empty string.');
    if (handler === null || handler === undefined) this.handlers.delete(cmd);
    else if (typeof handler !== 'function') throw new TypeError('handler must be a function.');
    else this.handlers.set(cmd, { fn: handler, inline });
  }

  /** Starts reading. */
  start() {
    if (this._state !== 'created') throw new Error('The channel was already started.');
    this._state = 'open';
    this.input.on('data', this._onData);
    this.input.on('end', this._onEnd);
    this.input.on('error', this._onInputError);
    this.output.on('error', this._onOutputError);
    if (typeof this.input.resume === 'function') this.input.resume();
  }

  /** Sends a request and resolves with the answer's buffer; rejects with RemoteError, TimeoutError, AbortError or ChannelClosedError. */
  call(cmd, buffer, options = {}) {
    return new Promise((resolve, reject) => {
      if (this._state !== 'open') {
        reject(new ChannelClosedError(`${this.name}: the channel is ${this._state === 'created' ? 'not started' : 'closed'}; '${cmd}' was not sent.`, this.closeReason));
        return;
      }
      const signal = options.signal;
      if (signal?.aborted) {
        reject(abortError(`'${cmd}' was cancelled before it was sent.`, signal.reason));
        return;
      }
      const threadId = ++this._nextId;
      let bytes;
      try {
        bytes = this.framer.encode({ threadId, direction: Direction.Request, cmd, buffer: toBuffer(buffer), headers: options.headers });
      } catch (e) {
        reject(e);
        return;
      }
      const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
      let timer = null;
      let onAbort = null;
      const cleanup = () => {
        this._pending.delete(threadId);
        if (timer !== null) clearTimeout(timer);
        if (onAbort !== null) signal.removeEventListener('abort', onAbort);
        this._checkIdle();
      };
      const giveUp = (error) => {
        if (!this._pending.has(threadId)) return;
        cleanup();
        reject(error);
        this._send({ threadId, direction: Direction.Cancel, cmd, buffer: EMPTY });
      };
      if (Number.isFinite(timeoutMs) && timeoutMs >= 0 && timeoutMs <= MAX_TIMER_MS) { // longer: as good as none
        timer = setTimeout(() => giveUp(new TimeoutError(`'${cmd}' was not answered within ${timeoutMs} ms.`)), timeoutMs);
      }
      if (signal) {
        onAbort = () => giveUp(abortError(`'${cmd}' was cancelled.`, signal.reason));
        signal.addEventListener('abort', onAbort, { once: true });
      }
      this._pending.set(threadId, { cmd, resolve, reject, cleanup });
      this._write(bytes);
    });
  }

  /** Sends a one-way message; throws (nothing sent) when the channel is closed or the chunk is over a limit. */
  notify(cmd, buffer, options = {}) {
    if (this._state !== 'open' && this._state !== 'closing') {
      throw new ChannelClosedError(`${this.name}: the channel is closed; '${cmd}' was not sent.`, this.closeReason);
    }
    this._write(this.framer.encode({ threadId: 0n, direction: Direction.OneWay, cmd, buffer: toBuffer(buffer), headers: options.headers }));
  }

  /**
   * Resolves once the output can take more: at once, unless more than `maxUnsentBytes` wait to be written because the
   * other side does not read; then when they have been written (true), or the channel has closed first (false: what
   * waited may never have been written).
   */
  whenWritable() {
    if (!this._outputFull) return Promise.resolve(this._state !== 'closed');
    return new Promise((resolve) => { this._drainWaiters.push(resolve); });
  }

  /** Pings the other side; resolves when it answers. */
  ping(timeoutMs = 5000, signal) {
    return this.call(PING, EMPTY, { timeoutMs, signal }).then(() => undefined);
  }

  /**
   * Closes gracefully: refuses new calls here, answers new requests SHUTTING_DOWN, lets calls and handlers in flight finish
   * for up to `graceMs` (one-way messages still flow both ways), then cancels what is left and closes the connection.
   */
  close(graceMs = 3000) {
    if (this._state === 'created') this._state = 'open';
    if (this._state !== 'open') return this.closed.then(() => undefined);
    this._state = 'closing';
    const done = new Promise((resolve) => { this._idle = resolve; });
    this._checkIdle();
    const timer = setTimeout(() => this._idle?.(), graceMs);
    return done.then(() => {
      clearTimeout(timer);
      this._terminate(undefined);
    });
  }

  /** Closes at once: pending calls fail with ChannelClosedError carrying `reason`, handlers' signals fire. */
  abort(reason) {
    this._terminate(reason ?? new ChannelClosedError(`${this.name}: the channel was aborted.`));
  }

  // ------------------------------------------------------------ internals

  _checkIdle() {
    if (this._state === 'closing' && this._idle !== null && this._pending.size === 0 && this._incoming.size === 0 && this._oneWays.length === 0 && !this._oneWayRunning) {
      const idle = this._idle;
      this._idle = null;
      idle();
    }
  }

  _terminate(reason) {
    if (this._state === 'closed') return;
    this._state = 'closed';
    this.closeReason = reason;
    this.input.off('data', this._onData);
    this.input.off('end', this._onEnd);
    this._idle?.();
    this._idle = null;
    this._lifetime.abort(reason ?? new ChannelClosedError(`${this.name}: the channel was closed.`));
    for (const entry of this._incoming.values()) entry.controller.abort(abortError('The channel closed.'));
    this._incoming.clear();
    this._waiting.length = 0;
    this._largeWaiting = 0;
    this._oneWays.length = 0;
    this.output.off('drain', this._onDrain);
    this._outputFull = false; // what waits now is never written: log entries go to stderr again
    this._releaseDrainWaiters(false);
    const error = reason instanceof ChannelClosedError
      ? reason
      : new ChannelClosedError(reason ? `${this.name}: the channel closed: ${reason.message}` : `${this.name}: the channel was closed.`, reason);
    for (const entry of [...this._pending.values()]) {
      entry.cleanup();
      entry.reject(error);
    }
    try {
      if (this.output === this.input) {
        if (typeof this.output.end === 'function') this.output.end();
      } else {
        if (typeof this.output.end === 'function') this.output.end();
        if (typeof this.input.destroy === 'function') this.input.destroy();
      }
    } catch {
      // closing streams that already failed
    }
    this._resolveClosed(reason);
  }

  _write(bytes) {
    if (this._state === 'closed') return;
    try {
      if (!this.output.write(bytes) && !this._outputFull && this._unsentBytes() > this.maxUnsentBytes) {
        // The other side does not read: no new handler starts until it has taken what we answered.
        this._outputFull = true;
        this.output.once('drain', this._onDrain);
      }
    } catch (e) {
      this._onOutputError(e);
    }
  }

  _unsentBytes() {
    return typeof this.output.writableLength === 'number' ? this.output.writableLength : Infinity;
  }

  _releaseDrainWaiters(drained) {
    const waiters = this._drainWaiters;
    this._drainWaiters = [];
    for (const resolve of waiters) resolve(drained);
  }

  /** Writes a chunk we produce ourselves; one over a limit is reported, never thrown into the read loop. */
  _send(chunk) {
    try {
      this._write(this.framer.encode(chunk));
      return true;
    } catch (e) {
      this.onWarning(`${this.name}: could not send '${chunk.cmd}': ${e.message}`);
      return false;
    }
  }

  _read(data) {
    if (this._state === 'closed') return;
    this._pieces.push(data);
    this._available += data.length;
    if (this._available < this._need) return;
    let buf = this._pieces.length === 1 ? this._pieces[0] : this._join();
    let offset = 0;
    try {
      while (offset < buf.length && this._state !== 'closed') {
        const result = this.framer.decode(offset === 0 ? buf : buf.subarray(offset), this._readState);
        if (!result.chunk) {
          this._need = result.need;
          break;
        }
        offset += result.size;
        this._need = 1;
        this._dispatch(result.chunk);
      }
    } catch (e) {
      if (e instanceof ProtocolError) {
        this._terminate(new ChannelClosedError(`${this.name}: protocol error: ${e.message}`, e));
        return;
      }
      throw e;
    }
    if (offset >= buf.length) {
      this._pieces = [];
      this._available = 0;
      this._need = 1;
      this._room = null;
    } else {
      buf = buf.subarray(offset);
      this._pieces = [buf];
      this._available = buf.length;
      this._need = Math.max(1, this._need);
    }
  }

  /**
   * Joins the pieces read so far into one buffer. The start of a chunk that was joined before and is still incomplete gets
   * half its size again as room (1 MiB at most), so that a chunk arriving in many pieces is copied a few times in all, not
   * once per piece, and a large one does not take half its size again.
   */
  _join() {
    const first = this._pieces[0];
    const more = this._available - first.length;
    let joined;
    if (this._room !== null && this._room.length >= more) {
      joined = Buffer.from(first.buffer, first.byteOffset, this._available); // first and the start of the room right after it
      this._room = this._room.subarray(more);
    } else {
      const spare = this._room === null ? 0 : Math.min(this._available >> 1, MAX_JOIN_SPARE);
      const memory = Buffer.allocUnsafe(this._available + spare);
      first.copy(memory, 0);
      joined = memory.subarray(0, this._available);
      this._room = memory.subarray(this._available);
    }
    let at = first.length;
    for (let i = 1; i < this._pieces.length; i++) at += this._pieces[i].copy(joined, at);
    return joined;
  }

  _dispatch(chunk) {
    switch (chunk.direction) {
      case Direction.Request: this._onRequest(chunk); break;
      case Direction.Response: this._onResponse(chunk); break;
      case Direction.OneWay: this._onOneWay(chunk); break;
      case Direction.Cancel: this._onCancel(chunk); break;
      default: break; // Noop
    }
  }

  _onResponse(chunk) {
    const entry = this._pending.get(chunk.threadId);
    if (entry === undefined) return; // nobody waits for it (cancelled, timed out): dropped
    entry.cleanup();
    if (chunk.cmd === ERROR) entry.reject(decodeError(chunk.buffer, entry.cmd));
    else entry.resolve(chunk.buffer);
  }

  _onCancel(chunk) {
    const entry = this._incoming.get(chunk.threadId);
    if (entry === undefined) return;
    if (entry.waiting) {
      // never started: answered CANCELLED, as a wait for a slot that ends cancelled is
      this._waiting.splice(this._waiting.indexOf(entry), 1);
      this._unqueue(entry.chunk);
      this._incoming.delete(chunk.threadId);
      this._respondError(entry.chunk, new RemoteError('CANCELLED', `'${entry.chunk.cmd}' was cancelled before it started.`));
      if (entry.large) {
        this._largeWaiting--;
        this._pumpWaiting(); // it may have held back large ones that fit
      }
      this._checkIdle();
      return;
    }
    entry.controller.abort(abortError(`'${entry.chunk.cmd}' was cancelled by the caller.`));
  }

  _onRequest(chunk) {
    if (chunk.cmd === PING) {
      this._send({ threadId: chunk.threadId, direction: Direction.Response, cmd: PING, buffer: EMPTY });
      return;
    }
    if (this._state !== 'open') {
      this._respondError(chunk, new RemoteError('SHUTTING_DOWN', `'${chunk.cmd}' arrived while ${this.name} was closing.`));
      return;
    }
    if (this._incoming.has(chunk.threadId)) {
      this._respondError(chunk, new RemoteError('INVALID_REQUEST', `Request ${chunk.threadId} ('${chunk.cmd}') is already in flight from this sender.`));
      return;
    }
    const large = chunk.buffer.length > LARGE_REQUEST_BYTES;
    const entry = { chunk, controller: new AbortController(), waiting: false, large };
    this._incoming.set(chunk.threadId, entry);
    if (this._active < this.maxConcurrentHandlers && !this._outputFull && (!large || (this._largeWaiting === 0 && this._largeFits(chunk)))) {
      this._run(entry);
    } else {
      entry.waiting = true;
      if (large) this._largeWaiting++;
      this._waiting.push(entry);
      this._queue(chunk);
    }
  }

  /**
   * Handler slots bound how many requests run, not their size: requests over 64 KiB also need room in a budget of
   * maxRunningRequestBytes (one larger than it runs when no other large one does). Pings never reach here.
   */
  _largeFits(chunk) {
    return this._largeBytes === 0 || this._largeBytes + chunk.buffer.length <= this.maxRunningRequestBytes;
  }

  async _run(entry) {
    const { chunk, controller } = entry;
    this._active++;
    if (entry.large) this._largeBytes += chunk.buffer.length;
    const registration = this.handlers.get(chunk.cmd);
    const handler = registration?.fn ?? this.fallback;
    try {
      if (!handler) throw new RemoteError('UNKNOWN_COMMAND', `No handler for command '${chunk.cmd}'.`);
      const result = await handler(chunk.buffer, this._context(chunk, controller.signal, false));
      if (this._incoming.get(chunk.threadId) !== entry) return; // the channel closed meanwhile
      let answer;
      try {
        answer = toBuffer(result);
      } catch (e) {
        throw new TypeError(`The handler of '${chunk.cmd}' returned something that is not a buffer or a string: ${e.message}`);
      }
      let bytes;
      try {
        bytes = this.framer.encode({ threadId: chunk.threadId, direction: Direction.Response, cmd: chunk.cmd, buffer: answer });
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        throw new RemoteError('PAYLOAD_TOO_LARGE', `The answer of '${chunk.cmd}' (${answer.length} bytes) is over the framer's limits.`);
      }
      this._write(bytes);
    } catch (e) {
      if (this._incoming.get(chunk.threadId) === entry) this._respondError(chunk, e, controller.signal);
    } finally {
      if (this._incoming.get(chunk.threadId) === entry) this._incoming.delete(chunk.threadId);
      this._active--;
      if (entry.large) this._largeBytes -= chunk.buffer.length;
      this._pumpWaiting();
      this._checkIdle();
    }
  }

  _pumpWaiting() {
    // No handler starts while its answer could only wait in memory: the other side does not read what we wrote.
    // In arrival order; a large request that does not fit holds back the large ones behind it, not the small ones.
    let i = 0;
    let largeHeld = false;
    while (this._active < this.maxConcurrentHandlers && !this._outputFull && i < this._waiting.length && this._state !== 'closed') {
      const next = this._waiting[i];
      if (next.large && (largeHeld || !this._largeFits(next.chunk))) {
        largeHeld = true;
        i++;
        continue;
      }
      this._waiting.splice(i, 1);
      next.waiting = false;
      if (next.large) this._largeWaiting--;
      this._unqueue(next.chunk);
      this._run(next);
    }
  }

  _respondError(chunk, error, signal) {
    this._send({ threadId: chunk.threadId, direction: Direction.Response, cmd: ERROR, buffer: encodeError(error, this.includeErrorDetails, signal, this.framer.maxChunkBytes) });
  }

  _onOneWay(chunk) {
    const registration = this.handlers.get(chunk.cmd);
    if (registration?.inline) {
      this._runOneWay(registration.fn, chunk);
      return;
    }
    const handler = registration?.fn ?? this.fallback;
    if (!handler) {
      this.onWarning(`${this.name}: no handler for the one-way message '${chunk.cmd}'; dropped.`);
      return;
    }
    this._oneWays.push({ handler, chunk });
    this._queue(chunk);
    this._pumpOneWays();
  }

  _runOneWay(handler, chunk) {
    try {
      const result = handler(chunk.buffer, this._context(chunk, this._lifetime.signal, true));
      if (result && typeof result.then === 'function') {
        return result.then(undefined, (e) => this.onWarning(`${this.name}: the handler of the one-way message '${chunk.cmd}' failed: ${e?.message ?? e}`));
      }
    } catch (e) {
      this.onWarning(`${this.name}: the handler of the one-way message '${chunk.cmd}' failed: ${e?.message ?? e}`);
    }
    return undefined;
  }

  /** Runs one-way messages one at a time, in arrival order; synchronous handlers run at once. */
  async _pumpOneWays() {
    if (this._oneWayRunning) return;
    this._oneWayRunning = true;
    try {
      while (this._oneWays.length > 0) {
        const { handler, chunk } = this._oneWays.shift();
        this._unqueue(chunk);
        const pending = this._runOneWay(handler, chunk);
        if (pending !== undefined) await pending;
      }
    } finally {
      this._oneWayRunning = false;
      this._checkIdle();
    }
  }

  _context(chunk, signal, oneWay) {
    return { cmd: chunk.cmd, threadId: chunk.threadId, headers: chunk.headers ?? {}, oneWay, signal, channel: this };
  }

  /**
   * Counts a message waiting for its handler; past the limits, reading pauses until half of them have started. A full
   * output does not pause reading (answers to our own calls must still arrive, which the other side may wait for before
   * it reads again): it holds back new handlers, so the requests fill this queue instead.
   */
  _queue(chunk) {
    this._queuedMessages++;
    this._queuedBytes += chunk.buffer.length + chunk.cmd.length;
    if (!this._paused && (this._queuedMessages >= this.maxQueuedMessages || this._queuedBytes >= this.maxQueuedBytes)) {
      this._paused = true;
      if (typeof this.input.pause === 'function') this.input.pause();
    }
  }

  _unqueue(chunk) {
    this._queuedMessages--;
    this._queuedBytes -= chunk.buffer.length + chunk.cmd.length;
    if (this._paused && this._queuedMessages <= this.maxQueuedMessages / 2 && this._queuedBytes <= this.maxQueuedBytes / 2) {
      this._paused = false;
      if (this._state !== 'closed' && typeof this.input.resume === 'function') this.input.resume();
    }
  }
}

module.exports = { Channel, encodeError, decodeError, isRemoteError, MAX_TIMER_MS };
