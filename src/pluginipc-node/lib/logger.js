'use strict';

const util = require('util');

/** The levels of `cmd.log`, named as Microsoft.Extensions.Logging names them, lowest first. */
const LEVELS = ['Trace', 'Debug', 'Information', 'Warning', 'Error', 'Critical'];
const MAX_QUEUED = 4096;

function levelIndex(level) {
  const index = LEVELS.findIndex((l) => l.toLowerCase() === String(level).toLowerCase());
  if (index < 0) throw new RangeError(`Unknown log level '${level}'; expected one of ${LEVELS.join(', ')}.`);
  return index;
}

/**
 * Where a Main's log entries go: to the host as `cmd.log` while connected; queued (at most 4096, the oldest dropped) before;
 * to stderr once the host is gone.
 */
class LogSink {
  constructor() {
    this.minimum = levelIndex('Information');
    this.queue = [];
    this.dropped = 0;
    this.unsent = 0;
    this.send = null; // (entry) => false when dropped, while connected
    this.gone = false;
  }

  write(levelIdx, category, message, exception) {
    if (levelIdx < this.minimum) return;
    const entry = { level: LEVELS[levelIdx], category, message };
    if (exception !== undefined) entry.exception = exception;
    if (this.send !== null) {
      try {
        if (this.send(entry) === false) {
          this.unsent++; // the host is not reading: dropped, and counted in the next entry that goes out
          return;
        }
        if (this.unsent > 0) {
          const unsent = this.unsent;
          this.unsent = 0;
          this.write(levelIndex('Warning'), 'pluginipc', `${unsent} log entries were dropped while the host was not reading.`);
        }
        return;
      } catch {
        // the channel closed under us: fall through to stderr
      }
    }
    if (this.gone || this.send !== null) {
      this.toStderr(entry);
      return;
    }
    if (this.queue.length >= MAX_QUEUED) {
      this.queue.shift();
      this.dropped++;
    }
    this.queue.push(entry);
  }

  attach(send) {
    this.send = send;
    const queued = this.queue;
    this.queue = [];
    if (this.dropped > 0) {
      this.write(levelIndex('Warning'), 'pluginipc', `${this.dropped} log entries were dropped before the host connected.`);
      this.dropped = 0;
    }
    for (const entry of queued) this.write(levelIndex(entry.level), entry.category, entry.message, entry.exception);
  }

  detach() {
    this.send = null;
    this.gone = true;
    const queued = this.queue;
    this.queue = [];
    for (const entry of queued) this.toStderr(entry);
  }

  toStderr(entry) {
    process.stderr.write(`[${entry.level}] ${entry.category}: ${entry.message}${entry.exception ? '\n' + entry.exception : ''}\n`);
  }
}

/** A logger whose entries reach the host's ILogger (as `cmd.log`) with their level and category. */
class Logger {
  constructor(sink, category) {
    this._sink = sink;
    this.category = category;
  }

  /** Logs at `level` (`Trace` ... `Critical`); an Error among the arguments becomes the entry's exception. */
  log(level, ...args) {
    this._write(levelIndex(level), args);
  }

  trace(...args) { this._write(0, args); }
  debug(...args) { this._write(1, args); }
  info(...args) { this._write(2, args); }
  warn(...args) { this._write(3, args); }
  error(...args) { this._write(4, args); }
  critical(...args) { this._write(5, args); }

  /** Returns a logger of another category (by default the plugin's name). */
  child(category) {
    if (typeof category !== 'string' || category.length === 0) throw new TypeError('A category is a non-empty string.');
    return new Logger(this._sink, category);
  }

  /** True when entries of `level` are sent (at or above the plugin's minimum level). */
  isEnabled(level) {
    return levelIndex(level) >= this._sink.minimum;
  }

  _write(levelIdx, args) {
    if (levelIdx < this._sink.minimum) return;
    let exception;
    const last = args[args.length - 1];
    if (args.length > 1 && last instanceof Error) {
      exception = last.stack ?? String(last);
      args = args.slice(0, -1);
    } else if (args.length === 1 && last instanceof Error) {
      exception = last.stack ?? String(last);
      args = [last.message];
    }
    this._sink.write(levelIdx, this.category, util.format(...args), exception);
  }
}

module.exports = { Logger, LogSink, LEVELS, levelIndex };
