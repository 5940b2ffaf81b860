'use strict';
// The shared wire vectors (copied from shared/vectors) and IGreeter's contract vectors (tests/PluginIpc.Tests/Vectors).
const test = require('node:test');
const assert = require('node:assert/strict');
const { sdk, packageDir } = require('./helpers');
const { msgpackFormat, jsonFormat } = require(`${packageDir}/lib/serializers`);
const { readWork } = require(`${packageDir}/lib/framing`);

for (const framing of ['text', 'msgpack']) {
  const vectors = require(`./vectors/${framing}.json`);
  const framer = sdk.createFramer(framing);

  test(`${framing}: every valid vector reads as its chunk, and canonical ones are written byte for byte`, () => {
    for (const vector of vectors.valid) {
      const bytes = Buffer.from(vector.hex, 'hex');
      const read = framer.decode(bytes);
      assert.ok(read.chunk, vector.name);
      assert.equal(read.size, bytes.length, vector.name);
      assert.equal(read.chunk.threadId, BigInt(vector.chunk.threadId), vector.name);
      assert.equal(read.chunk.direction, vector.chunk.direction, vector.name);
      assert.equal(read.chunk.cmd, vector.chunk.cmd, vector.name);
      assert.equal(read.chunk.buffer.toString('hex'), vector.chunk.bufferHex, vector.name);
      assert.deepEqual(read.chunk.headers, vector.chunk.headers, vector.name);
      if (vector.canonical) {
        const written = framer.encode({ ...vector.chunk, threadId: BigInt(vector.chunk.threadId), buffer: Buffer.from(vector.chunk.bufferHex, 'hex') });
        assert.equal(written.toString('hex'), vector.hex, vector.name);
      }
    }
  });

  test(`${framing}: every valid vector reads the same when its bytes arrive one at a time`, () => {
    for (const vector of vectors.valid) {
      const bytes = Buffer.from(vector.hex, 'hex');
      for (let n = 0; n < bytes.length; n++) {
        const read = framer.decode(bytes.subarray(0, n));
        assert.ok(read.chunk === undefined && read.need > n, `${vector.name}: a prefix of ${n} bytes must ask for more`);
      }
    }
  });

  test(`${framing}: every invalid vector is a ProtocolError`, () => {
    for (const vector of vectors.invalid) {
      assert.throws(() => framer.decode(Buffer.from(vector.hex, 'hex')), sdk.ProtocolError, vector.name);
    }
  });

  test(`${framing}: every incomplete vector asks for more bytes`, () => {
    for (const vector of vectors.incomplete) {
      const read = framer.decode(Buffer.from(vector.hex, 'hex'));
      assert.equal(read.chunk, undefined, vector.name);
      assert.ok(read.need > vector.hex.length / 2, vector.name);
    }
  });

  test(`${framing}: the writer refuses what a reader would, before writing anything`, () => {
    assert.throws(() => framer.encode({ threadId: 1n, direction: 2, cmd: 'x'.repeat(4097), buffer: Buffer.alloc(0) }), sdk.ProtocolError);
    assert.throws(() => framer.encode({ threadId: 1n, direction: 5, cmd: 'x' }), RangeError);
    assert.throws(() => framer.encode({ threadId: 1n, direction: 2, cmd: 'a\uD800b' }), TypeError);
    const small = sdk.createFramer(framing, { maxChunkBytes: 10 });
    assert.throws(() => small.encode({ threadId: 1n, direction: 2, cmd: 'x', buffer: Buffer.alloc(11) }), sdk.ProtocolError);
    assert.throws(() => small.decode(framer.encode({ threadId: 1n, direction: 2, cmd: 'x', buffer: Buffer.alloc(11) })), sdk.ProtocolError);
  });
}

/** A msgpack chunk with the most headers a reader takes (1024), keys and values with 1- to 4-byte UTF-8 sequences. */
function manyHeaders() {
  const headers = {};
  for (let i = 0; i < 1024; i++) headers[`key-${i}`] = `v\u00e9\u20ac\u{1d11e}`.repeat(i % 9);
  const chunk = { threadId: 7n, direction: 1, cmd: 'many', buffer: Buffer.from('body'), headers };
  return { chunk, bytes: sdk.createFramer('msgpack').encode(chunk) };
}

test('msgpack: a chunk of 1024 headers arriving one byte at a time is read whole, in work linear in its size', () => {
  const { chunk, bytes } = manyHeaders();
  const framer = sdk.createFramer('msgpack');
  const state = {};
  const before = readWork.bytes;
  const needs = [];
  for (let n = 0; n < bytes.length; n++) {
    const read = framer.decode(bytes.subarray(0, n), state);
    assert.ok(read.chunk === undefined && read.need > n, `a prefix of ${n} bytes must ask for more`);
    needs.push(read.need);
  }
  const read = framer.decode(bytes, state);
  const work = readWork.bytes - before;
  for (let n = 0; n < bytes.length; n += 997) assert.equal(framer.decode(bytes.subarray(0, n)).need, needs[n], `without the state, at ${n} bytes`);
  assert.equal(read.size, bytes.length);
  assert.deepEqual(read.chunk, chunk);
  // Each byte is checked once and copied out once, plus a few bytes read again per call (2.8 times the size in all); read
  // again from the chunk's start at each call, it was about 49,000 times.
  assert.ok(work <= 4 * bytes.length, `${work} bytes examined for a chunk of ${bytes.length}`);
  assert.equal(state.progress, null, 'the state is cleared once the chunk is read');
});

