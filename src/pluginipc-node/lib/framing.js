'use strict';

const { ProtocolError } = require('./errors');
const { checkUtf8, encodeStrict, VALID, INVALID } = require('./utf8');

const DEFAULT_MAX_CMD_BYTES = 4096;
const DEFAULT_MAX_CHUNK_BYTES = 64 * 1024 * 1024;
const MAX_HEADER_COUNT = 1024;
const MAX_U64 = (1n << 64n) - 1n;
const MAX_U64_TEXT = MAX_U64.toString();
const EMPTY = Buffer.alloc(0);

/** A chunk: `{ threadId: bigint, direction: 0..4, cmd: string, buffer: Buffer, headers?: Record<string, string> }`. */
const Direction = Object.freeze({ Noop: 0, OneWay: 1, Request: 2, Response: 3, Cancel: 4 });

function limits(options) {
  const maxCmdBytes = options?.maxCmdBytes ?? DEFAULT_MAX_CMD_BYTES;
  const maxChunkBytes = options?.maxChunkBytes ?? DEFAULT_MAX_CHUNK_BYTES;
  if (!Number.isInteger(maxCmdBytes) || maxCmdBytes < 1) throw new RangeError('maxCmdBytes must be a positive integer.');
  if (!Number.isInteger(maxChunkBytes) || maxChunkBytes < 1 || maxChunkBytes > 0x7fffffff) {
    throw new RangeError('maxChunkBytes must be a positive integer up to 2147483647.');
  }
  return { maxCmdBytes, maxChunkBytes };
}

function toBuffer(value) {
  if (value === undefined || value === null) return EMPTY;
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  throw new TypeError('A buffer must be a Buffer, a Uint8Array, an ArrayBuffer or a string.');
}

/** Checks a chunk before a writer writes any of it; returns its cmd's UTF-8 bytes and its buffer. */
function prepare(chunk, limit, framing) {
  if (chunk === null || typeof chunk !== 'object') throw new TypeError('A chunk must be an object.');
  const threadId = BigInt(chunk.threadId ?? 0);
  if (threadId < 0n || threadId > MAX_U64) throw new RangeError('A chunk\'s threadId must be 0 to 2^64-1.');
  const direction = chunk.direction;
  if (!Number.isInteger(direction) || direction < 0 || direction > 4) throw new RangeError('A chunk\'s direction must be 0 to 4.');
  const cmd = encodeStrict(chunk.cmd, 'cmd');
  if (cmd.length > limit.maxCmdBytes) {
    throw new ProtocolError(`${framing} framing: the cmd is ${cmd.length} bytes, over the limit of ${limit.maxCmdBytes}; nothing was written.`);
  }
  const buffer = toBuffer(chunk.buffer);
  if (buffer.length > limit.maxChunkBytes) {
    throw new ProtocolError(`${framing} framing: the buffer is ${buffer.length} bytes, over the limit of ${limit.maxChunkBytes}; nothing was written.`);
  }
  return { threadId, direction, cmd, buffer };
}

// ---------------------------------------------------------------- text

/** The `text` framing: `threadId NUL direction NUL len(cmd) NUL cmd len(buffer) NUL buffer` (protocol section 2). */
class TextFramer {
  constructor(options) {
    Object.assign(this, limits(options));
  }

  get name() { return 'text'; }

  /** Encodes a chunk; the text framing carries no headers. */
  encode(chunk) {
    const { threadId, direction, cmd, buffer } = prepare(chunk, this, 'text');
    const head = Buffer.from(`${threadId}\0${direction}\0${cmd.length}\0`, 'latin1');
    const mid = Buffer.from(`${buffer.length}\0`, 'latin1');
    return Buffer.concat([head, cmd, mid, buffer], head.length + cmd.length + mid.length + buffer.length);
  }

