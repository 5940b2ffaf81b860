'use strict';

const { RemoteError, ProtocolError, TimeoutError, abortError } = require('./errors');
const { toBuffer } = require('./framing');
const { MAX_TIMER_MS } = require('./channel');

const HOST_MARGIN_MS = 5000;
const QUEUE_CAPACITY = 1024;
const QUEUE_BYTES = 16 * 1024 * 1024;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const MAX_TOPIC_BYTES = 256;
const MAX_EXPANDED_BYTES = 512; // a `:topic` of 256 bytes gains its application id (protocol section 10)
const MAX_STARS = 8;
const MAX_NAME_LENGTH = 256; // an origin (a host id, 32 hex digits) or a publisher (a plugin name, 128 characters at most)
const MAX_TRACKED = 4096; // topics and origins whose last sequence is kept, as GapTracker.MaxTracked in .NET

/** The first 40 characters of a string the host sent, for a message that names it. */
const preview = (text) => (text.length > 40 ? `${text.slice(0, 40)}...` : text);

/** Why `topic` is not a valid topic (or pattern) of at most `maxBytes` UTF-8 bytes, or null (protocol section 9). */
function topicProblem(topic, pattern, maxBytes) {
  const what = pattern ? 'pattern' : 'topic';
  if (typeof topic !== 'string' || topic.length === 0) return `A ${what} is a non-empty string.`;
  // A UTF-16 unit is one UTF-8 byte at least: the length tells a huge string before it is measured.
  if (topic.length > maxBytes || Buffer.byteLength(topic, 'utf8') > maxBytes) return `The ${what} '${preview(topic)}' is longer than ${maxBytes} UTF-8 bytes.`;
  if (CONTROL.test(topic)) return `The ${what} '${preview(topic)}' holds a control character.`;
  let stars = 0;
  for (let at = topic.indexOf('*'); at >= 0; at = topic.indexOf('*', at + 1)) stars++;
  if (!pattern && stars > 0) return `The topic '${preview(topic)}' holds '*'; subscribe to patterns with { pattern: true }.`;
  if (stars > MAX_STARS) return `The pattern '${preview(topic)}' has more than ${MAX_STARS} '*'.`;
  return null;
}

function validateTopic(topic, pattern) {
  const problem = topicProblem(topic, pattern, MAX_TOPIC_BYTES);
  if (problem !== null) throw typeof topic === 'string' && topic.length > 0 ? new RangeError(problem) : new TypeError(problem);
}

/**
 * Compiles a pattern, each `*` of which matches any run of characters (the empty one, dots included), to a test of topics.
 * As TopicPattern.cs: the first part anchors the start, the last one the end, and each one between is found leftmost after
 * the one before, which is exact for `*`. No backtracking: a test costs a scan of the topic per part at most.
 */
function compilePattern(pattern) {
  const parts = pattern.split('*');
  if (parts.length === 1) return (topic) => topic === pattern;
  const first = parts[0];
  const last = parts[parts.length - 1];
  const middle = parts.slice(1, -1).filter((part) => part.length > 0);
  const least = pattern.length - (parts.length - 1); // the characters the parts need between them
  return (topic) => {
    if (topic.length < least || !topic.startsWith(first)) return false;
    let at = first.length;
    for (const part of middle) {
      const found = topic.indexOf(part, at);
      if (found < 0) return false;
      at = found + part.length;
    }
    return topic.length - at >= last.length && topic.endsWith(last);
  };
}

const isSystem = (topic) => topic.startsWith('sys.');
const sizeOf = (message) => message.payload?.length ?? 0;

/** A topic the host's allow-list gives (null: every topic but the system ones); patterns are left to the host. */
function allows(list, topic) {
  if (list === null || list === undefined) return !isSystem(topic);
  return list.some((entry) => (isSystem(topic) && !entry.startsWith('sys.') ? false : entry === topic || (entry.includes('*') && compilePattern(entry)(topic))));
}

