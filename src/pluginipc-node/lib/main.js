'use strict';

const path = require('path');
const { Channel, MAX_TIMER_MS } = require('./channel');
const { createFramer, toBuffer } = require('./framing');
const { RemoteError, ChannelClosedError, TimeoutError, abortError } = require('./errors');
const { resolveFormat } = require('./serializers');
const { Logger, LogSink, levelIndex } = require('./logger');
const { Bridge, BRIDGE_CMD } = require('./bridge');

const ENDED = Symbol('ended'); // a stop or the loss of the host, while the start hooks run
const { PluginBus } = require('./bus');
const { ContractHost } = require('./contracts');
const { readLaunch, openTransport, DEFAULT_COOKIE } = require('./launch');

const RESERVED = new Set(['GetMetadata', 'cmd.stop', 'cmd.ping', 'cmd.log', 'cmd.error', 'cmd.progress', 'cmd.stream.next', 'cmd.stream.end', BRIDGE_CMD]);
const SCOPES = new Set(['plugin', 'user', 'system']);
/** Matches a surrogate without its pair (in u mode a pair is one code point, outside the class). */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function defaultName() {
  const script = require.main?.filename ?? process.argv[1];
  return script ? path.basename(script, path.extname(script)) : 'plugin';
}

function positiveMs(value, name, allowInfinite) {
  if (allowInfinite && value === Infinity) return value;
  // A Node timer keeps at most 2^31 - 1 ms; a longer delay would fire at once.
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TIMER_MS) {
    throw new RangeError(`${name} must be a positive number of milliseconds, at most 2147483647 (about 24.8 days)${allowInfinite ? ', or Infinity' : ''}.`);
  }
  return value;
}

function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

/** Waits for a writable stream to flush what it holds (bounded by `ms`). */
function flushed(stream, ms) {
  if (!stream || stream.writableFinished || stream.destroyed || typeof stream.once !== 'function') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    const done = () => { clearTimeout(timer); resolve(); };
    stream.once('finish', done);
    stream.once('close', done);
    stream.once('error', done);
  });
}

/**
 * The plugin's handle on its host: what `require('pluginipc').main` is, and what `createMain()` makes for tests or for a
 * process that hosts its Main by hand.
 */
class Main {
  constructor(options = {}) {
    this._options = {
      name: defaultName(),
      cookie: DEFAULT_COOKIE,
      metadata: {},
      serializer: 'msgpack',
      stopGracePeriodMs: 3000,
      hostPingIntervalMs: 5000,
      hostPingTimeoutMs: 5000,
      callTimeoutMs: 30000,
      minimumLogLevel: 'Information',
      maxCmdBytes: undefined,
      maxChunkBytes: undefined,
      maxConcurrentHandlers: 256,
      maxQueuedMessages: 1024,
      maxQueuedBytes: 16 * 1024 * 1024,
      maxRunningRequestBytes: 64 * 1024 * 1024,
      maxUnsentBytes: 16 * 1024 * 1024,
      includeErrorDetails: false,
      exitProcess: true,
    };
    this._handlers = new Map();
    this._fallback = null;
    this._startHooks = [];
    this._stopHooks = [];
    this._configHooks = [];
    this._sink = new LogSink();
    this._state = 'created';
    this._channel = null;
    this._connected = deferred();
    this._started = deferred();
    this._startedDone = false;
    this._stopRequested = deferred();
    this._stopController = new AbortController();
    this._bridgeConnected = false;
    this._autoStart = false;
    this._autoStartScheduled = false;
    this._runPromise = null;
    this.logger = new Logger(this._sink, this._options.name);
    this.bridge = new Bridge(this);
    this.bus = new PluginBus(this);
    const self = this;
    this._contracts = new ContractHost({
      call: (cmd, buffer, opts) => this.call(cmd, buffer, opts),
      notify: (cmd, buffer) => this.notify(cmd, buffer),
      handle: (cmd, fn, inline) => this._register(cmd, fn, { inline, gated: false, internal: true }),
      channel: () => this._channel,
      get format() { return self.format; },
    });
    this.bus.install((cmd, fn, inline) => this._register(cmd, fn, { inline, gated: false, internal: true }));
    // Sent as a Request, bridge.message is answered empty and otherwise ignored (protocol section 13): only the host's
    // one-way messages reach the bridge, so a request relayed from elsewhere cannot pose as the plugin's owner.
    this._register(BRIDGE_CMD, (buffer, context) => {
      if (context.oneWay) this.bridge._emitSafely('message', buffer.toString('utf8'));
    }, { internal: true, gated: false });
    this.config = Object.freeze({
      get: (scope, key) => this._configGet(scope, key),
      set: (scope, key, value) => this._configSet(scope, key, value),
      remove: (scope, key) => this._configRemove(scope, key),
    });
    this.configure(options);
  }

