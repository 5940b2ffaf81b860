'use strict';
// What a host that is not to be trusted may send: nothing of it crashes the plugin, blocks its event loop or grows its memory.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('path');
const { execFile } = require('child_process');
const { packageDir, loopback, Inbox } = require('./helpers');
const { msgpackFormat, jsonFormat } = require(`${packageDir}/lib/serializers`);
const { allows } = require(`${packageDir}/lib/bus`);

const fmt = msgpackFormat;

/** Runs a scenario of fixtures/hostile.js in a process of its own; resolves with its exit and its one line of JSON. */
function scenario(name, { heapMb, timeoutMs }) {
  const args = [...(heapMb ? [`--max-old-space-size=${heapMb}`] : []), path.join(__dirname, 'fixtures', 'hostile.js'), name];
  return new Promise((resolve) => {
    execFile(process.execPath, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (error.code ?? null) : 0, signal: error?.signal ?? null, result: stdout ? JSON.parse(stdout) : null, stderr: stderr.slice(-2000) });
    });
  });
}

/** `levels` arrays one in another around `inner`, in MessagePack and in JSON. */
const nestedMsgpack = (levels, inner) => Buffer.concat([Buffer.alloc(levels, 0x91), Buffer.from(inner)]);
const nestedJson = (levels, inner) => Buffer.from('['.repeat(levels) + inner + ']'.repeat(levels));

test('serializers: depth and size are checked on the bytes, before anything is decoded', () => {
  // Each array or map costs 40 bytes and more decoded, for one byte sent: more than 1,048,576 of them are refused.
  const maps = (count) => {
    const bytes = Buffer.alloc(5 + count, 0x80); // an array of `count` empty maps
    bytes[0] = 0xdd;
    bytes.writeUInt32BE(count, 1);
    return bytes;
  };
  const many = /^RangeError: The value holds more than 1048576 arrays, maps, binaries or extension values \(at byte \d+\)\.$/;
  assert.equal(fmt.decode(maps(1024 * 1024 - 1)).length, 1024 * 1024 - 1);
  assert.throws(() => fmt.decode(maps(1024 * 1024)), many);
  const arrays = (count) => Buffer.from(`[${'[],'.repeat(count - 1)}[]]`); // an array of `count` empty arrays
  assert.equal(jsonFormat.decode(arrays(1024 * 1024 - 1)).length, 1024 * 1024 - 1);
  assert.throws(() => jsonFormat.decode(arrays(1024 * 1024)), many);
  const deep = /^RangeError: The value nests deeper than 500 levels \(at byte \d+\)\.$/;
  // A value inside 500 arrays is allowed, inside 501 it is not; an empty array inside 500 is allowed (it holds nothing deeper).
  assert.deepEqual(fmt.decode(nestedMsgpack(499, [0x91, 0x01])).flat(Infinity), [1]);
  assert.throws(() => fmt.decode(nestedMsgpack(500, [0x91, 0x01])), deep);
  assert.equal(fmt.decode(nestedMsgpack(500, [0x90])).flat(Infinity).length, 0);
  assert.throws(() => fmt.decode(nestedMsgpack(501, [0x90])), deep);
  assert.deepEqual(jsonFormat.decode(nestedJson(500, '"[{"')).flat(Infinity), ['[{']);
  assert.equal(jsonFormat.decode(nestedJson(500, '[]')).flat(Infinity).length, 0);
  assert.throws(() => jsonFormat.decode(nestedJson(501, '1')), deep);
  assert.throws(() => jsonFormat.decode(nestedJson(501, '[]')), deep);
  assert.deepEqual(jsonFormat.decode(Buffer.from('["\\\\", "[\\"[", {"a":[1]}]')), ['\\', '["[', { a: [1] }]);

  // An array that announces more entries than bytes follow is not walked (nor allocated).
  assert.throws(() => fmt.decode(Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff, 0x01])), /cut short: the array at byte 0 announces 4294967295 entries, and with the values still owed around it more than the 1 bytes that follow/);
});

