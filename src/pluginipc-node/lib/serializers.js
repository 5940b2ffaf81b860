'use strict';

const msgpack = require('@msgpack/msgpack');

// Bounded like the framing: a value can never be larger than its chunk; nesting deeper than this is refused.
const MAX_DEPTH = 500;
// Decoded, an array, map, binary or extension value costs 40 to 150 bytes of heap for as little as one byte sent.
const MAX_OBJECTS = 1024 * 1024;
// Any other value costs a slot of 8 bytes at least: with both counts, a chunk of 64 MiB decodes to a few hundred MiB at most.
const MAX_VALUES = 16 * 1024 * 1024;

const tooDeep = (offset) => new RangeError(`The value nests deeper than ${MAX_DEPTH} levels (at byte ${offset}).`);
const tooManyObjects = (offset) => new RangeError(`The value holds more than ${MAX_OBJECTS} arrays, maps, binaries or extension values (at byte ${offset}).`);
const tooManyValues = (offset) => new RangeError(`The value holds more than ${MAX_VALUES} values (at byte ${offset}).`);

// The values still to read at each depth of scanMsgpack; decoding is synchronous, so one array serves every call.
const pending = new Float64Array(MAX_DEPTH + 2);

// The data bytes of float 32, float 64, uint 8 to 64 and int 8 to 64 (0xca to 0xd3).
const FIXED = [4, 8, 1, 2, 4, 8, 1, 2, 4, 8];

/** The big-endian unsigned integer of `width` bytes at `at`, or -1 when the bytes end first. */
function uint(bytes, at, width) {
  if (at + width > bytes.length) return -1;
  if (width === 1) return bytes[at];
  if (width === 2) return (bytes[at] << 8) | bytes[at + 1];
  return bytes[at] * 0x1000000 + ((bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]);
}

/**
 * Walks one MessagePack value without decoding it, and throws a RangeError naming the byte when it nests deeper than
 * MAX_DEPTH, holds more than MAX_OBJECTS containers or MAX_VALUES values, or announces more entries than bytes follow: the
 * decoder would allocate all of that before it could tell. Bytes that are not MessagePack, or that end too soon, end the
 * walk; the decoder then says what is wrong with them, having allocated no more than the walk has seen.
 */
function scanMsgpack(bytes) {
  const end = bytes.length;
  let pos = 0;
  let depth = 0;
  let objects = 0;
  let values = 0;
  let owed = 1; // values announced and not read yet, at every depth: each takes a byte at least
  pending[0] = 1;
  for (;;) {
    while (pending[depth] === 0) {
      if (depth === 0) return;
      depth--;
    }
    if (pos >= end) return;
    pending[depth]--;
    owed--;
    if (depth > MAX_DEPTH) throw tooDeep(pos);
    if (++values > MAX_VALUES) throw tooManyValues(pos);
    const b = bytes[pos];
    let head = 1; // the bytes before the data
    let size = 0; // the bytes of data
    let entries = -1; // of an array or a map
    let pairs = false;
    if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) {
      // fixint, nil, false, true: one byte
    } else if (b <= 0x8f) {
      entries = b & 0x0f;
      pairs = true;
    } else if (b <= 0x9f) {
      entries = b & 0x0f;
    } else if (b <= 0xbf) {
      size = b & 0x1f;
    } else if (b >= 0xca && b <= 0xd3) {
      size = FIXED[b - 0xca];
    } else if (b >= 0xd4 && b <= 0xd8) {
      head = 2; // and the type
      size = 1 << (b - 0xd4);
      if (++objects > MAX_OBJECTS) throw tooManyObjects(pos);
    } else {
      if (b === 0xc1) return; // never used
      const width = b === 0xc4 || b === 0xc7 || b === 0xd9 ? 1 : (b === 0xc5 || b === 0xc8 || b === 0xda || b === 0xdc || b === 0xde ? 2 : 4);
      const length = uint(bytes, pos + 1, width);
      if (length < 0) return;
      head = 1 + width;
      if (b <= 0xc9) { // bin, ext
        if (b >= 0xc7) head++; // the ext type
        size = length;
        if (++objects > MAX_OBJECTS) throw tooManyObjects(pos);
      } else if (b <= 0xdb) { // str
        size = length;
      } else { // array, map
        entries = length;
        pairs = b >= 0xde;
      }
    }
    if (entries < 0) {
      pos += head + size;
      continue;
    }
    if (++objects > MAX_OBJECTS) throw tooManyObjects(pos);
    const children = pairs ? entries * 2 : entries;
    // Each value takes a byte at least: more values owed, by this container and those around it, than bytes left is never
    // valid, and is not walked (nested containers each announcing what is left would make the decoder allocate them all).
    owed += children;
    if (owed > end - pos - head) {
      throw new RangeError(`The value is cut short: the ${pairs ? 'map' : 'array'} at byte ${pos} announces ${entries} entries, and with the values still owed around it more than the ${end - pos - head} bytes that follow.`);
    }
    pos += head;
    if (children > 0) pending[++depth] = children;
  }
}

/**
 * Scans JSON text for its nesting (brackets outside strings) and its count of arrays and objects, with the same limits and
 * errors as scanMsgpack, before JSON.parse builds it. Text that is not JSON ends the scan or passes: JSON.parse refuses it.
 */
function scanJson(bytes) {
  const end = bytes.length;
  let open = 0;
  let objects = 0;
  for (let i = 0; i < end; i++) {
    const c = bytes[i];
    if (c === 0x22) { // a string: to its closing quote, one not escaped by an odd run of backslashes
      if (open > MAX_DEPTH) throw tooDeep(i);
      for (;;) {
        const quote = bytes.indexOf(0x22, i + 1);
        if (quote < 0) return;
        let before = quote - 1;
        while (bytes[before] === 0x5c) before--;
        i = quote;
        if ((quote - 1 - before) % 2 === 0) break;
      }
    } else if (c === 0x5b || c === 0x7b) { // [ {
      if (open > MAX_DEPTH) throw tooDeep(i);
      if (++objects > MAX_OBJECTS) throw tooManyObjects(i);
      open++;
    } else if (c === 0x5d || c === 0x7d) { // ] }
      if (--open < 0) return;
    } else if (open > MAX_DEPTH && c > 0x20 && c !== 0x2c && c !== 0x3a) { // a number or literal inside the deepest allowed
      throw tooDeep(i);
    }
  }
}

/** The bytes as a Buffer, without copying those of a Buffer, typed array or ArrayBuffer. */
function view(bytes) {
  if (Buffer.isBuffer(bytes)) return bytes;
  return ArrayBuffer.isView(bytes) ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : Buffer.from(bytes);
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
    const bytes = view(buffer);
    scanMsgpack(bytes);
    return msgpack.decode(bytes);
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
    const bytes = view(buffer);
    scanJson(bytes);
    return JSON.parse(bytes.toString('utf8'));
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