test('msgpack: with a state, a bad byte in a chunk arriving in pieces is the same error as without, and clears the state', () => {
  const { bytes } = manyHeaders();
  const framer = sdk.createFramer('msgpack');
  const bad = Buffer.from(bytes);
  const at = bytes.length - 5;
  bad[at] = 0xff; // inside the last header value
  const state = {};
  for (let n = 0; n <= at; n += 7) assert.equal(framer.decode(bad.subarray(0, n), state).chunk, undefined);
  const error = (() => { try { framer.decode(bad.subarray(0, at + 1)); } catch (e) { return e; } })();
  assert.match(error.message, /^msgpack framing: header value at offset \d+: not valid UTF-8\.$/);
  assert.throws(() => framer.decode(bad.subarray(0, at + 1), state), (e) => e instanceof sdk.ProtocolError && e.message === error.message);
  assert.equal(state.progress, null);
  assert.deepEqual(framer.decode(bytes, state).chunk.headers['key-1023'], `v\u00e9\u20ac\u{1d11e}`.repeat(1023 % 9));
});

test('msgpack: with a state, every vector arriving one byte at a time reads as without: same needs, same errors at the same byte', () => {
  const vectors = require('./vectors/msgpack.json');
  const outcome = (framer, bytes, state) => {
    try {
      return framer.decode(bytes, state);
    } catch (e) {
      return { error: `${e.name}: ${e.message}` };
    }
  };
  for (const options of [{}, { maxCmdBytes: 2, maxChunkBytes: 2 }]) {
    const framer = sdk.createFramer('msgpack', options);
    for (const vector of [...vectors.valid, ...vectors.invalid, ...vectors.incomplete]) {
      const bytes = Buffer.from(vector.hex, 'hex');
      const state = {};
      for (let n = 0; n <= bytes.length; n++) {
        const read = outcome(framer, bytes.subarray(0, n), state);
        assert.deepEqual(read, outcome(framer, bytes.subarray(0, n)), `${vector.name}, ${n} bytes`);
        if (read.need === undefined) break; // a chunk or an error: a reader goes no further
      }
    }
  }
});

test('contracts: IGreeter defined by its signatures has the shape .NET announces', () => {
  const vectors = require('./vectors/contracts.json');
  const contract = sdk.defineContract(vectors.contract, vectors.signatures);
  assert.equal(contract.shape, vectors.metadata[contract.metadataKey]);
  assert.deepEqual(contract.methods.map((m) => [m.name, m.argumentCount, m.progressIndex, m.stream, m.void]), [
    ['Hello', 1, -1, false, false],
    ['Move', 3, -1, false, false],
    ['Count', 2, -1, true, false],
    ['SumWithProgress', 2, 1, false, false],
    ['Reset', 0, -1, false, true],
  ]);
});

test('contracts: the msgpack and json messages of IGreeter are written as the vectors have them', () => {
  const vectors = require('./vectors/contracts.json');
  const values = {
    'Hello request': [['Ann'], ['Ann']],
    'Move request': [[{ X: 1, Y: 2 }, 10, 20], [{ x: 1, y: 2 }, 10, 20]],
    'Move response': [{ X: 11, Y: 22 }, { x: 11, y: 22 }],
    'Count open request': [[1, 3, 64], [1, 3, 64]],
    'Count open response': [[1, [1, 2, 3], true], [1, [1, 2, 3], true]],
    'SumWithProgress request': [[[1, 2, 3], 1], [[1, 2, 3], 1]],
    'SumWithProgress report 2': [[1, 3], [1, 3]],
    'SumWithProgress response': [6, 6],
    'Reset request': [[], []],
    'stream next request': [[1, 64], [1, 64]],
    'stream end': [[1], [1]],
  };
  for (const [name, [packed, json]] of Object.entries(values)) {
    const m = vectors.msgpack.find((v) => v.name === name);
    const j = vectors.json.find((v) => v.name === name);
    assert.equal(msgpackFormat.encode(packed).toString('hex').toUpperCase(), m.hex, name);
    assert.deepEqual(msgpackFormat.decode(Buffer.from(m.hex, 'hex')), packed, name);
    assert.equal(jsonFormat.encode(json).toString('utf8'), j.text, name);
  }
});

test('json format: binary is a base64 string, as System.Text.Json writes a byte[], wherever it sits', () => {
  assert.equal(jsonFormat.encode(Buffer.from('hi')).toString('utf8'), '"aGk="');
  assert.equal(jsonFormat.encode([Buffer.from('hi'), new Uint8Array([0xff])]).toString('utf8'), '["aGk=","/w=="]');
  assert.equal(jsonFormat.encode({ data: Buffer.from('hi').subarray(1) }).toString('utf8'), '{"data":"aQ=="}');
});

test('contracts: a method cannot take a cmd the plugin side answers itself', () => {
  for (const cmd of ['GetMetadata', 'cmd.ping', 'bus.message', 'bridge.message']) {
    assert.throws(() => sdk.defineContract('IBad', [`${cmd}(string):string`]), SyntaxError, cmd);
  }
  assert.doesNotThrow(() => sdk.defineContract('IGood', ['IGood.Get(string):string']));
});

test('contracts: a name with ; or = and a stream that reports progress are refused, as .NET refuses them', () => {
  for (const name of ['I;Bad', 'I=Bad']) assert.throws(() => sdk.defineContract(name, [`${name}.Get(string):string`]), SyntaxError, name);
  assert.throws(() => sdk.defineContract('IJob', ['IJob.Run(progress<int>):stream<int>']), /a stream cannot report progress/);
  assert.doesNotThrow(() => sdk.defineContract('IJob', ['IJob.Run(progress<int>):int', 'IJob.Watch(int):stream<int>']));
});