  /** Changes settings; only before the plugin runs. Returns this Main. */
  configure(options = {}) {
    this._touch();
    if (this._state !== 'created') throw new Error('configure must be called before the plugin starts.');
    const o = { ...this._options };
    for (const [key, value] of Object.entries(options)) {
      if (!(key in o)) throw new RangeError(`Unknown option '${key}'.`);
      if (value !== undefined) o[key] = value;
    }
    if (typeof o.name !== 'string' || o.name.length === 0) throw new TypeError('name must be a non-empty string.');
    if (typeof o.cookie !== 'string' || o.cookie.length === 0) throw new TypeError('cookie must be a non-empty string.');
    resolveFormat(o.serializer);
    positiveMs(o.stopGracePeriodMs, 'stopGracePeriodMs', false);
    positiveMs(o.hostPingIntervalMs, 'hostPingIntervalMs', true);
    positiveMs(o.hostPingTimeoutMs, 'hostPingTimeoutMs', false);
    positiveMs(o.callTimeoutMs, 'callTimeoutMs', true);
    for (const limit of ['maxConcurrentHandlers', 'maxQueuedMessages', 'maxQueuedBytes', 'maxRunningRequestBytes', 'maxUnsentBytes']) {
      if (o[limit] !== Infinity && (!Number.isSafeInteger(o[limit]) || o[limit] < 1)) throw new RangeError(`${limit} must be a positive integer or Infinity (no limit), not ${o[limit]}.`);
    }
    this._sink.minimum = levelIndex(o.minimumLogLevel);
    createFramer('text', { maxCmdBytes: o.maxCmdBytes, maxChunkBytes: o.maxChunkBytes });
    if (this.logger && this.logger.category === this._options.name) this.logger.category = o.name;
    this._options = o;
    return this;
  }

  /** The plugin's name, announced in the handshake. */
  get name() { return this._options.name; }

  /** The serializer format of typed calls, contracts, the bus and the configuration store. */
  get format() { return resolveFormat(this._options.serializer); }

  /** True while a channel to the host is open. */
  get isConnected() { return this._channel !== null && this._channel.isOpen; }

  /** An AbortSignal that fires when the plugin starts to stop. */
  get stopping() { return this._stopController.signal; }

  /** The handshake metadata: the configured entries, the contracts' shapes, then protocol, name and serializer. */
  get metadata() {
    return { ...this._options.metadata, ...this._shapes(), protocol: '1', name: this.name, serializer: this.format.name };
  }

  /** Registers the handler of the host's requests and one-way messages with this cmd. Returns this Main. */
  handle(cmd, handler) {
    this._touch();
    if (typeof handler !== 'function') throw new TypeError('handle takes a cmd and a handler function.');
    this._register(cmd, handler, { gated: true });
    return this;
  }

  /** Registers the handler of cmds without one of their own (null removes it). Returns this Main. */
  handleFallback(handler) {
    this._touch();
    if (handler !== null && typeof handler !== 'function') throw new TypeError('handleFallback takes a function or null.');
    this._fallback = handler === null ? null : this._gate(handler);
    if (this._channel !== null) this._channel.fallback = this._fallback;
    return this;
  }