  /**
   * Reads the chunk at the start of `buf`: `{ chunk, size }` when it is complete, `{ need }` (the fewest bytes that could
   * complete it) when it is not; throws ProtocolError when the bytes can never become a chunk.
   */
  decode(buf) {
    const id = readTextNumber(buf, 0, 'threadId', null);
    if (id === null) return { need: buf.length + 1 };
    const dir = readTextNumber(buf, id.end, 'direction', 4);
    if (dir === null) return { need: buf.length + 1 };
    const cmdLen = readTextNumber(buf, dir.end, 'cmd length', this.maxCmdBytes);
    if (cmdLen === null) return { need: buf.length + 1 };
    const cmdStart = cmdLen.end;
    const cmdEnd = cmdStart + cmdLen.value;
    const available = Math.min(cmdEnd, buf.length);
    const utf8 = checkUtf8(buf, cmdStart, available);
    if (utf8 === INVALID || (available === cmdEnd && utf8 !== VALID)) {
      throw new ProtocolError(`text framing: cmd at offset ${cmdStart}: not valid UTF-8.`);
    }
    if (buf.length < cmdEnd) return { need: cmdEnd + 2 };
    const bufLen = readTextNumber(buf, cmdEnd, 'buffer length', this.maxChunkBytes);
    if (bufLen === null) return { need: buf.length + 1 };
    const end = bufLen.end + bufLen.value;
    if (buf.length < end) return { need: end };
    return {
      chunk: {
        threadId: id.value,
        direction: Number(dir.value),
        cmd: buf.toString('utf8', cmdStart, cmdEnd),
        buffer: Buffer.from(buf.subarray(bufLen.end, end)),
      },
      size: end,
    };
  }
}

/** Reads one NUL-ended decimal number; null when the bytes end first. `max` null means the threadId's 2^64-1. */
function readTextNumber(buf, start, field, max) {
  let value = 0;
  let i = start;
  for (; i < buf.length; i++) {
    const b = buf[i];
    const digits = i - start;
    if (b === 0) {
      if (digits === 0) throw new ProtocolError(`text framing: ${field} at offset ${i}: a number needs at least one digit.`);
      const text = buf.toString('latin1', start, i);
      return { value: max === null ? BigInt(text) : value, end: i + 1 };
    }
    if (b < 0x30 || b > 0x39) throw new ProtocolError(`text framing: ${field} at offset ${i}: byte 0x${b.toString(16).padStart(2, '0')} is not a decimal digit.`);
    if (digits === 1 && buf[start] === 0x30) throw new ProtocolError(`text framing: ${field} at offset ${i}: a leading zero.`);
    if (digits === 20) throw new ProtocolError(`text framing: ${field} at offset ${i}: more than 20 digits.`);
    if (max === null) {
      if (digits === 19 && buf.toString('latin1', start, i + 1) > MAX_U64_TEXT) {
        throw new ProtocolError(`text framing: ${field} at offset ${i}: value over the maximum of ${MAX_U64_TEXT}.`);
      }
    } else {
      value = value * 10 + (b - 0x30);
      if (value > max) throw new ProtocolError(`text framing: ${field} at offset ${i}: value over the maximum of ${max}.`);
    }
  }
  return null;
}

// ---------------------------------------------------------------- msgpack

/** The `msgpack` framing: `[threadId, direction, cmd, buffer, headers?]` (protocol section 3). */
class MessagePackFramer {
  constructor(options) {
    Object.assign(this, limits(options));
  }

  get name() { return 'msgpack'; }

  /** Encodes a chunk in the canonical form: shortest ints and lengths, bin for the buffer, four elements without headers. */
  encode(chunk) {
    const { threadId, direction, cmd, buffer } = prepare(chunk, this, 'msgpack');
    const headers = [];
    if (chunk.headers) {
      for (const [key, value] of Object.entries(chunk.headers)) {
        if (typeof value !== 'string') throw new TypeError(`Header '${key}' must have a string value.`);
        const k = encodeStrict(key, 'A header key');
        const v = encodeStrict(value, 'A header value');
        if (k.length > this.maxCmdBytes || v.length > this.maxCmdBytes) {
          throw new ProtocolError(`msgpack framing: header '${key}' is over the limit of ${this.maxCmdBytes} bytes; nothing was written.`);
        }
        headers.push(k, v);
      }
      if (headers.length / 2 > MAX_HEADER_COUNT) throw new ProtocolError(`msgpack framing: more than ${MAX_HEADER_COUNT} headers; nothing was written.`);
    }
    const parts = [];
    parts.push(Buffer.from([headers.length > 0 ? 0x95 : 0x94]));
    parts.push(uintBytes(threadId), Buffer.from([direction]));
    parts.push(strHeader(cmd.length), cmd, binHeader(buffer.length), buffer);
    if (headers.length > 0) {
      parts.push(mapHeader(headers.length / 2));
      for (const part of headers) parts.push(strHeader(part.length), part);
    }
    return Buffer.concat(parts);
  }