/** The allow-list of a `bus.hello` answer: nil, or an array of topics and patterns (their `:` applied); else why not. */
function allowListProblem(list, name) {
  if (list === null || list === undefined) return null;
  if (!Array.isArray(list)) return `its ${name} list is neither nil nor an array`;
  for (let i = 0; i < list.length; i++) {
    const problem = topicProblem(list[i], true, MAX_EXPANDED_BYTES);
    if (problem !== null) return `entry ${i} of its ${name} list: ${problem}`;
  }
  return null;
}

/** Why a `bus.hello` answer is not `[applicationId, hostId, publish, subscribe]` as protocol section 9 says, or null. */
function helloProblem(value) {
  if (!Array.isArray(value) || value.length < 4) return 'it is not an array of four values';
  const [applicationId, hostId, publish, subscribe] = value;
  if (applicationId !== null && applicationId !== undefined && applicationId !== '' && topicProblem(applicationId, false, MAX_TOPIC_BYTES) !== null) {
    return `its applicationId is neither nil nor a string of at most ${MAX_TOPIC_BYTES} UTF-8 bytes without control characters or '*'`;
  }
  if (typeof hostId !== 'string' || hostId.length > MAX_NAME_LENGTH) return `its hostId is not a string of at most ${MAX_NAME_LENGTH} characters`;
  return allowListProblem(publish, 'publish') ?? allowListProblem(subscribe, 'subscribe');
}

/** Why a field of a `bus.message` or `bus.request` is not what protocol section 9 says, or null. */
function messageProblem(topic, origin, sequence, publisher) {
  const topicWhy = topicProblem(topic, false, MAX_EXPANDED_BYTES);
  if (topicWhy !== null) return `its topic: ${topicWhy}`;
  if (typeof origin !== 'string' || origin.length > MAX_NAME_LENGTH) return `its origin is not a string of at most ${MAX_NAME_LENGTH} characters`;
  if (!Number.isInteger(sequence) || sequence < 0) return 'its sequence is not a non-negative integer';
  if (publisher !== null && (typeof publisher !== 'string' || publisher.length > MAX_NAME_LENGTH)) return `its publisher is neither nil nor a string of at most ${MAX_NAME_LENGTH} characters`;
  return null;
}

/**
 * One handler of a topic or pattern, with its own bounded queue: past 1,024 messages or 16 MiB of payloads the oldest is
 * dropped, and counted in the `missed` of the next message this handler gets (protocol section 9: a gap).
 */
class Subscription {
  constructor(bus, topic, pattern, handler) {
    Object.assign(this, { bus, topic, pattern, handler });
    this.matcher = pattern ? compilePattern(topic) : null;
    this.queue = [];
    this.queuedBytes = 0;
    this.dropped = 0;
    this.running = false;
    this.closed = false;
  }

  matches(topic) {
    return this.matcher === null ? this.topic === topic : this.matcher(topic);
  }

  offer(message) {
    if (this.closed) return;
    this.queue.push(message);
    this.queuedBytes += sizeOf(message);
    while (this.queue.length > QUEUE_CAPACITY || (this.queuedBytes > QUEUE_BYTES && this.queue.length > 1)) {
      this.queuedBytes -= sizeOf(this.queue.shift());
      this.dropped++;
    }
    this.pump();
  }

  async pump() {
    if (this.running) return;
    this.running = true;
    while (this.queue.length > 0 && !this.closed) {
      let message = this.queue.shift();
      this.queuedBytes -= sizeOf(message);
      if (this.dropped > 0) {
        message = { ...message, missed: message.missed + this.dropped }; // the message is shared with other subscribers
        this.dropped = 0;
      }
      try {
        await this.handler(message.payload, message);
      } catch (e) {
        this.bus.main.logger.error(`A subscriber of '${this.topic}' failed on a message.`, e);
      }
    }
    this.running = false;
  }
}

/** A plugin's side of the bus (protocol section 9): the host brokers; the plugin subscribes once per topic and fans out. */
class PluginBus {
  constructor(main) {
    this.main = main;
    this.subscriptions = [];
    this.hostCounts = new Map(); // `${pattern}:${topic}` -> handlers here
    this.hostSubscribed = new Set(); // the keys the host has confirmed
    this._changes = Promise.resolve(); // the host's subscriptions change one at a time, in order
    this.sequences = new Map(); // `${origin}\n${topic}` -> last sequence seen, of topics subscribed here only
    this.unreadable = 0; // bus messages from the host that could not be read, dropped
    this._inFlight = new Set(); // subscribes waiting for the host's answer
    this._hello = null;
  }

