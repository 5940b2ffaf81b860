'use strict';

/** A failure the other side reported with a `cmd.error` answer, or one a handler throws to answer with a code. */
class RemoteError extends Error {
  /**
   * @param {string} code The error code, such as `TEST_FAILURE`.
   * @param {string} message What went wrong.
   * @param {unknown} [details] Any JSON value; left out of the answer when undefined.
   */
  constructor(code, message, details) {
    super(message);
    this.name = 'RemoteError';
    this.code = typeof code === 'string' && code.length > 0 ? code : 'REMOTE_ERROR';
    if (details !== undefined) this.details = details;
    /** @type {string | undefined} The cmd of the call that failed, on the caller's side. */
    this.cmd = undefined;
  }
}

/** Bytes that are not a valid chunk, or a chunk over a limit (protocol section 4). */
class ProtocolError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** The channel closed (the host went away, stopped the plugin, or sent bytes that are not a chunk) before the call was answered. */
class ChannelClosedError extends Error {
  constructor(message, cause) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'ChannelClosedError';
  }
}

/** A call was not answered within its timeout. */
class TimeoutError extends Error {
  constructor(message) {
    super(message);
    this.name = 'TimeoutError';
  }
}

/** Returns an AbortError like the one Node's own APIs throw. */
function abortError(message, cause) {
  const error = new Error(message, cause === undefined ? undefined : { cause });
  error.name = 'AbortError';
  error.code = 'ABORT_ERR';
  return error;
}

module.exports = { RemoteError, ProtocolError, ChannelClosedError, TimeoutError, abortError };