  /**
   * Reads the chunk at the start of `buf`; same results as TextFramer.decode. `state` (optional) is an object that the
   * caller keeps for one stream and passes with every call. Where a call finds its chunk incomplete, it notes in `state`
   * how far it has read, and the next call, which must pass that chunk's bytes from its start again and maybe more, goes
   * on from there. Without it each call starts over, and a chunk arriving in many pieces takes quadratic time to read.
   */
  decode(buf, state) {
    let progress = state?.progress;
    if (!progress || buf.length < progress.seen) progress = new Progress(); // fewer bytes than last time: not the same chunk
    const r = new PackReader(buf, this);
    try {
      r.advance(progress);
    } catch (e) {
      if (state) state.progress = e instanceof NeedMore ? progress : null;
      if (!(e instanceof NeedMore)) throw e;
      progress.seen = buf.length;
      return { need: e.need };
    }
    if (state) state.progress = null;
    return { chunk: r.build(progress), size: progress.pos };
  }
}

// The steps of reading a chunk, in order; a str's bytes are a step of their own, so that a read can stop inside them.
const ARRAY = 0;
const THREAD_ID = 1;
const DIRECTION = 2;
const CMD = 3;
const CMD_BYTES = 4;
const BUFFER = 5;
const HEADERS = 6;
const HEADER = 7;
const HEADER_BYTES = 8;
const DONE = 9;

/** How far a read of one chunk has got: the next step and where it starts, and what the steps before it found. */
class Progress {
  constructor() {
    this.seen = 0; // the bytes that the last call had
    this.step = ARRAY;
    this.pos = 0;
    this.count = 0;
    this.threadId = 0n;
    this.direction = 0;
    this.cmdStart = 0;
    this.cmdEnd = 0;
    this.bufferStart = 0;
    this.bufferEnd = 0;
    this.headersStart = 0;
    this.entries = 0;
    this.strings = 0; // header keys and values read so far
    this.strStart = 0; // the str being read: where its bytes start and end, and up to where their UTF-8 is checked
    this.strEnd = 0;
    this.checked = 0;
  }
}

/** Bytes the msgpack reader has looked at or copied, in all; tests check with it that its work is linear in what arrives. */
const readWork = { bytes: 0 };

class NeedMore {
  constructor(need) { this.need = need; }
}

class PackReader {
  constructor(buf, limit) {
    this.buf = buf;
    this.pos = 0;
    this.limit = limit;
  }

  fail(field, at, message) {
    throw new ProtocolError(`msgpack framing: ${field} at offset ${at}: ${message}`);
  }

  ensure(n) {
    if (this.pos + n > this.buf.length) throw new NeedMore(this.pos + n);
  }

  byte() {
    this.ensure(1);
    return this.buf[this.pos++];
  }

  bigUint(n) {
    this.ensure(n);
    let v = 0n;
    for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(this.buf[this.pos + i]);
    this.pos += n;
    return v;
  }

  length(n) {
    return Number(this.bigUint(n));
  }

  arrayHeader() {
    const at = this.pos;
    const b = this.byte();
    let count;
    if (b >= 0x90 && b <= 0x9f) count = b & 0x0f;
    else if (b === 0xdc) count = this.length(2);
    else if (b === 0xdd) count = this.length(4);
    else this.fail('chunk', at, `byte 0x${hex(b)} does not start an array.`);
    if (count !== 4 && count !== 5) this.fail('chunk', at, `an array of ${count} elements; a chunk has 4 or 5.`);
    return count;
  }

  uint(field, max) {
    const at = this.pos;
    const b = this.byte();
    let v;
    if (b <= 0x7f) v = BigInt(b);
    else if (b === 0xcc) v = this.bigUint(1);
    else if (b === 0xcd) v = this.bigUint(2);
    else if (b === 0xce) v = this.bigUint(4);
    else if (b === 0xcf) v = this.bigUint(8);
    else if (b >= 0xd0 && b <= 0xd3) {
      const n = 1 << (b - 0xd0);
      v = this.bigUint(n);
      if (v >> BigInt(n * 8 - 1)) this.fail(field, at, 'a negative value.');
    } else if (b >= 0xe0) this.fail(field, at, 'a negative value.');
    else this.fail(field, at, `byte 0x${hex(b)} is not an integer.`);
    if (v > max) this.fail(field, at, `value over the maximum of ${max}.`);
    return v;
  }