  get format() { return this.main.format; }

  install(handle) {
    handle('bus.message', (buffer) => this.onMessage(buffer), true);
    handle('bus.request', (buffer, ctx) => this.onRequest(buffer, ctx));
  }

  /** Asks the host once for its application id and this plugin's allow-lists; a failure is not kept. */
  hello() {
    if (this._hello === null) {
      this._hello = this.main.call('bus.hello', Buffer.alloc(0)).then((answer) => {
        const value = this.format.decode(answer);
        const problem = helloProblem(value);
        if (problem !== null) throw new ProtocolError(`The host's answer to 'bus.hello' is not [applicationId, hostId, publish, subscribe] in the ${this.format.name} format: ${problem}.`);
        const [applicationId, hostId, publish, subscribe] = value;
        return { applicationId: applicationId ?? null, hostId, publish: publish ?? null, subscribe: subscribe ?? null };
      }).catch((e) => { // an answer that cannot be read is not kept either
        this._hello = null;
        if (e instanceof RemoteError && e.code === 'UNKNOWN_COMMAND') {
          throw new RemoteError(e.code, `The host of plugin '${this.main.name}' has no bus: it answered 'bus.hello' with UNKNOWN_COMMAND.`);
        }
        throw e;
      });
    }
    return this._hello;
  }

  expand(topic, host) {
    return topic.startsWith(':') && host.applicationId ? host.applicationId + topic : topic;
  }

  async publish(topic, payload) {
    validateTopic(topic, false);
    const host = await this.hello();
    topic = this.expand(topic, host);
    if (!allows(host.publish, topic)) throw new RemoteError('FORBIDDEN', `Plugin '${this.main.name}' may not publish to topic '${topic}' (its host's allow-list).`);
    await this.main.notify('bus.publish', this.format.encode([topic, this.format.binary(toBuffer(payload))]));
  }

  subscribe(topic, handler, options = {}) {
    const subscribing = this._subscribe(topic, handler, options);
    this._inFlight.add(subscribing);
    const done = () => this._inFlight.delete(subscribing);
    subscribing.then(done, done);
    return subscribing;
  }

  /** Whether subscribes wait for the host's answer. */
  get subscribing() {
    return this._inFlight.size > 0;
  }

  /** Resolves once the subscribes under way now have been taken or refused by the host (Main waits for them to start). */
  settled() {
    return Promise.allSettled([...this._inFlight]);
  }

  async _subscribe(topic, handler, options) {
    const pattern = options.pattern === true;
    validateTopic(topic, pattern);
    if (typeof handler !== 'function') throw new TypeError('subscribe takes a handler function.');
    const system = isSystem(topic);
    let expanded = topic;
    if (!system || topic.startsWith(':')) {
      const host = await this.hello();
      expanded = this.expand(topic, host);
      if (!pattern && !isSystem(expanded) && !allows(host.subscribe, expanded)) {
        throw new RemoteError('FORBIDDEN', `Plugin '${this.main.name}' may not subscribe to topic '${expanded}' (its host's allow-list).`);
      }
    }
    const subscription = new Subscription(this, expanded, pattern, handler);
    const key = `${pattern}:${expanded}`;
    this.hostCounts.set(key, (this.hostCounts.get(key) ?? 0) + 1);
    this.subscriptions.push(subscription);
    try {
      await this.syncHost(key, expanded, pattern);
    } catch (e) {
      this.remove(subscription);
      throw e;
    }
    return () => this.unsubscribe(subscription);
  }

