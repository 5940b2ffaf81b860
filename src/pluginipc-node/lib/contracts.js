'use strict';

const { RemoteError, abortError } = require('./errors');

const MAX_OPEN_STREAMS = 64;
const MAX_WINDOW = 1024;
const CONSUMER_WINDOW = 64;
const MAX_BATCH_BYTES = 256 * 1024;
const IDLE_TIMEOUT_MS = 2 * 60 * 1000;
const NOT_READY = Symbol('not ready');

/** FNV-1a 32-bit of the UTF-8 bytes of `text`, as eight lowercase hex digits (protocol section 8). */
function fnv1a(text) {
  let hash = 2166136261;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 16777619) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/** Splits `a,b<c, d>,(e f, g)` at the commas outside brackets. */
function splitTopLevel(text) {
  const parts = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '<' || c === '(' || c === '[') depth++;
    else if (c === '>' || c === ')' || c === ']') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (text.length > 0) parts.push(text.slice(start));
  return parts;
}

function parseSignature(contractName, signature) {
  if (typeof signature !== 'string') throw new TypeError('A contract method is given by its signature string.');
  const open = signature.indexOf('(');
  let depth = 0;
  let close = -1;
  for (let i = open; open >= 0 && i < signature.length; i++) {
    if (signature[i] === '(') depth++;
    else if (signature[i] === ')' && --depth === 0) { close = i; break; }
  }
  if (open <= 0 || close < 0 || signature[close + 1] !== ':' || close + 2 >= signature.length) {
    throw new SyntaxError(`'${signature}' is not a contract signature like 'IGreeter.Hello(string):string'.`);
  }
  const cmd = signature.slice(0, open);
  // The protocol's own cmds are answered by the plugin side itself: a method of that name would replace it.
  if (cmd.startsWith('cmd.') || cmd.startsWith('bus.') || cmd === 'GetMetadata' || cmd === 'bridge.message' || cmd.includes(';') || cmd.includes('=')) {
    throw new SyntaxError(`'${cmd}' cannot be a contract method's cmd.`);
  }
  const args = splitTopLevel(signature.slice(open + 1, close));
  const result = signature.slice(close + 2);
  if (result.startsWith('stream<') && args.some((a) => a.startsWith('progress<'))) {
    throw new SyntaxError(`'${signature}': a stream cannot report progress (its items are its progress), as .NET's generator says too.`);
  }
  const prefix = contractName + '.';
  return {
    cmd,
    name: cmd.startsWith(prefix) ? cmd.slice(prefix.length) : cmd,
    signature,
    hash: fnv1a(signature),
    argumentCount: args.length,
    progressIndex: args.findIndex((a) => a.startsWith('progress<')),
    stream: result.startsWith('stream<'),
    void: result === 'void',
  };
}

/**
 * Describes a contract by its name and its methods' signatures, exactly as section 8 writes them
 * (`IGreeter.Hello(string):string`, `IGreeter.Count(int,int):stream<int>`): each signature gives the method's cmd, its
 * arguments, whether one is a progress token and whether it returns a stream, and the shape is computed from them.
 */
function defineContract(name, signatures) {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError('A contract needs a name.');
  // The name is part of the handshake's 'contract.{name}' key, whose shape list ';' and '=' delimit (section 8).
  if (name.includes(';') || name.includes('=')) throw new SyntaxError(`'${name}' cannot be a contract's name: it contains ';' or '='.`);
  if (!Array.isArray(signatures) || signatures.length === 0) throw new TypeError('A contract needs the signatures of its methods.');
  const methods = signatures.map((s) => parseSignature(name, s));
  const names = new Set();
  for (const m of methods) {
    if (names.has(m.name)) throw new SyntaxError(`Contract '${name}' has two methods named '${m.name}'.`);
    names.add(m.name);
  }
  const hash = fnv1a([...signatures].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((s) => s + '\n').join(''));
  const shape = [hash, ...methods.map((m) => `${m.cmd}=${m.hash}`)].join(';');
  return Object.freeze({ name, methods: Object.freeze(methods), shape, metadataKey: `contract.${name}` });
}

function invalid(message) {
  return new RemoteError('INVALID_REQUEST', message);
}

function readArray(format, buffer, what) {
  let value;
  try {
    value = format.decode(buffer);
  } catch (e) {
    throw invalid(`${what}: the ${buffer.length} bytes sent are not one value in the ${format.name} format: ${e.message}`);
  }
  if (!Array.isArray(value)) throw invalid(`${what}: expected an array in the ${format.name} format.`);
  return value;
}