  /** Registers a handler whose request and answer are values in the serializer format (protocol section 7). */
  handleTyped(cmd, handler) {
    if (typeof handler !== 'function') throw new TypeError('handleTyped takes a cmd and a handler function.');
    return this.handle(cmd, async (buffer, ctx) => {
      let value;
      try {
        value = this.format.decode(buffer);
      } catch (e) {
        throw new RemoteError('INVALID_REQUEST', `'${cmd}' expects a value in the ${this.format.name} format; the ${buffer.length} bytes sent are not one: ${e.message}`);
      }
      const result = await handler(value, ctx);
      return result === undefined ? undefined : this.format.encode(result);
    });
  }

  /** Runs `hook({ signal, main })` once connected, before any request from the host is handled. */
  onStart(hook) {
    this._touch();
    if (typeof hook !== 'function') throw new TypeError('onStart takes a function.');
    this._startHooks.push(hook);
    return this;
  }

  /** Runs `hook({ signal, main })` when the plugin stops, after in-flight requests finished or were cancelled; the signal fires after the grace period. */
  onStop(hook) {
    this._touch();
    if (typeof hook !== 'function') throw new TypeError('onStop takes a function.');
    this._stopHooks.push(hook);
    return this;
  }

  /** Calls the host; resolves with the answer's buffer. Options: timeoutMs, signal, headers. Waits for the connection first. */
  async call(cmd, buffer, options = {}) {
    this._touch();
    const channel = await this._whenConnected(options);
    return channel.call(cmd, toBuffer(buffer), { timeoutMs: this._options.callTimeoutMs, ...options });
  }

  /** Calls the host with a value in the serializer format and resolves with the answer's value. */
  async callTyped(cmd, value, options = {}) {
    const answer = await this.call(cmd, this.format.encode(value), options);
    return answer.length === 0 ? undefined : this.format.decode(answer);
  }

  /**
   * Sends the host a one-way message; resolves once it is written, or rejects with ChannelClosedError if the connection
   * closed while it waited in a full output (the host was not reading): then it may never have reached the host.
   */
  async notify(cmd, buffer, options = {}) {
    this._touch();
    const channel = await this._whenConnected(options);
    channel.notify(cmd, toBuffer(buffer), options);
    if (!(await channel.whenWritable())) {
      throw new ChannelClosedError(`Plugin '${this.name}': the connection closed while '${cmd}' waited to be written; the host may not have received it.`, channel.closeReason);
    }
  }

  /** Pings the host. */
  async ping(options = {}) {
    const channel = await this._whenConnected(options);
    await channel.ping(options.timeoutMs ?? this._options.hostPingTimeoutMs, options.signal);
  }

  /** Subscribes `handler(payload, message)` to a topic (or, with `{ pattern: true }`, a pattern); resolves with a function that unsubscribes. */
  subscribe(topic, handler, options) {
    this._touch();
    return this.bus.subscribe(topic, handler, options);
  }

  /** Publishes a payload to a topic through the host's bus. */
  publish(topic, payload) {
    this._touch();
    return this.bus.publish(topic, payload);
  }

  /** Asks the subscribers of a topic; resolves with `{ topic, publisher, payload }`, or an array of them with `{ all: true }`. */
  request(topic, payload, options) {
    this._touch();
    return this.bus.request(topic, payload, options);
  }

  /** Runs `hook(change, message)` when this plugin's configuration changes (`sys.config.changed`). */
  onConfigChanged(hook) {
    this._touch();
    if (typeof hook !== 'function') throw new TypeError('onConfigChanged takes a function.');
    if (this._configHooks.length === 0) {
      this.bus.subscribe('sys.config.changed', async (payload, message) => {
        let change = null;
        try {
          change = JSON.parse(payload.toString('utf8'));
        } catch {
          // a payload published by someone else: handed over as it is
        }
        for (const h of this._configHooks) await h(change, message);
      });
    }
    this._configHooks.push(hook);
    return this;
  }