test('serializers: a bus message that would take gigabytes to decode is dropped, and the plugin lives on (a 96 MiB heap)', async () => {
  const { code, signal, result, stderr } = await scenario('bombs', { heapMb: 96, timeoutMs: 30000 });
  assert.equal(code, 0, `the plugin process ended with ${code ?? signal}: ${stderr}`);
  assert.equal(result.unreadable, 3, 'the three bus messages were dropped and counted');
  assert.match(result.msgpackNested, /^RangeError: The value nests deeper than 500 levels/);
  assert.match(result.msgpackMaps, /^RangeError: The value holds more than 1048576 arrays, maps/);
  assert.match(result.msgpackAnnounced, /^RangeError: The value is cut short: the array at byte 5 announces/);
  assert.match(result.jsonNested, /^RangeError: The value nests deeper than 500 levels/);
  assert.match(result.jsonMaps, /^RangeError: The value holds more than 1048576 arrays, maps/);
});

test('bus: patterns match as TopicPattern.cs does, without backtracking (topics and allow-list entries)', async () => {
  const cases = [
    ['orders.*', 'orders.eu', true], ['orders.*', 'orders.eu.created', true], ['orders.*', 'orders.', true], ['orders.*', 'orders', false],
    ['*', 'x', true], ['a*b*c', 'abc', true], ['a*b*c', 'aXbYc', true], ['a*b*c', 'acb', false], ['ab*ba', 'aba', false],
    ['ab*ba', 'abba', true], ['a**b', 'ab', true], ['*.x', 'a.x.x', true], ['a.*.x', 'a..x', true], ['a.*.x', 'a.x', false],
    ['x.$^(*)', 'x.$^(y)', true], ['sys.*', 'sys.restart', true], ['orders.*', 'sys.orders.a', false],
  ];
  for (const [pattern, topic, expected] of cases) assert.equal(allows([pattern], topic), expected, `${pattern} / ${topic}`);
  // Against a regular expression, 5 '*' took 58 s over a topic of 256 bytes, and 8 in an allow-list entry longer still.
  const { code, signal, result, stderr } = await scenario('wildcards', { timeoutMs: 5000 });
  assert.equal(code, 0, `the plugin process ended with ${code ?? signal} (killed: its event loop was blocked): ${stderr}`);
  assert.deepEqual(result, { got: ['a.b.c.d.e.f.x'], refused: 'FORBIDDEN' });
});

test('bus: fields the host sends are checked; a bad message is dropped and counted, and gaps are kept for subscribed topics only', async () => {
  const logs = new Inbox();
  const { host, main, run } = loopback({
    framer: 'msgpack',
    setup(main, host) {
      host.handle('cmd.log', (buffer) => logs.push(JSON.parse(buffer.toString('utf8')).message));
      host.handle('bus.hello', () => fmt.encode([null, 'host-1', null, null]));
      host.handle('bus.subscribe', () => {});
    },
  });
  const got = [];
  await main.subscribe('orders', (payload, message) => { got.push([message.sequence, message.missed, payload.toString()]); });
  const send = (values) => host.notify('bus.message', fmt.encode(values));
  const bad = [
    ['orders', 'o'.repeat(1024 * 1024), 1, null, Buffer.from('huge origin')],
    ['orders', '', 1, 'p'.repeat(257), Buffer.from('long publisher')],
    ['orders', '', -1, null, Buffer.from('negative sequence')],
    ['orders', '', 1.5, null, Buffer.from('fractional sequence')],
    ['orders', '', '1', null, Buffer.from('string sequence')],
    ['orders', 7, 1, null, Buffer.from('number origin')],
    ['orders', '', 1, null, Buffer.from('six values'), 'extra'],
    ['orders', '', 1, null, 'not bin'],
    ['o'.repeat(3000), '', 1, null, Buffer.from('long topic')],
    ['o'.repeat(513), '', 1, null, Buffer.from('topic over 512 bytes')],
    ['ord*', '', 1, null, Buffer.from('a star')],
    ['ord\nrs', '', 1, null, Buffer.from('a control character')],
    [42, '', 1, null, Buffer.from('number topic')],
  ];
  for (const values of bad) send(values);
  for (let i = 0; i < 100; i++) send([`nobody.${i}`, '', 5, null, Buffer.alloc(0)]); // no subscriber: nothing kept for them
  send(['orders', 'host-2', 3, 'p', Buffer.from('good')]);
  send(['orders', 'host-2', 6, null, Buffer.from('after a gap')]);
  await host.ping();
  while (got.length < 2) await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(got, [[3, 0, 'good'], [6, 2, 'after a gap']]);
  assert.equal(main.bus.unreadable, bad.length);
  assert.deepEqual([...main.bus.sequences.keys()], ['host-2\norders']);
  const warning = await logs.take();
  assert.match(warning, /could not be read .* 'bus\.message' takes \[topic, origin, sequence, publisher, payload\] .*its origin is not a string of at most 256 characters/);
  assert.ok(warning.length < 1000, 'the warning does not carry what the host sent');

  // A request of the host with a bad field is answered INVALID_REQUEST; no subscriber sees it.
  await main.subscribe('asked', () => 'answer');
  await assert.rejects(host.call('bus.request', fmt.encode(['asked', 'o'.repeat(300), 0, null, Buffer.from('q')])), (e) => e.code === 'INVALID_REQUEST' && /its origin/.test(e.message));
  assert.equal((await host.call('bus.request', fmt.encode(['asked', '', 0, null, Buffer.from('q')]))).toString(), 'answer');
  main.stop();
  await run;
});