function readInteger(value, what) {
  const n = typeof value === 'bigint' ? Number(value) : value;
  if (!Number.isSafeInteger(n)) throw invalid(`${what} is not an integer.`);
  return n;
}

function checkWindow(value, cmd) {
  const window = readInteger(value, `The window of '${cmd}'`);
  if (window < 1 || window > MAX_WINDOW) throw invalid(`'${cmd}' asked for ${window} items; a window is 1 to ${MAX_WINDOW}.`);
  return window;
}

/** Waits for `promise`, or returns NOT_READY when it has not settled once pending callbacks and I/O had their turn. */
function settledNow(promise) {
  return Promise.race([promise, new Promise((resolve) => setImmediate(resolve, NOT_READY))]);
}

/** One stream on its producer's side: the implementation's iterator, read a window at a time. */
class ProducerStream {
  constructor(owner, id, iterator, controller, cmd, channel) {
    Object.assign(this, { owner, id, iterator, controller, cmd, channel });
    this.busy = false;
    this.endRequested = false;
    this.ended = false;
    this.parked = null;
    this.fault = null;
    this.idle = null;
  }

  async next(window, first, signal) {
    if (this.busy) throw invalid(`Stream ${this.id} of '${this.cmd}' is already answering a request; ask for the next items when the last ones have come.`);
    if (this.endRequested) throw invalid(`Stream ${this.id} of '${this.cmd}' has ended.`);
    this.busy = true;
    if (this.idle !== null) clearTimeout(this.idle);
    const format = this.owner.format;
    let done = false;
    let aborted = null;
    const onAbort = () => this.requestEnd();
    signal?.addEventListener('abort', onAbort, { once: true });
    const cancelled = new Promise((resolve) => { aborted = resolve; });
    signal?.addEventListener('abort', () => aborted(NOT_READY), { once: true });
    // Ended meanwhile (cmd.stream.end, the connection): this request answers with what it has, whatever the iterator does.
    const onEnded = () => aborted(NOT_READY);
    this.controller.signal.addEventListener('abort', onEnded, { once: true });
    try {
      if (this.fault !== null) {
        done = true;
        throw this.fault;
      }
      const items = [];
      let bytes = 0;
      while (items.length < window && bytes < MAX_BATCH_BYTES && !this.endRequested) {
        const move = this.parked ?? Promise.resolve(this.iterator.next());
        this.parked = null;
        let step;
        try {
          step = first || items.length > 0 ? await settledNow(move) : await Promise.race([move, cancelled]);
        } catch (e) {
          if (items.length > 0) {
            this.fault = e; // the items before it go out first
            break;
          }
          throw e;
        }
        if (step === NOT_READY) {
          if (signal?.aborted) throw abortError(`'${this.cmd}' was cancelled.`);
          this.parked = move; // what is ready goes out now; the rest comes with the next request
          break;
        }
        if (step.done) {
          done = true;
          break;
        }
        bytes += format.encode(step.value).length;
        items.push(step.value);
      }
      done ||= this.endRequested;
      return format.encode([this.id, items, done]);
    } catch (e) {
      done = true;
      throw e;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.controller.signal.removeEventListener('abort', onEnded); // the stream's signal lives on: one listener per request would pile up
      this.busy = false;
      if (done || this.endRequested) this.end();
      else this.idle = setTimeout(() => this.requestEnd(), IDLE_TIMEOUT_MS).unref();
    }
  }

  requestEnd() {
    if (this.endRequested || this.ended) return;
    this.endRequested = true;
    this.owner.open.delete(this.id);
    this.controller.abort(abortError(`Stream ${this.id} of '${this.cmd}' was ended.`));
    if (!this.busy) this.end();
  }

  async end() {
    if (this.ended) return;
    this.ended = true;
    this.endRequested = true;
    this.owner.open.delete(this.id);
    this.owner.ending.add(this); // counted against the limit until its iterator has let go: one may never do so
    if (this.idle !== null) clearTimeout(this.idle);
    this.controller.abort(abortError(`Stream ${this.id} of '${this.cmd}' was ended.`));
    try {
      if (this.parked !== null) await this.parked; // an iterator may not be closed while it moves
    } catch {
      // cancelled, or failed after the consumer left: nobody waits for it
    }
    try {
      await this.iterator.return?.();
    } catch {
      // the implementation's clean-up failed; the stream is over either way
    } finally {
      this.owner.ending.delete(this);
    }
  }
}