  /** Serves a contract (from defineContract) with an implementation's functions of the same names, and announces its shape. */
  implement(contract, implementation) {
    this._touch();
    this._contracts.implement(contract, implementation);
    (this._implemented ??= new Map()).set(contract.metadataKey, contract.shape);
    return this;
  }

  /** A proxy that calls a contract the host implements: one function per method; a stream method returns an async iterable. */
  contract(contract) {
    this._touch();
    return this._contracts.client(contract);
  }

  /** Stops the plugin as if the host had sent `cmd.stop`. */
  stop() {
    this._stopRequested.resolve();
  }

  /**
   * Starts as the host launched this process (environment variables of protocol section 6). A missing or wrong cookie
   * prints one line to stderr and exits with code 1. Resolves with the exit code; with `exitProcess` (the default) the
   * process then exits with it.
   */
  start() {
    if (this._runPromise !== null) return this._runPromise;
    let contract = readLaunch(process.env, this._options.cookie, this.name);
    let transport;
    if (contract.error === undefined) {
      try {
        transport = openTransport(contract);
      } catch (e) {
        // A descriptor that is not open (EBADF) or not usable: the same one line as a bad variable, not a stack trace.
        const where = contract.inFd === null ? 'stdin and stdout' : `PLUGINIPC_IN_FD ${contract.inFd} and PLUGINIPC_OUT_FD ${contract.outFd}`;
        contract = { error: `${this.name}: cannot open the channel on ${where}: ${e.message}` };
      }
    }
    if (contract.error !== undefined) {
      this._state = 'stopped';
      process.stderr.write(contract.error + '\n');
      process.exitCode = 1;
      if (this._options.exitProcess) process.exit(1);
      this._runPromise = Promise.resolve(1);
      return this._runPromise;
    }
    const { input, output } = transport;
    this._runPromise = this._run({ input, output, framer: contract.framer }).then(async (code) => {
      await flushed(output, 1000);
      if (this._options.exitProcess) {
        process.exitCode = code;
        process.stderr.write('', () => process.exit(code));
      }
      return code;
    });
    return this._runPromise;
  }

  /**
   * Runs the plugin over given streams until the host stops it or goes away; resolves with the exit code (0, or 1 when a
   * start hook failed). For tests and in-process hosts: nothing here reads the environment or exits the process.
   */
  run(transport) {
    if (this._runPromise !== null) return this._runPromise;
    this._runPromise = this._run(transport);
    return this._runPromise;
  }

  // ------------------------------------------------------------ internals

  _touch() {
    if (this._autoStart && !this._autoStartScheduled) {
      this._autoStartScheduled = true;
      setImmediate(() => {
        if (this._runPromise === null) this.start();
      });
    }
  }

  _shapes() {
    return this._implemented ? Object.fromEntries(this._implemented) : {};
  }

  _gate(fn) {
    return (buffer, ctx) => (this._startedDone ? fn(buffer, ctx) : this._started.promise.then((started) => {
      if (!started) throw new RemoteError('SHUTTING_DOWN', `Plugin '${this.name}' did not start: '${ctx.cmd}' was not run.`);
      if (ctx.signal?.aborted) throw abortError(`'${ctx.cmd}' was cancelled while the plugin started; it was not run.`, ctx.signal.reason);
      return fn(buffer, ctx);
    }));
  }

  _register(cmd, fn, { inline = false, gated = true, internal = false } = {}) {
    if (typeof cmd !== 'string' || cmd.length === 0) throw new TypeError('cmd must be a non-empty string.');
    if (!internal && RESERVED.has(cmd)) throw new RangeError(`'${cmd}' is answered by the plugin side itself.`);
    const wrapped = gated ? this._gate(fn) : fn;
    this._handlers.set(cmd, { fn: wrapped, inline });
    if (this._channel !== null) this._channel.handle(cmd, wrapped, inline);
  }