test('bus: a request timeout past what setTimeout takes is no timer (not one of 1 ms); the host gets an integer', async () => {
  const asked = [];
  const { main, run } = loopback({
    framer: 'msgpack',
    setup(main, host) {
      host.handle('bus.hello', () => fmt.encode([null, 'host-1', null, null]));
      host.handle('bus.request', async (buffer) => {
        asked.push(fmt.decode(buffer)[3]);
        await new Promise((resolve) => setTimeout(resolve, 50)); // a timer that fires after 1 ms has long fired
        return fmt.encode(['p', Buffer.from('reply')]);
      });
    },
  });
  const timers = []; // what the bus gives the channel's call as its timeout
  const call = main.call.bind(main);
  main.call = (cmd, buffer, options) => {
    if (cmd === 'bus.request') timers.push(options.timeoutMs);
    return call(cmd, buffer, options);
  };
  for (const timeoutMs of [2 ** 31, 2 ** 31 - 1 - 5000 + 1, 30 * 24 * 3600 * 1000, Infinity, 1000]) {
    const reply = await main.request('q', 'x', { timeoutMs });
    assert.equal(reply.payload.toString(), 'reply', `timeoutMs ${timeoutMs}`);
  }
  assert.deepEqual(timers, [Infinity, Infinity, Infinity, Infinity, 6000]);
  assert.deepEqual(asked, [2 ** 31, 2 ** 31 - 5000, 30 * 24 * 3600 * 1000, Number.MAX_SAFE_INTEGER, 1000]);
  for (const timeoutMs of [0, -1, Number.NaN, '100']) await assert.rejects(main.request('q', 'x', { timeoutMs }), RangeError);
  assert.equal(asked.length, 5);
  main.stop();
  await run;
});

test('channel: an error answer that fits only without its message ends its shortening and reaches its caller', async () => {
  const { code, signal, result, stderr } = await scenario('errorShortening', { timeoutMs: 15000 });
  assert.equal(code, 0, `the plugin process ended with ${code ?? signal}: ${stderr}`);
  assert.equal(result.answer, `RemoteError ${'C'.repeat(64)}: `);
});

test('bus: a request the host cancels asks no further subscriber', async () => {
  const { host, main, run } = loopback({
    framer: 'msgpack',
    setup(main, host) {
      host.handle('bus.hello', () => fmt.encode([null, 'host-1', null, null]));
      host.handle('bus.subscribe', () => {});
    },
  });
  const firstAsked = new Inbox();
  const asked = [];
  // The first subscriber gives no reply, and only once the request is cancelled: the loop then stands before the second.
  await main.subscribe('asked', async (payload, message) => {
    asked.push('first');
    firstAsked.push(true);
    await new Promise((resolve) => message.signal.addEventListener('abort', resolve, { once: true }));
    return null;
  });
  await main.subscribe('asked', () => { asked.push('second'); return 'too late'; });
  const controller = new AbortController();
  const call = host.call('bus.request', fmt.encode(['asked', '', 0, null, Buffer.from('q')]), { signal: controller.signal });
  await firstAsked.take();
  controller.abort();
  await assert.rejects(call, (e) => e.name === 'AbortError');
  await host.ping(); // the cancel, and whatever the plugin did after it, came before this answer
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(asked, ['first']);
  main.stop();
  await run;
});