/** The streams one side produces, the progress reports it receives, and the contracts it implements and calls. */
class ContractHost {
  /** @param {{ call, notify, handle, format, channel: () => object | null }} peer */
  constructor(peer) {
    this.peer = peer;
    this.open = new Map();
    this.ending = new Set(); // ended streams whose iterator has not finished yet
    this.lastStreamId = 0;
    this.progress = new Map(); // token -> callback, for our calls in flight
    this.lastToken = 0;
    this.installed = false;
  }

  get format() { return this.peer.format; }

  install() {
    if (this.installed) return;
    this.installed = true;
    this.peer.handle('cmd.stream.next', (buffer, ctx) => {
      const [id, window] = readArray(this.format, buffer, "'cmd.stream.next'");
      const streamId = readInteger(id, 'The stream id');
      const granted = checkWindow(window, 'cmd.stream.next');
      const stream = this.open.get(streamId);
      if (stream === undefined) throw invalid(`Stream ${streamId} is not open: it ended, it was idle for 120 s, or it never was.`);
      return stream.next(granted, false, ctx.signal);
    });
    this.peer.handle('cmd.stream.end', (buffer) => {
      const [id] = readArray(this.format, buffer, "'cmd.stream.end'");
      this.open.get(readInteger(id, 'The stream id'))?.requestEnd();
    });
    this.peer.handle('cmd.progress', (buffer) => {
      let token;
      let value;
      try {
        [token, value] = this.format.decode(buffer);
      } catch {
        return; // a report we cannot read is dropped, like one for no call
      }
      const report = this.progress.get(typeof token === 'bigint' ? Number(token) : token);
      if (report !== undefined) report(value);
    }, true);
  }

  /** Ends every stream of a connection that closed. */
  endStreamsOf(channel) {
    for (const stream of [...this.open.values()]) {
      if (stream.channel === channel) stream.requestEnd();
    }
  }

  /** Serves `contract`'s methods with `implementation`'s functions of the same names. */
  implement(contract, implementation) {
    if (!contract || !Array.isArray(contract.methods)) throw new TypeError('implement takes a contract from defineContract.');
    for (const method of contract.methods) {
      const fn = implementation[method.name];
      if (typeof fn !== 'function') throw new TypeError(`The implementation of '${contract.name}' has no function '${method.name}'.`);
    }
    this.install();
    for (const method of contract.methods) {
      this.peer.handle(method.cmd, (buffer, ctx) => this.serve(method, implementation, buffer, ctx));
    }
  }

  serve(method, implementation, buffer, ctx) {
    const expected = method.argumentCount + (method.stream ? 1 : 0);
    const args = readArray(this.format, buffer, `The arguments of '${method.cmd}' (${method.signature})`);
    if (args.length !== expected) {
      throw invalid(`'${method.cmd}' (${method.signature}) takes ${expected} values${method.stream ? ' (the arguments, then the window)' : ''}; ${args.length} were sent.`);
    }
    const context = { signal: ctx.signal, headers: ctx.headers, cmd: method.cmd };
    let running = true;
    if (method.progressIndex >= 0) {
      const token = args[method.progressIndex];
      args[method.progressIndex] = token === null || token === undefined
        ? () => {}
        : (value) => {
          if (running) this.peer.notify('cmd.progress', this.format.encode([token, value])).catch(() => {});
        };
    }
    if (method.stream) {
      const window = checkWindow(args.pop(), method.cmd);
      return this.openStream(method, implementation, args, context, window);
    }
    return (async () => {
      try {
        const result = await implementation[method.name](...args, context);
        return method.void ? undefined : this.format.encode(result);
      } finally {
        running = false;
      }
    })();
  }