  strHeader(field, max, allowNil) {
    const at = this.pos;
    const b = this.byte();
    let n;
    if (b >= 0xa0 && b <= 0xbf) n = b & 0x1f;
    else if (b === 0xd9) n = this.length(1);
    else if (b === 0xda) n = this.length(2);
    else if (b === 0xdb) n = this.length(4);
    else if (b === 0xc0 && allowNil) return null;
    else this.fail(field, at, `byte 0x${hex(b)} is not a str.`);
    if (n > max) this.fail(field, at, `${n} bytes, over the limit of ${max}.`);
    return n;
  }

  /**
   * Checks the chunk from where `p` stopped to its end, each step as soon as its bytes are there, and notes what it finds
   * in `p`; throws NeedMore with `p` at the step that lacks bytes, or ProtocolError.
   */
  advance(p) {
    this.pos = p.pos;
    while (p.step !== DONE) {
      switch (p.step) {
        case ARRAY:
          p.count = this.arrayHeader();
          p.step = THREAD_ID;
          break;
        case THREAD_ID:
          p.threadId = this.uint('threadId', MAX_U64);
          p.step = DIRECTION;
          break;
        case DIRECTION:
          p.direction = Number(this.uint('direction', 4n));
          p.step = CMD;
          break;
        case CMD:
          this.beginStr(p, 'cmd');
          p.step = CMD_BYTES;
          break;
        case CMD_BYTES:
          this.strBytes(p, 'cmd');
          p.cmdStart = p.strStart;
          p.cmdEnd = p.strEnd;
          p.step = BUFFER;
          break;
        case BUFFER: {
          const n = this.binLength('buffer', this.limit.maxChunkBytes);
          this.ensure(n);
          p.bufferStart = this.pos;
          p.bufferEnd = this.pos += n;
          p.step = p.count === 5 ? HEADERS : DONE;
          break;
        }
        case HEADERS:
          p.entries = this.mapEntries();
          p.headersStart = this.pos;
          p.step = p.entries > 0 ? HEADER : DONE;
          break;
        case HEADER:
          this.beginStr(p, p.strings % 2 === 0 ? 'header key' : 'header value');
          p.step = HEADER_BYTES;
          break;
        case HEADER_BYTES:
          this.strBytes(p, p.strings % 2 === 0 ? 'header key' : 'header value');
          p.strings++;
          p.step = p.strings < 2 * p.entries ? HEADER : DONE;
          break;
      }
      p.pos = this.pos;
    }
  }

  /** Copies out the chunk that advance() has checked to its end. */
  build(p) {
    const chunk = {
      threadId: p.threadId,
      direction: p.direction,
      cmd: this.checkedStr(p.cmdStart, p.cmdEnd),
      buffer: Buffer.from(this.buf.subarray(p.bufferStart, p.bufferEnd)),
    };
    readWork.bytes += p.bufferEnd - p.bufferStart;
    if (p.entries > 0) {
      const headers = {};
      this.pos = p.headersStart;
      for (let i = 0; i < p.entries; i++) {
        const key = this.checkedStr();
        headers[key] = this.checkedStr();
      }
      if (Object.keys(headers).length > 0) chunk.headers = headers; // none when the only key was __proto__
    }
    return chunk;
  }

  /** Reads a str's header and notes in `p` where its bytes start and end. */
  beginStr(p, field) {
    const n = this.strHeader(field, this.limit.maxCmdBytes, false);
    p.strStart = this.pos;
    p.strEnd = this.pos + n;
    p.checked = this.pos;
  }

  /** Checks the UTF-8 of the str that `p` notes, on from where the last call stopped, and passes over it once it is all there. */
  strBytes(p, field) {
    const available = Math.min(p.strEnd, this.buf.length);
    const utf8 = checkUtf8(this.buf, p.checked, available);
    readWork.bytes += available - p.checked;
    if (utf8 === INVALID || (available === p.strEnd && utf8 !== VALID)) this.fail(field, p.strStart, 'not valid UTF-8.');
    p.checked = utf8 === VALID ? available : sequenceStart(this.buf, available);
    this.ensure(p.strEnd - this.pos);
    this.pos = p.strEnd;
  }

