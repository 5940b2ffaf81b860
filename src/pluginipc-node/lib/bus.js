'use strict';

const { RemoteError, TimeoutError } = require('./errors');
const { toBuffer } = require('./framing');

const HOST_MARGIN_MS = 5000;
const QUEUE_CAPACITY = 1024;
const QUEUE_BYTES = 16 * 1024 * 1024;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function validateTopic(topic, pattern) {
  const what = pattern ? 'pattern' : 'topic';
  if (typeof topic !== 'string' || topic.length === 0) throw new TypeError(`A ${what} is a non-empty string.`);
  if (Buffer.byteLength(topic, 'utf8') > 256) throw new RangeError(`The ${what} '${topic}' is longer than 256 UTF-8 bytes.`);
  if (CONTROL.test(topic)) throw new RangeError(`The ${what} '${topic}' holds a control character.`);
  const stars = topic.split('*').length - 1;
  if (!pattern && stars > 0) throw new RangeError(`The topic '${topic}' holds '*'; subscribe to patterns with { pattern: true }.`);
  if (stars > 8) throw new RangeError(`The pattern '${topic}' has more than 8 '*'.`);
}

function patternRegex(pattern) {
  return new RegExp('^' + pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[\\s\\S]*') + '$');
}

const isSystem = (topic) => topic.startsWith('sys.');
const sizeOf = (message) => message.payload?.length ?? 0;

/** A topic the host's allow-list gives (null: every topic but the system ones); patterns are left to the host. */
function allows(list, topic) {
  if (list === null || list === undefined) return !isSystem(topic);
  return list.some((entry) => (isSystem(topic) && !entry.startsWith('sys.') ? false : entry === topic || (entry.includes('*') && patternRegex(entry).test(topic))));
}

/**
 * One handler of a topic or pattern, with its own bounded queue: past 1,024 messages or 16 MiB of payloads the oldest is
 * dropped, and counted in the `missed` of the next message this handler gets (protocol section 9: a gap).
 */
class Subscription {
  constructor(bus, topic, pattern, handler) {
    Object.assign(this, { bus, topic, pattern, handler });
    this.matcher = pattern ? patternRegex(topic) : null;
    this.queue = [];
    this.queuedBytes = 0;
    this.dropped = 0;
    this.running = false;
    this.closed = false;
  }

  matches(topic) {
    return this.matcher === null ? this.topic === topic : this.matcher.test(topic);
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
    this.sequences = new Map(); // `${origin}\n${topic}` -> last sequence seen
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
        const [applicationId, hostId, publish, subscribe] = this.format.decode(answer);
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

  async subscribe(topic, handler, options = {}) {
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
    const host = await this.hello();
    topic = this.expand(topic, host);
    if (!allows(host.publish, topic)) throw new RemoteError('FORBIDDEN', `Plugin '${this.main.name}' may not send requests to topic '${topic}' (its host's allow-list).`);
    let answer;
    try {
      answer = await this.main.call('bus.request', this.format.encode([topic, this.format.binary(toBuffer(payload)), all, Math.ceil(timeoutMs)]), { timeoutMs: timeoutMs + HOST_MARGIN_MS, signal: options.signal });
    } catch (e) {
      if (e instanceof RemoteError && e.code === 'TIMEOUT') throw new TimeoutError(e.message);
      throw e;
    }
    const reply = ([publisher, bytes]) => ({ topic, publisher: publisher ?? null, payload: this.format.readBinary(bytes) });
    const value = this.format.decode(answer);
    return all ? value.map(reply) : reply(value);
  }

  read(buffer) {
    const [topic, origin, sequence, publisher, payload] = this.format.decode(buffer);
    return { topic, origin, sequence: Number(sequence), publisher: publisher ?? null, payload: this.format.readBinary(payload) };
  }

  onMessage(buffer) {
    let message;
    try {
      message = this.read(buffer);
    } catch (e) {
      this.main.logger.warn(`A bus message could not be read: ${e.message}`);
      return;
    }
    message.missed = 0;
    if (message.sequence > 0) {
      const key = `${message.origin}\n${message.topic}`;
      const last = this.sequences.get(key);
      if (last !== undefined && message.sequence > last + 1) message.missed = message.sequence - last - 1;
      this.sequences.set(key, message.sequence);
      if (this.sequences.size > 65536) this.sequences.clear();
    }
    let matched = false;
    for (const subscription of this.subscriptions) {
      if (subscription.matches(message.topic)) {
        subscription.offer(message);
        matched = true;
      }
    }
    if (!matched && !isSystem(message.topic)) this.unmatched(message.topic); // system topics come unasked
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
    const message = this.read(buffer);
    message.missed = 0;
    message.signal = ctx.signal;
    for (const subscription of this.subscriptions.filter((s) => s.matches(message.topic))) {
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