  /**
   * Brings the host's subscription of `key` in line with the handlers here, after every earlier change: a subscriber
   * resolves only once the host has taken the topic (or rejects with the host's refusal), and an unsubscribe that is still
   * on its way cannot undo a later subscribe.
   */
  syncHost(key, topic, pattern) {
    if (isSystem(topic)) return Promise.resolve(); // always received
    const change = this._changes.then(async () => {
      const wanted = (this.hostCounts.get(key) ?? 0) > 0;
      if (wanted && !this.hostSubscribed.has(key)) {
        try {
          await this.main.call('bus.subscribe', this.format.encode([topic, pattern]));
        } catch (e) {
          // Unanswered in time, the host may still have taken it: taken back, or its messages would fill our queue there.
          if (e instanceof TimeoutError) await this.main.call('bus.unsubscribe', this.format.encode([topic, pattern])).catch(() => {});
          throw e;
        }
        this.hostSubscribed.add(key);
      } else if (!wanted && this.hostSubscribed.has(key)) {
        this.hostSubscribed.delete(key);
        if (this.main.isConnected) {
          try {
            await this.main.call('bus.unsubscribe', this.format.encode([topic, pattern]));
          } catch {
            // the host is gone, or the plugin is stopping: nothing to unsubscribe from
          }
        }
      }
    });
    this._changes = change.catch(() => {});
    return change;
  }

  remove(subscription) {
    subscription.closed = true;
    const index = this.subscriptions.indexOf(subscription);
    if (index < 0) return -1;
    this.subscriptions.splice(index, 1);
    const key = `${subscription.pattern}:${subscription.topic}`;
    const count = this.hostCounts.get(key) - 1;
    if (count === 0) this.hostCounts.delete(key);
    else this.hostCounts.set(key, count);
    return count;
  }

  async unsubscribe(subscription) {
    if (this.remove(subscription) === 0) {
      await this.syncHost(`${subscription.pattern}:${subscription.topic}`, subscription.topic, subscription.pattern);
    }
  }