  /** The text of a str that advance() has checked: the one at `start` to `end`, or without them the one at the read position. */
  checkedStr(start, end) {
    if (start === undefined) {
      const n = this.strHeader('header', this.limit.maxCmdBytes, false);
      start = this.pos;
      end = this.pos += n;
    }
    readWork.bytes += end - start;
    return this.buf.toString('utf8', start, end);
  }

  /** Reads a bin's header (nil is an empty bin) and returns its length; its bytes start at the read position. */
  binLength(field, max) {
    const at = this.pos;
    const b = this.byte();
    let n;
    if (b === 0xc0) return 0;
    if (b === 0xc4) n = this.length(1);
    else if (b === 0xc5) n = this.length(2);
    else if (b === 0xc6) n = this.length(4);
    else this.fail(field, at, `byte 0x${hex(b)} is not a bin.`);
    if (n > max) this.fail(field, at, `${n} bytes, over the limit of ${max}.`);
    return n;
  }

  /** Reads the headers' map header: its number of entries, 0 for nil. */
  mapEntries() {
    const at = this.pos;
    const b = this.byte();
    let n;
    if (b === 0xc0) return 0;
    if (b >= 0x80 && b <= 0x8f) n = b & 0x0f;
    else if (b === 0xde) n = this.length(2);
    else if (b === 0xdf) n = this.length(4);
    else this.fail('headers', at, `byte 0x${hex(b)} is not a map.`);
    if (n > MAX_HEADER_COUNT) this.fail('headers', at, `${n} entries, over the limit of ${MAX_HEADER_COUNT}.`);
    return n;
  }
}

/** Where the UTF-8 sequence that `end` cuts off starts: the last byte before `end` that is not a continuation byte. */
function sequenceStart(buf, end) {
  let i = end - 1;
  while ((buf[i] & 0xc0) === 0x80) i--;
  return i;
}

function hex(b) {
  return b.toString(16).padStart(2, '0');
}

function uintBytes(v) {
  if (v <= 0x7fn) return Buffer.from([Number(v)]);
  if (v <= 0xffn) return Buffer.from([0xcc, Number(v)]);
  if (v <= 0xffffn) { const b = Buffer.alloc(3); b[0] = 0xcd; b.writeUInt16BE(Number(v), 1); return b; }
  if (v <= 0xffffffffn) { const b = Buffer.alloc(5); b[0] = 0xce; b.writeUInt32BE(Number(v), 1); return b; }
  const b = Buffer.alloc(9); b[0] = 0xcf; b.writeBigUInt64BE(v, 1); return b;
}

function sized(n, small, codes) {
  if (small !== null && n <= small.max) return Buffer.from([small.base | n]);
  if (n <= 0xff && codes[0] !== null) return Buffer.from([codes[0], n]);
  if (n <= 0xffff) { const b = Buffer.alloc(3); b[0] = codes[1]; b.writeUInt16BE(n, 1); return b; }
  const b = Buffer.alloc(5); b[0] = codes[2]; b.writeUInt32BE(n, 1); return b;
}

const strHeader = (n) => sized(n, { max: 31, base: 0xa0 }, [0xd9, 0xda, 0xdb]);
const binHeader = (n) => sized(n, null, [0xc4, 0xc5, 0xc6]);
const mapHeader = (n) => sized(n, { max: 15, base: 0x80 }, [null, 0xde, 0xdf]);

/** Creates the framer of a framing name (`text` or `msgpack`). */
function createFramer(name, options) {
  if (name === undefined || name === null || name === 'text') return new TextFramer(options);
  if (name === 'msgpack') return new MessagePackFramer(options);
  throw new RangeError(`Unknown framing '${name}'; expected text or msgpack.`);
}

module.exports = {
  Direction,
  TextFramer,
  MessagePackFramer,
  createFramer,
  toBuffer,
  DEFAULT_MAX_CMD_BYTES,
  DEFAULT_MAX_CHUNK_BYTES,
  readWork,
};