  openStream(method, implementation, args, context, window) {
    if (this.open.size + this.ending.size >= MAX_OPEN_STREAMS) {
      throw new RemoteError('TOO_MANY_STREAMS', `'${method.cmd}' cannot open a stream: ${MAX_OPEN_STREAMS} streams are open on this connection, or ending while their iterators finish.`);
    }
    const controller = new AbortController();
    const iterable = implementation[method.name](...args, { ...context, signal: controller.signal });
    const iterator = iterable?.[Symbol.asyncIterator]?.() ?? iterable?.[Symbol.iterator]?.();
    if (!iterator || typeof iterator.next !== 'function') {
      throw new TypeError(`'${method.name}' of '${method.cmd}' returns a stream: it must return an async iterable (an async generator).`);
    }
    const stream = new ProducerStream(this, ++this.lastStreamId, iterator, controller, method.cmd, this.peer.channel());
    this.open.set(stream.id, stream);
    const cancelOpen = () => stream.requestEnd();
    context.signal?.addEventListener('abort', cancelOpen, { once: true });
    return stream.next(window, true, undefined).finally(() => context.signal?.removeEventListener('abort', cancelOpen));
  }

  /** A proxy whose functions call `contract`'s methods on the other side. */
  client(contract) {
    if (!contract || !Array.isArray(contract.methods)) throw new TypeError('client takes a contract from defineContract.');
    this.install();
    const proxy = {};
    for (const method of contract.methods) {
      proxy[method.name] = method.stream
        ? (...args) => this.stream(method, args)
        : (...args) => this.invoke(method, args);
    }
    return Object.freeze(proxy);
  }

  splitOptions(method, args) {
    if (args.length > method.argumentCount + 1) throw new TypeError(`'${method.cmd}' takes ${method.argumentCount} arguments and an optional options object.`);
    const options = args.length > method.argumentCount ? args[method.argumentCount] ?? {} : {};
    const values = args.slice(0, method.argumentCount);
    while (values.length < method.argumentCount) values.push(null);
    return { values, options };
  }

  async invoke(method, args) {
    const { values, options } = this.splitOptions(method, args);
    let token = null;
    if (method.progressIndex >= 0) {
      const report = values[method.progressIndex];
      if (report !== null && report !== undefined) {
        const callback = typeof report === 'function' ? report : report.report?.bind(report);
        if (typeof callback !== 'function') throw new TypeError('A progress argument is a function or an object with report(value).');
        token = ++this.lastToken;
        this.progress.set(token, callback);
      }
      values[method.progressIndex] = token;
    }
    try {
      const answer = await this.peer.call(method.cmd, this.format.encode(values), options);
      return method.void ? undefined : this.format.decode(answer);
    } finally {
      if (token !== null) this.progress.delete(token);
    }
  }

  /** Consumes a stream: an async iterable that asks for the next window as soon as a batch arrives, and ends the stream when left early. */
  stream(method, args) {
    const { values, options } = this.splitOptions(method, args);
    const host = this;
    return {
      async *[Symbol.asyncIterator]() {
        const format = host.format;
        const read = (buffer) => {
          const batch = format.decode(buffer);
          if (!Array.isArray(batch) || batch.length !== 3 || !Array.isArray(batch[1]) || batch[1].length > CONSUMER_WINDOW) {
            throw new RemoteError('INVALID_REQUEST', `A batch of the stream '${method.cmd}' is not [streamId, at most ${CONSUMER_WINDOW} items, done].`);
          }
          return { id: batch[0], items: batch[1], done: batch[2] === true };
        };
        let batch = read(await host.peer.call(method.cmd, format.encode([...values, CONSUMER_WINDOW]), options));
        const id = batch.id;
        let finished = batch.done;
        let next = null;
        const controller = new AbortController();
        const stopOnAbort = () => controller.abort(options.signal.reason);
        options.signal?.addEventListener('abort', stopOnAbort, { once: true });
        if (options.signal?.aborted) stopOnAbort(); // aborted before the listener was there
        // A window waits for as long as the producer takes (a live feed may be quiet for long): the caller's signal, or
        // leaving the loop, ends it; the call's timeout applies to the opening call only, as on the .NET side.
        const ask = () => {
          const p = host.peer.call('cmd.stream.next', format.encode([id, CONSUMER_WINDOW]), { signal: controller.signal, timeoutMs: Infinity });
          p.catch(() => {});
          return p;
        };
        try {
          for (;;) {
            if (!finished) next = ask();
            for (const item of batch.items) yield item;
            if (finished) return;
            batch = read(await next);
            next = null;
            finished = batch.done;
          }
        } finally {
          options.signal?.removeEventListener('abort', stopOnAbort);
          if (!finished) {
            controller.abort();
            host.peer.notify('cmd.stream.end', format.encode([id])).catch(() => {});
          }
        }
      },
    };
  }
}

module.exports = { defineContract, ContractHost, fnv1a };
