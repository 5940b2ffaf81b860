'use strict';

const msgpack = require('@msgpack/msgpack');

// Bounded like the framing: a value can never be larger than its chunk; nesting deeper than this is refused.
const MAX_DEPTH = 500;

function checkDepth(value, depth) {
  if (depth > MAX_DEPTH) throw new RangeError(`The value nests deeper than ${MAX_DEPTH} levels.`);
  if (Array.isArray(value)) {
    for (const item of value) checkDepth(item, depth + 1);
  } else if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    for (const key of Object.keys(value)) checkDepth(value[key], depth + 1);
  }
}

/**
 * The serializer formats of typed calls, contracts, the bus and the configuration store (protocol section 7): `msgpack`
 * (one MessagePack value; binary is `bin`) and `json` (one UTF-8 JSON value; binary is a base64 string).
 */
const msgpackFormat = Object.freeze({
  name: 'msgpack',
  encode(value) {
    const bytes = msgpack.encode(value === undefined ? null : value, { ignoreUndefined: true });
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  },
  decode(buffer) {
    const value = msgpack.decode(buffer);
    checkDepth(value, 0);
    return value;
  },
  /** Binary as this format carries it. */
  binary(bytes) { return bytes; },
  /** Reads binary written by `binary`. */
  readBinary(value) {
    if (!(value instanceof Uint8Array)) throw new TypeError('expected bin');
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  },
});

/** Binary goes as a base64 string, as System.Text.Json writes a byte[] (not Buffer's own {"type":"Buffer","data":[...]}). */
function binaryAsBase64(key, value) {
  const original = this[key];
  return original instanceof Uint8Array ? Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString('base64') : value;
}

const jsonFormat = Object.freeze({
  name: 'json',
  encode(value) {
    return Buffer.from(JSON.stringify(value === undefined ? null : value, binaryAsBase64), 'utf8');
  },
  decode(buffer) {
    const value = JSON.parse(Buffer.from(buffer).toString('utf8'));
    checkDepth(value, 0);
    return value;
  },
  binary(bytes) { return Buffer.from(bytes).toString('base64'); },
  readBinary(value) {
    if (typeof value !== 'string') throw new TypeError('expected a base64 string');
    return Buffer.from(value, 'base64');
  },
});

function resolveFormat(name) {
  if (name === undefined || name === null || name === 'msgpack') return msgpackFormat;
  if (name === 'json') return jsonFormat;
  if (typeof name === 'object' && typeof name.encode === 'function' && typeof name.decode === 'function') return name;
  throw new RangeError(`Unknown serializer '${name}'; expected msgpack or json.`);
}

module.exports = { msgpackFormat, jsonFormat, resolveFormat };
