'use strict';

const { EventEmitter } = require('events');

const BRIDGE_CMD = 'bridge.message';

/**
 * The bridge between a plugin and its owner on the host: one one-way command, `bridge.message`, in each direction,
 * carrying UTF-8 text (protocol section 13). Events: `connect` (the host finished the handshake), `message` (text from the
 * host), `disconnect` (the host stopped the plugin or went away).
 */
class Bridge extends EventEmitter {
  constructor(main) {
    super();
    this._main = main;
    this._jsonListeners = new Map();
  }

  /** Sends text to the host's side of the bridge; resolves once it is written. */
  send(text) {
    if (typeof text !== 'string') return Promise.reject(new TypeError('bridge.send takes a string; use bridge.sendJson for other values.'));
    return this._main.notify(BRIDGE_CMD, Buffer.from(text, 'utf8'));
  }

  /** Sends a value as JSON text. */
  sendJson(value) {
    let text;
    try {
      text = JSON.stringify(value);
    } catch (e) {
      return Promise.reject(e);
    }
    if (text === undefined) return Promise.reject(new TypeError('bridge.sendJson: the value has no JSON form.'));
    return this.send(text);
  }

  /**
   * Listens for messages that are JSON, parsed; a message that is not JSON is logged as a warning and skipped.
   * Returns a function that stops listening.
   */
  onJson(listener) {
    if (typeof listener !== 'function') throw new TypeError('onJson takes a function.');
    const wrapped = (text) => {
      let value;
      try {
        value = JSON.parse(text);
      } catch (e) {
        this._main.logger.warn(`A bridge message is not JSON (${e.message}); skipped.`);
        return;
      }
      return listener(value); // its promise too: a rejection is logged like a throw, never left unhandled
    };
    this.on('message', wrapped);
    return () => this.off('message', wrapped);
  }

  /** Emits an event, logging (never throwing) what a listener throws. */
  _emitSafely(event, ...args) {
    for (const listener of this.listeners(event)) {
      try {
        const result = listener(...args);
        if (result && typeof result.then === 'function') {
          result.then(undefined, (e) => this._main.logger.error(`A bridge '${event}' listener failed.`, e));
        }
      } catch (e) {
        this._main.logger.error(`A bridge '${event}' listener failed.`, e);
      }
    }
  }
}

module.exports = { Bridge, BRIDGE_CMD };