  /** Asks the subscribers of `topic`: `{ publisher, payload }` from the first that replies, or with `all` every reply. */
  async request(topic, payload, options = {}) {
    validateTopic(topic, false);
    const all = options.all === true;
    const timeoutMs = options.timeoutMs ?? 30000;
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) throw new RangeError(`A bus request's timeoutMs is a positive number of milliseconds, or Infinity; got ${timeoutMs}.`);
    // Past what setTimeout takes there is no timer of ours: the host ends the request within 10 minutes and answers TIMEOUT.
    const callTimeoutMs = timeoutMs + HOST_MARGIN_MS > MAX_TIMER_MS ? Infinity : timeoutMs + HOST_MARGIN_MS;
    const host = await this.hello();
    topic = this.expand(topic, host);
    if (!allows(host.publish, topic)) throw new RemoteError('FORBIDDEN', `Plugin '${this.main.name}' may not send requests to topic '${topic}' (its host's allow-list).`);
    let answer;
    try {
      const wire = Math.min(Math.ceil(timeoutMs), Number.MAX_SAFE_INTEGER); // an integer, as .NET sends long.MaxValue for none
      answer = await this.main.call('bus.request', this.format.encode([topic, this.format.binary(toBuffer(payload)), all, wire]), { timeoutMs: callTimeoutMs, signal: options.signal });
    } catch (e) {
      if (e instanceof RemoteError && e.code === 'TIMEOUT') throw new TimeoutError(e.message);
      throw e;
    }
    const reply = (value) => {
      if (!Array.isArray(value) || value.length !== 2 || (value[0] !== null && value[0] !== undefined && typeof value[0] !== 'string')) {
        throw new ProtocolError(`The host's answer to a bus request of topic '${topic}' is not [publisher, payload] in the ${this.format.name} format.`);
      }
      return { topic, publisher: value[0] ?? null, payload: this.format.readBinary(value[1]) };
    };
    const value = this.format.decode(answer);
    if (all && !Array.isArray(value)) throw new ProtocolError(`The host's answer to a bus request of topic '${topic}' to all is not an array of [publisher, payload] in the ${this.format.name} format.`);
    return all ? value.map(reply) : reply(value);
  }

  /** Reads a `bus.message` or `bus.request` of the host, or throws (INVALID_REQUEST) why it is not one. */
  read(buffer, cmd) {
    const invalid = (why) => new RemoteError('INVALID_REQUEST', `'${cmd}' takes [topic, origin, sequence, publisher, payload] in the ${this.format.name} format; the ${buffer.length} bytes sent are not that: ${why}`);
    let value;
    try {
      value = this.format.decode(buffer);
    } catch (e) {
      throw invalid(e.message);
    }
    if (!Array.isArray(value) || value.length !== 5) throw invalid('it is not an array of five values.');
    const [topic, origin, sequence, publisher, bytes] = value;
    const message = { topic, origin: origin ?? '', sequence, publisher: publisher ?? null, payload: null }; // a nil origin is the host's own, as in .NET
    const problem = messageProblem(message.topic, message.origin, message.sequence, message.publisher);
    if (problem !== null) throw invalid(`${problem}.`);
    try {
      message.payload = this.format.readBinary(bytes);
    } catch (e) {
      throw invalid(`its payload: ${e.message}.`);
    }
    return message;
  }

  onMessage(buffer) {
    let message;
    try {
      message = this.read(buffer, 'bus.message');
    } catch (e) {
      this.dropUnreadable(e.message); // never thrown back into the read loop
      return;
    }
    message.missed = 0;
    const subscribers = this.subscriptions.filter((subscription) => subscription.matches(message.topic));
    if (subscribers.length === 0) {
      if (!isSystem(message.topic)) this.unmatched(message.topic); // system topics come unasked
      return;
    }
    if (message.sequence > 0) { // tracked for topics subscribed here only: a host cannot fill it with others
      const key = `${message.origin}\n${message.topic}`;
      const last = this.sequences.get(key);
      if (last !== undefined && message.sequence > last + 1) message.missed = message.sequence - last - 1;
      if (last === undefined && this.sequences.size >= MAX_TRACKED) this.sequences.clear(); // starts over: no gap for one message each
      this.sequences.set(key, message.sequence);
    }
    for (const subscription of subscribers) subscription.offer(message);
  }

  /** A bus message that could not be read: dropped and counted, and said at most once a second. */
  dropUnreadable(reason) {
    this.unreadable++;
    this.unreadablePending = (this.unreadablePending ?? 0) + 1;
    const now = Date.now();
    if (this.unreadableLoggedAt === undefined || now - this.unreadableLoggedAt >= 1000) {
      this.main.logger.warn(`${this.unreadablePending} bus message(s) that could not be read in plugin '${this.main.name}' were dropped (the last: ${reason}).`);
      this.unreadablePending = 0;
      this.unreadableLoggedAt = now;
    }
  }

  /** A message no handler here takes (one still being added, or one removed): dropped, and said at most once a second. */
  unmatched(topic) {
    this.unmatchedCount = (this.unmatchedCount ?? 0) + 1;
    const now = Date.now();
    if (this.unmatchedLoggedAt === undefined || now - this.unmatchedLoggedAt >= 1000) {
      this.main.logger.warn(`${this.unmatchedCount} bus message(s) with no subscriber in plugin '${this.main.name}' were dropped (the last of topic '${topic}').`);
      this.unmatchedCount = 0;
      this.unmatchedLoggedAt = now;
    }
  }

  /** Answers the host's `bus.request`: this plugin's subscribers of the topic in turn, until one returns a reply. */
  async onRequest(buffer, ctx) {
    const message = this.read(buffer, 'bus.request');
    message.missed = 0;
    message.signal = ctx.signal;
    for (const subscription of this.subscriptions.filter((s) => s.matches(message.topic))) {
      // A cancelled request asks no further subscriber: the host has stopped waiting for a reply.
      if (ctx.signal?.aborted) throw abortError(`The bus request of topic '${message.topic}' was cancelled.`, ctx.signal.reason);
      const reply = await subscription.handler(message.payload, message);
      if (reply !== undefined && reply !== null) return toBuffer(reply);
    }
    throw new RemoteError('NO_SUBSCRIBERS', `No subscriber of topic '${message.topic}' in plugin '${this.main.name}' took the request.`);
  }

  close() {
    for (const subscription of this.subscriptions) subscription.closed = true;
  }
}

module.exports = { PluginBus, validateTopic, allows };