  async _whenConnected(options) {
    if (this._channel !== null) return this._channel;
    if (this._state === 'stopped') throw new ChannelClosedError(`Plugin '${this.name}' is not connected to a host.`);
    const timeoutMs = options.timeoutMs ?? this._options.callTimeoutMs;
    let timer;
    const waits = [this._connected.promise];
    if (Number.isFinite(timeoutMs) && timeoutMs <= MAX_TIMER_MS) { // longer: as good as none (a Node timer would fire at once)
      waits.push(new Promise((_, reject) => { timer = setTimeout(() => reject(new TimeoutError(`Plugin '${this.name}' did not connect to its host within ${timeoutMs} ms.`)), timeoutMs); }));
    }
    try {
      return await Promise.race(waits);
    } finally {
      clearTimeout(timer);
    }
  }

  async _run({ input, output, framer }) {
    if (this._state !== 'created') throw new Error('The plugin was already started.');
    this._state = 'running';
    const o = this._options;
    const limits = { maxCmdBytes: o.maxCmdBytes, maxChunkBytes: o.maxChunkBytes };
    const channel = new Channel({
      input,
      output: output ?? input,
      framer: framer === undefined || typeof framer === 'string' ? createFramer(framer, limits) : framer,
      name: `plugin '${o.name}'`,
      maxConcurrentHandlers: o.maxConcurrentHandlers,
      maxQueuedMessages: o.maxQueuedMessages,
      maxQueuedBytes: o.maxQueuedBytes,
      maxRunningRequestBytes: o.maxRunningRequestBytes,
      maxUnsentBytes: o.maxUnsentBytes,
      callTimeoutMs: o.callTimeoutMs,
      includeErrorDetails: o.includeErrorDetails,
      onWarning: (message) => this.logger.warn(message),
    });
    channel.handle('GetMetadata', this._gate(() => {
      if (!this._bridgeConnected) {
        this._bridgeConnected = true;
        setImmediate(() => this.bridge._emitSafely('connect'));
      }
      return Buffer.from(JSON.stringify(this.metadata), 'utf8');
    }));
    channel.handle('cmd.stop', () => this.stop(), true);
    for (const [cmd, registration] of this._handlers) channel.handle(cmd, registration.fn, registration.inline);
    channel.fallback = this._fallback;
    this._channel = channel;
    channel.start();
    this._sink.attach((entry) => {
      if (channel.outputFull) return false; // log entries never wait, nor grow memory while the host does not read
      channel.notify('cmd.log', Buffer.from(JSON.stringify(entry), 'utf8'));
      return true;
    });
    this._connected.resolve(channel);

    let exitCode = 0;
    let started = true;
    // A stop, or the loss of the host, does not wait for the start hooks: their signal fires, and the plugin stops without
    // them (protocol section 6: a plugin that loses its host exits promptly).
    const ended = Promise.race([this._stopRequested.promise, channel.closed]).then(() => ENDED);
    try {
      for (const hook of this._startHooks) {
        const outcome = await Promise.race([Promise.resolve().then(() => hook({ signal: this.stopping, main: this })), ended]);
        if (outcome === ENDED) {
          this._stopController.abort(new Error(`Plugin '${o.name}' is stopping.`));
          started = false;
          break;
        }
      }
    } catch (e) {
      this.logger.error(`Plugin '${o.name}' failed to start.`, e);
      exitCode = 1;
      started = false;
      this.stop();
    }
    if (started && this.bus.subscribing) {
      // Subscribes made outside the hooks (at the top level) are the start's too: the host drops, once the handshake is
      // answered, the subscriptions of an earlier process that this one has not made again (protocol section 9).
      const outcome = await Promise.race([this.bus.settled(), ended]);
      if (outcome === ENDED) started = false;
    }
    // Handlers run only after a whole start: the host's requests that waited for it are answered SHUTTING_DOWN otherwise.
    this._startedDone = started;
    this._started.resolve(started);

    let pinging = null;
    if (exitCode === 0) {
      const lost = deferred();
      if (o.hostPingIntervalMs !== Infinity) {
        pinging = setInterval(() => {
          channel.ping(o.hostPingTimeoutMs).catch((e) => {
            if (e instanceof TimeoutError) {
              this.logger.warn(`The host did not answer a ping within ${o.hostPingTimeoutMs} ms; plugin '${o.name}' stops.`);
              lost.resolve();
            }
          });
        }, o.hostPingIntervalMs);
      }
      await Promise.race([this._stopRequested.promise, channel.closed, lost.promise]);
    }
    if (pinging !== null) clearInterval(pinging);
    await this._stop(channel);
    return exitCode;
  }

