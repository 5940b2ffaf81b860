'use strict';
// What a plugin does when its host's requests or its own handlers go wrong: it answers, on time, and goes on running.
const test = require('node:test');
const assert = require('node:assert/strict');
const { sdk, loopback, Inbox } = require('./helpers');

/** Collects the plugin's log entries (cmd.log) as text, on the host side. */
function logsOf(host) {
  const logs = new Inbox();
  host.handle('cmd.log', (buffer) => logs.push(buffer.toString('utf8')), true);
  return logs;
}

test('an async bridge JSON listener that rejects is logged, not left as an unhandled rejection', async () => {
  const unhandled = [];
  const onUnhandled = (reason) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  let logs;
  const { host, main, run } = loopback({
    setup: (m, h) => {
      logs = logsOf(h);
      m.bridge.onJson(async (value) => {
        if (!value.ok) throw new Error('json listener rejects');
      });
    },
  });
  try {
    await host.call('GetMetadata');
    host.notify('bridge.message', '{"ok":false}');
    let entry;
    do entry = await logs.take(); while (!entry.includes("bridge 'message' listener failed"));
    assert.match(entry, /json listener rejects/);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await main.stop();
    await run;
  }
});

test('an error answer too large for the framer is shortened to fit, so its caller gets it rather than a timeout', async () => {
  const { host, main, run } = loopback({
    options: { maxChunkBytes: 4096 },
    setup: (m) => {
      m.handle('fail', () => { throw new Error(`bad input: ${'x'.repeat(5000)}`); });
      m.handle('failRemote', () => { throw new sdk.RemoteError('MINE', 'short', { blob: 'y'.repeat(5000) }); });
    },
  });
  try {
    await host.call('GetMetadata');
    await assert.rejects(host.call('fail', '', { timeoutMs: 10000 }), (e) => {
      assert.equal(e.code, 'HANDLER_ERROR');
      assert.match(e.message, /^bad input: x+.* \(shortened\)$/);
      return true;
    });
    await assert.rejects(host.call('failRemote', '', { timeoutMs: 10000 }), (e) => {
      assert.equal(e.code, 'MINE');
      assert.equal(e.message, 'short');
      assert.equal(e.details, undefined, 'the details that did not fit are left out');
      return true;
    });
  } finally {
    await main.stop();
    await run;
  }
});

test('a request cancelled while the plugin starts is not run once it has started', async () => {
  let release;
  const started = new Promise((resolve) => { release = resolve; });
  let ran = 0;
  const { host, main, run } = loopback({
    setup: (m) => {
      m.onStart(() => started);
      m.handle('charge', () => { ran++; return 'charged'; });
    },
  });
  try {
    const caller = new AbortController();
    const call = host.call('charge', '', { signal: caller.signal });
    await new Promise((resolve) => setImmediate(resolve)); // the request is read and waits for the start
    caller.abort();
    await assert.rejects(call, { name: 'AbortError' });
    release();
    assert.equal(String(await host.call('GetMetadata')).length > 0, true); // started: handlers run now
    assert.equal(ran, 0, 'the cancelled request was not run');
  } finally {
    await main.stop();
    await run;
  }
});

test('a timeout longer than a Node timer keeps is refused in the options, and is no timeout at all on a call', async () => {
  assert.throws(() => sdk.createMain({ name: 'long', callTimeoutMs: 30 * 24 * 3600 * 1000 }), /callTimeoutMs must be .* at most 2147483647/);
  const { host, main, run } = loopback({ setup: (_, h) => h.handle('slow', () => new Promise((resolve) => setTimeout(() => resolve('ok'), 50))) });
  try {
    await host.call('GetMetadata');
    assert.equal(String(await main.call('slow', '', { timeoutMs: 30 * 24 * 3600 * 1000 })), 'ok');
  } finally {
    await main.stop();
    await run;
  }
});