  async _stop(channel) {
    this._stopController.abort(new Error(`Plugin '${this.name}' is stopping.`));
    if (this._bridgeConnected) this.bridge._emitSafely('disconnect');
    await channel.close(this._options.stopGracePeriodMs);
    this._state = 'stopped';
    this.bus.close();
    this._contracts.endStreamsOf(channel);
    this._sink.detach();
    const grace = this._options.stopGracePeriodMs;
    const controller = new AbortController();
    let timer;
    const timeout = new Promise((resolve) => { timer = setTimeout(() => { controller.abort(new Error('The stop grace period is over.')); resolve('cut'); }, grace); });
    try {
      for (const hook of this._stopHooks) {
        const outcome = await Promise.race([Promise.resolve().then(() => hook({ signal: controller.signal, main: this })).then(() => 'done'), timeout]);
        if (outcome === 'cut') {
          // Not a failure of the hook (as the .NET plugin side says too): its time was up.
          this.logger.warn(`The stop hook of plugin '${this.name}' did not finish within the stop grace period (${grace} ms); the plugin stops without it.`);
          break;
        }
      }
    } catch (e) {
      this.logger.error(`The stop hook of plugin '${this.name}' failed.`, e);
    } finally {
      clearTimeout(timer);
    }
  }

  _configArgs(scope, key, needKey) {
    if (!SCOPES.has(scope)) throw new RangeError(`Unknown configuration scope '${scope}'; expected plugin, user or system.`);
    // get's key may be null or undefined (the whole scope), as the protocol's nil.
    if (needKey || (key !== undefined && key !== null)) {
      if (typeof key !== 'string' || key.length === 0 || key.length > 256) throw new RangeError('A configuration key is a non-empty string of at most 256 characters.');
      // An unpaired surrogate has no UTF-8 form: the host would get U+FFFD and another key.
      if (LONE_SURROGATE.test(key)) throw new RangeError('A configuration key may not hold an unpaired surrogate.');
    }
  }

  async _configGet(scope, key) {
    this._configArgs(scope, key, false);
    const answer = this.format.decode(await this.call('config.get', this.format.encode([scope, key ?? null])));
    return answer === null || answer === undefined ? undefined : JSON.parse(answer);
  }

  async _configSet(scope, key, value) {
    this._configArgs(scope, key, true);
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError('A configuration value must have a JSON form.');
    await this.call('config.set', this.format.encode([scope, key, text]));
  }

  async _configRemove(scope, key) {
    this._configArgs(scope, key, true);
    return this.format.decode(await this.call('config.remove', this.format.encode([scope, key]))) === true;
  }
}

/** The process's own Main: it starts by itself (on the next turn of the event loop) once the plugin's code first uses it. */
function createDefaultMain() {
  const main = new Main();
  main._autoStart = true;
  const touch = () => main._touch();
  for (const method of ['on', 'once', 'addListener', 'prependListener', 'send', 'sendJson', 'onJson']) {
    const original = main.bridge[method];
    main.bridge[method] = function (...args) {
      touch();
      return original.apply(this, args);
    };
  }
  const write = main._sink.write.bind(main._sink);
  main._sink.write = (...args) => {
    touch();
    write(...args);
  };
  return main;
}

module.exports = { Main, createDefaultMain };