test('ending streams whose iterators never let go answers their waiting requests and counts them against the limit', async () => {
  const contract = sdk.defineContract('IFeed', ['IFeed.Watch():stream<int>']);
  const { host, main, run } = loopback({
    framer: 'msgpack',
    setup: (m) => m.implement(contract, { async *Watch() { yield 1; await new Promise(() => {}); } }), // quiet for ever
  });
  const { msgpackFormat } = require('../../src/pluginipc-node/lib/serializers');
  try {
    await host.call('GetMetadata');
    const ids = [];
    for (let i = 0; i < 64; i++) ids.push(msgpackFormat.decode(await host.call('IFeed.Watch', msgpackFormat.encode([64])))[0]);
    const waiting = ids.map((id) => host.call('cmd.stream.next', msgpackFormat.encode([id, 64]), { timeoutMs: 10000 }));
    await new Promise((resolve) => setImmediate(resolve));
    for (const id of ids) host.notify('cmd.stream.end', msgpackFormat.encode([id]));
    for (const answer of await Promise.all(waiting)) assert.equal(msgpackFormat.decode(answer)[2], true, 'answered as the last batch');
    await assert.rejects(host.call('IFeed.Watch', msgpackFormat.encode([64])), { code: 'TOO_MANY_STREAMS' });
  } finally {
    await main.stop();
    await run;
  }
});

test('a subscribe made at the top level reaches the host before the handshake is answered', async () => {
  const order = [];
  const { host, main, run } = loopback({
    framer: 'msgpack',
    setup: (m, h) => {
      const { msgpackFormat } = require('../../src/pluginipc-node/lib/serializers');
      h.handle('bus.hello', () => msgpackFormat.encode([null, 'host-1', null, null]));
      h.handle('bus.subscribe', () => { order.push('subscribe'); return Buffer.alloc(0); });
      m.subscribe('news', () => {});
    },
  });
  try {
    await host.call('GetMetadata');
    order.push('handshake answered');
    assert.deepEqual(order, ['subscribe', 'handshake answered'], 'the host drops, at the handshake, what a new process has not subscribed to again');
  } finally {
    await main.stop();
    await run;
  }
});

test('channel: running handlers of large requests hold at most maxRunningRequestBytes; the rest wait in order, small ones do not', async () => {
  const { PassThrough } = require('stream');
  const toPlugin = new PassThrough();
  const toHost = new PassThrough();
  const host = new sdk.Channel({ input: toHost, output: toPlugin, framer: sdk.createFramer('msgpack'), name: 'host' });
  const plugin = new sdk.Channel({ input: toPlugin, output: toHost, framer: sdk.createFramer('msgpack'), name: 'plugin', maxRunningRequestBytes: 1024 * 1024 });
  const started = new Set();
  const gates = new Map();
  plugin.handle('big', (buffer) => {
    started.add(buffer[0]);
    return new Promise((resolve) => gates.set(buffer[0], () => resolve('')));
  });
  plugin.handle('small', (buffer) => buffer);
  host.start();
  plugin.start();
  const body = (i) => { const b = Buffer.alloc(300 * 1024, 0x78); b[0] = i; return b; };
  const cancel5 = new AbortController();
  const calls = [1, 2, 3, 4, 5, 6].map((i) => host.call('big', body(i), i === 5 ? { signal: cancel5.signal } : {}));
  // Answered after every request before it was dispatched: three of 300 KiB fit in 1 MiB.
  assert.equal((await host.call('small', Buffer.from('ok'))).toString(), 'ok');
  assert.deepEqual([...started], [1, 2, 3]);

  cancel5.abort();
  await assert.rejects(calls[4], (e) => e.name === 'AbortError');
  gates.get(1)();
  await calls[0];
  assert.equal((await host.call('small', Buffer.from('ok'))).toString(), 'ok');
  assert.deepEqual([...started], [1, 2, 3, 4], 'the next in order fits once one ends; the sixth does not yet');

  for (const i of [2, 3, 4]) gates.get(i)();
  await Promise.all([calls[1], calls[2], calls[3]]);
  assert.equal((await host.call('small', Buffer.from('ok'))).toString(), 'ok');
  gates.get(6)();
  await calls[5];
  assert.deepEqual([...started], [1, 2, 3, 4, 6], 'the cancelled request never ran');
  assert.equal(plugin._largeBytes, 0, 'every byte came back');
  assert.equal(plugin._largeWaiting, 0);
  host.close();
  plugin.close();
});

test('configure: the queue and handler limits are positive integers, or Infinity', () => {
  const main = sdk.createMain({ exitProcess: false });
  for (const limit of ['maxConcurrentHandlers', 'maxQueuedMessages', 'maxQueuedBytes', 'maxRunningRequestBytes', 'maxUnsentBytes']) {
    for (const bad of [0, -1, 1.5, '5', NaN, -Infinity]) assert.throws(() => main.configure({ [limit]: bad }), RangeError, `${limit} = ${bad}`);
  }
  main.configure({ maxRunningRequestBytes: 1024, maxQueuedBytes: Infinity });
});
