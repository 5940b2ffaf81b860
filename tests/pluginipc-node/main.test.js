'use strict';
// Every member of Main, its logger and its bridge over an in-memory loopback: a host-side Channel speaks to a Main.
const test = require('node:test');
const assert = require('node:assert/strict');
const { sdk, packageDir, loopback, Inbox } = require('./helpers');
const { msgpackFormat } = require(`${packageDir}/lib/serializers`);
const { ContractHost } = require(`${packageDir}/lib/contracts`);

const { RemoteError } = sdk;
const text = (buffer) => buffer.toString('utf8');

/** Collects what the plugin sends with one-way cmds (cmd.log, bridge.message, ...) on the host side. */
function collect(host, cmd) {
  const inbox = new Inbox();
  host.handle(cmd, (buffer) => inbox.push(text(buffer)));
  return inbox;
}

for (const framer of ['text', 'msgpack']) {
  test(`${framer}: handshake metadata, handle, call, notify, ping both ways, stop`, async () => {
    const { host, main, run } = loopback({
      framer,
      options: { metadata: { version: '2.0' } },
      setup(main, host) {
        main.handle('echo', (buffer) => buffer);
        main.handle('upper', (buffer) => text(buffer).toUpperCase());
        main.handle('empty', () => undefined);
        main.handle('callback', (buffer) => main.call('Repeat', buffer));
        main.handle('notify', async (buffer) => { await main.notify('Notified', buffer); });
        main.handle('ping-host', async () => { await main.ping(); return 'pong'; });
        host.handle('Repeat', (buffer) => `Response: ${text(buffer)}`);
      },
    });
    const notified = collect(host, 'Notified');
    const metadata = JSON.parse(text(await host.call('GetMetadata')));
    assert.deepEqual(metadata, { version: '2.0', protocol: '1', name: 'loop', serializer: 'msgpack' });
    assert.deepEqual(main.metadata, metadata);
    assert.equal(main.isConnected, true);
    assert.equal(text(await host.call('echo', 'hi')), 'hi');
    assert.equal(text(await host.call('upper', 'hi')), 'HI');
    assert.equal((await host.call('empty')).length, 0);
    assert.equal(text(await host.call('callback', 'abc')), 'Response: abc');
    assert.equal((await host.call('notify', 'note')).length, 0);
    assert.equal(await notified.take(), 'note');
    await host.ping();
    assert.equal(text(await host.call('ping-host')), 'pong');
    host.notify('cmd.stop');
    assert.equal(await run, 0);
    assert.equal(main.stopping.aborted, true);
    assert.equal(main.isConnected, false);
  });
}

test('errors: code, message and details; plain errors; unknown commands; the fallback', async () => {
  const { host, main, run } = loopback({
    options: { includeErrorDetails: true },
    setup(main) {
      main.handle('fail', () => { throw new RemoteError('TEST_FAILURE', 'it failed', { a: [1, 2] }); });
      main.handle('plain', async () => { throw new Error('plain'); });
      main.handle('bad-answer', () => 42);
    },
  });
  await assert.rejects(host.call('fail'), (e) => e instanceof RemoteError && e.code === 'TEST_FAILURE' && e.message === 'it failed' && e.details.a[1] === 2 && e.cmd === 'fail');
  await assert.rejects(host.call('plain'), (e) => e.code === 'HANDLER_ERROR' && e.message === 'plain' && typeof e.details === 'string' && e.details.includes('Error: plain'));
  await assert.rejects(host.call('bad-answer'), (e) => e.code === 'HANDLER_ERROR');
  await assert.rejects(host.call('nothing'), (e) => e.code === 'UNKNOWN_COMMAND' && e.message.includes("'nothing'"));
  main.handleFallback((buffer, ctx) => `fallback for ${ctx.cmd}`);
  assert.equal(text(await host.call('nothing')), 'fallback for nothing');
  main.handleFallback(null);
  await assert.rejects(host.call('nothing'), (e) => e.code === 'UNKNOWN_COMMAND');
  assert.throws(() => main.handle('GetMetadata', () => {}), RangeError);
  assert.throws(() => main.handle('', () => {}), TypeError);
  main.stop();
  assert.equal(await run, 0);
});

test('cancel: the host cancels, the handler\'s signal fires and it answers CANCELLED; a call of the plugin times out and is cancelled', async () => {
  const aborted = new Inbox();
  const hostCancelled = new Inbox();
  const { host, main, run } = loopback({
    setup(main, host) {
      main.handle('wait', (buffer, { signal }) => new Promise((resolve, reject) => {
        signal.addEventListener('abort', () => { aborted.push('aborted'); reject(signal.reason); });
      }));
      main.handle('call-slow', async () => {
        try {
          await main.call('slow', '', { timeoutMs: 50 });
          return 'answered';
        } catch (e) {
          return e.name;
        }
      });
      main.handle('call-aborted', async () => {
        const controller = new AbortController();
        const call = main.call('slow', '', { signal: controller.signal });
        setTimeout(() => controller.abort(), 20);
        try {
          await call;
          return 'answered';
        } catch (e) {
          return e.name;
        }
      });
      host.handle('slow', (buffer, { signal }) => new Promise((resolve) => signal.addEventListener('abort', () => { hostCancelled.push('cancelled'); resolve(); })));
    },
  });
  const controller = new AbortController();
  const waiting = host.call('wait', '', { signal: controller.signal });
  await host.ping(); // the request is there
  controller.abort();
  await assert.rejects(waiting, (e) => e.name === 'AbortError');
  assert.equal(await aborted.take(), 'aborted');
  assert.equal(text(await host.call('call-slow')), 'TimeoutError');
  assert.equal(await hostCancelled.take(), 'cancelled');
  assert.equal(text(await host.call('call-aborted')), 'AbortError');
  assert.equal(await hostCancelled.take(), 'cancelled');
  await assert.rejects(host.call('wait', '', { timeoutMs: 30 }), (e) => e instanceof sdk.TimeoutError);
  assert.equal(await aborted.take(), 'aborted');
  main.stop();
  await run;
});

test('onStart runs before any handler; onStop runs after in-flight work, bounded by the grace period', async () => {
  const order = [];
  let release;
  const { host, main, run } = loopback({
    options: { stopGracePeriodMs: 200 },
    setup(main) {
      main.onStart(async ({ signal }) => {
        assert.equal(signal.aborted, false);
        await new Promise((resolve) => { release = resolve; });
        order.push('start');
      });
      main.handle('work', () => { order.push('work'); return 'done'; });
      main.onStop(({ signal }) => { order.push(`stop ${signal.aborted}`); return new Promise(() => {}); }); // never ends: the grace ends it
    },
  });
  const work = host.call('work');
  const metadata = host.call('GetMetadata');
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(order, [], 'handlers wait for the start hook');
  release();
  assert.equal(text(await work), 'done');
  await metadata;
  const started = Date.now();
  const stderr = [];
  const write = process.stderr.write;
  process.stderr.write = (text, ...rest) => (String(text).includes("plugin 'loop'") ? stderr.push(String(text)) > 0 : write.call(process.stderr, text, ...rest));
  try {
    host.notify('cmd.stop');
    assert.equal(await run, 0);
  } finally {
    process.stderr.write = write;
  }
  assert.ok(Date.now() - started < 2000);
  assert.deepEqual(order, ['start', 'work', 'stop false']);
  // Said as a warning (the host is gone by then, so on stderr), not as a failure of the hook.
  assert.equal(stderr.length, 1, stderr.join(''));
  assert.match(stderr[0], /^\[Warning\] .*The stop hook of plugin 'loop' did not finish within the stop grace period \(200 ms\)/);
});

test('a failing start hook exits with code 1', async () => {
  const { run } = loopback({ setup: (main) => main.onStart(() => { throw new Error('no'); }) });
  assert.equal(await run, 1);
});

test('stop: requests in flight finish within the grace; new ones are refused with SHUTTING_DOWN', async () => {
  const { host, main, run } = loopback({
    options: { stopGracePeriodMs: 2000 },
    setup(main) {
      main.handle('slow', () => new Promise((resolve) => setTimeout(() => resolve('finished'), 100)));
    },
  });
  const slow = host.call('slow');
  await host.ping();
  main.stop();
  await new Promise((resolve) => setImmediate(resolve));
  await assert.rejects(host.call('slow'), (e) => e.code === 'SHUTTING_DOWN');
  assert.equal(text(await slow), 'finished');
  assert.equal(await run, 0);
});

test('the host going away (its input ends) stops the plugin; pending calls fail with ChannelClosedError', async () => {
  const { toPlugin, main, run, host } = loopback({
    setup(main) {
      main.handle('call', () => main.call('never').catch((e) => e.name));
    },
  });
  host.handle('never', () => new Promise(() => {}));
  const pending = main.call('never');
  await host.ping();
  toPlugin.end();
  await assert.rejects(pending, (e) => e instanceof sdk.ChannelClosedError);
  assert.equal(await run, 0);
});

test('a notify waiting in a full output rejects with ChannelClosedError when the host goes away before reading it', async () => {
  const { toPlugin, toHost, main, run, host } = loopback({ options: { maxUnsentBytes: 1024 * 1024 } });
  await host.ping(); // connected
  toHost.pause(); // the host stops reading
  let settled = false;
  const sent = main.notify('big', Buffer.alloc(2 * 1024 * 1024, 0x61));
  sent.then(() => { settled = true; }, () => { settled = true; });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(settled, false, 'it waits while the host does not read');
  toPlugin.end(); // the host goes away, the message never read
  await assert.rejects(sent, (e) => { assert.ok(e instanceof sdk.ChannelClosedError, String(e)); assert.match(e.message, /while 'big' waited to be written/); return true; });
  assert.equal(await run, 0);
});

test('a protocol error from the host closes the connection and stops the plugin', async () => {
  const { toPlugin, run } = loopback({});
  toPlugin.write(Buffer.from('7\u00009\u0000', 'latin1'));
  assert.equal(await run, 0);
});

test('unanswered pings to the host stop the plugin', async () => {
  const { run, host } = loopback({ options: { hostPingIntervalMs: 20, hostPingTimeoutMs: 50 } });
  host._dispatch = () => {}; // the host stops answering anything
  assert.equal(await run, 0);
});

test('the channel: one request id twice in flight is INVALID_REQUEST; an answer over the limits is PAYLOAD_TOO_LARGE', async () => {
  const framer = sdk.createFramer('text');
  const { toPlugin, toHost, main, run } = loopback({
    options: { maxChunkBytes: 200 },
    setup(main) {
      main.handle('wait', () => new Promise((resolve) => setTimeout(() => resolve('ok'), 100)));
      main.handle('big', () => Buffer.alloc(201));
    },
  });
  const answers = new Inbox();
  let pending = Buffer.alloc(0);
  toHost.on('data', (data) => {
    pending = Buffer.concat([pending, data]);
    for (let r = framer.decode(pending); r.chunk; r = framer.decode(pending)) {
      pending = pending.subarray(r.size);
      if (r.chunk.direction === 3) answers.push(r.chunk);
    }
  });
  toPlugin.write(framer.encode({ threadId: 9n, direction: 2, cmd: 'wait' }));
  toPlugin.write(framer.encode({ threadId: 9n, direction: 2, cmd: 'wait' }));
  const first = await answers.take();
  assert.equal(first.cmd, 'cmd.error');
  assert.equal(JSON.parse(text(first.buffer)).code, 'INVALID_REQUEST');
  assert.equal(text((await answers.take()).buffer), 'ok');
  toPlugin.write(framer.encode({ threadId: 10n, direction: 2, cmd: 'big' }));
  assert.equal(JSON.parse(text((await answers.take()).buffer)).code, 'PAYLOAD_TOO_LARGE');
  main.stop();
  await run;
});

test('a start hook still running does not keep the plugin alive once its host goes away: the hook\'s signal fires', async () => {
  let aborted = false;
  const { toPlugin, run } = loopback({
    setup(main) {
      main.onStart(({ signal }) => new Promise((resolve) => signal.addEventListener('abort', () => { aborted = true; resolve(); })));
    },
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  toPlugin.end(); // the host goes away
  const outcome = await Promise.race([run, new Promise((resolve) => setTimeout(() => resolve('hung'), 2000))]);
  assert.notEqual(outcome, 'hung', 'the plugin ran on with its host gone');
  assert.equal(aborted, true);
});

test('a request that waited for a start cut short by a stop is answered SHUTTING_DOWN and its handler never runs', async () => {
  let ran = false;
  let hookStarted;
  const hookRunning = new Promise((resolve) => { hookStarted = resolve; });
  const { host, main, run } = loopback({
    setup(main) {
      main.onStart(({ signal }) => { hookStarted(); return new Promise((resolve) => signal.addEventListener('abort', resolve)); });
      main.handle('work', () => { ran = true; return 'done'; });
    },
  });
  await hookRunning;
  const work = host.call('work', 'x');
  await host.ping(); // the request has been read: it waits for the start
  main.stop();
  await assert.rejects(work, (e) => e.code === 'SHUTTING_DOWN');
  assert.equal(ran, false, 'the handler ran on a plugin that never finished starting');
  await run;
});

test('the channel pauses reading while too many messages wait for handlers, and resumes', async () => {
  let release;
  const gate = new Promise((resolve) => { release = resolve; });
  const seen = [];
  const { host, main, run, toPlugin } = loopback({
    options: { maxQueuedMessages: 4 },
    setup(main) {
      main.handle('slow-oneway', async (buffer) => { await gate; seen.push(text(buffer)); });
    },
  });
  await host.call('GetMetadata');
  for (let i = 0; i < 10; i++) host.notify('slow-oneway', String(i));
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(toPlugin.isPaused(), true, 'reading paused');
  release();
  while (seen.length < 10) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(seen, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], 'one-way messages run one at a time, in order');
  assert.equal(toPlugin.isPaused(), false);
  main.stop();
  await run;
});

test('the channel reads a msgpack chunk of 1024 headers arriving one byte at a time, in work and copies linear in its size', async () => {
  const { PassThrough } = require('stream');
  const { readWork } = require(`${packageDir}/lib/framing`);
  const headers = {};
  for (let i = 0; i < 1024; i++) headers[`key-${i}`] = `v\u00e9\u20ac\u{1d11e}`.repeat(i % 9);
  const bytes = sdk.createFramer('msgpack').encode({ threadId: 0n, direction: 1, cmd: 'many', buffer: Buffer.from('body'), headers });
  const input = new PassThrough();
  const channel = new sdk.Channel({ input, output: new PassThrough(), framer: sdk.createFramer('msgpack') });
  const read = new Inbox();
  channel.handle('many', (buffer, context) => read.push({ buffer, headers: context.headers }));
  channel.start();
  const work = readWork.bytes;
  const allocUnsafe = Buffer.allocUnsafe;
  let copied = 0; // the memory the channel joins pieces into, which it takes from Buffer.allocUnsafe
  Buffer.allocUnsafe = (size) => { copied += size; return allocUnsafe(size); };
  let chunk;
  try {
    for (let i = 0; i < bytes.length; i++) input.write(bytes.subarray(i, i + 1));
    chunk = await read.take();
  } finally {
    Buffer.allocUnsafe = allocUnsafe;
  }
  assert.equal(text(chunk.buffer), 'body');
  assert.deepEqual(chunk.headers, headers);
  // Joined again in full and read again from its start at each of its 4,000 or so steps, it took about 2,300 times its size in
  // copies and 4,400 in reading.
  assert.ok(readWork.bytes - work <= 4 * bytes.length, `the framer examined ${readWork.bytes - work} bytes of a chunk of ${bytes.length}`);
  assert.ok(copied <= 6 * bytes.length, `the channel joined pieces into ${copied} bytes for a chunk of ${bytes.length}`);
  channel.abort();
});

/**
 * An echo channel (1 MiB of unsent output at most, 8 handlers) that is sent `requests` echoes of 64 KiB while nobody reads
 * its output; resolves once its output is full, or after 2 s.
 */
async function unreadEchoChannel(requests) {
  const { PassThrough } = require('stream');
  const input = new PassThrough();
  const output = new PassThrough(); // nobody reads it
  const channel = new sdk.Channel({ input, output, framer: sdk.createFramer('text'), maxUnsentBytes: 1024 * 1024, maxConcurrentHandlers: 8 });
  channel.handle('echo', (buffer) => buffer);
  channel.start();
  const framer = sdk.createFramer('text');
  const body = Buffer.alloc(64 * 1024, 0x61);
  for (let i = 1; i <= requests; i++) input.write(framer.encode({ threadId: BigInt(i), direction: 2, cmd: 'echo', buffer: body }));
  for (let waited = 0; !channel.outputFull && waited < 2000; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
  return { input, output, channel, framer, body };
}

test('the channel pauses reading while the other side does not read its answers, and resumes once it does', async () => {
  const requests = 1024; // 64 MiB of answers
  const { input, output, channel, framer, body } = await unreadEchoChannel(requests);
  await new Promise((resolve) => setTimeout(resolve, 100)); // what a plugin that does not pause would keep answering meanwhile
  assert.equal(channel.outputFull, true, 'the output is full');
  assert.equal(input.isPaused(), true, 'reading paused: no handler starts, so the waiting requests fill the queue');
  // what waits: maxUnsentBytes, and the answers of the handlers that were running (8 of 64 KiB)
  assert.ok(output.writableLength <= 2 * 1024 * 1024, `${output.writableLength} bytes wait to be written`);
  let writable = false;
  const drained = channel.whenWritable().then(() => { writable = true; });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(writable, false, 'whenWritable waits while the output is full');
  let answered = 0;
  let rest = Buffer.alloc(0);
  output.on('data', (data) => {
    rest = Buffer.concat([rest, data]);
    for (let result = framer.decode(rest); result.chunk; result = framer.decode(rest)) {
      assert.equal(result.chunk.buffer.length, body.length);
      answered++;
      rest = rest.subarray(result.size);
    }
  });
  await drained;
  while (answered < requests) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(input.isPaused(), false, 'reading resumed');
  channel.abort();
});

test('while the output is full, the answers to the plugin\'s own calls are still read', async () => {
  const { input, channel, framer } = await unreadEchoChannel(64); // too few to fill the queue: reading goes on
  assert.equal(channel.outputFull, true);

  // A host that waits to write its answers before it reads again (as a .NET host's busy handlers do) still answers this.
  const asked = channel.call('ask', 'q', { timeoutMs: 5000 });
  input.write(framer.encode({ threadId: 1n, direction: 3, cmd: 'ask', buffer: Buffer.from('answer') }));
  assert.equal((await asked).toString(), 'answer');
  assert.equal(channel.outputFull, true, 'the answer came while the output was still full');
  channel.abort();
});

test('typed calls: handleTyped and callTyped in the serializer format; a value that is not one is INVALID_REQUEST', async () => {
  const { host, main, run } = loopback({
    setup(main, host) {
      main.handleTyped('move', ({ X, Y }) => ({ X: X + 1, Y: Y + 1 }));
      main.handle('ask', async () => msgpackFormat.encode(await main.callTyped('double', 21)));
      host.handle('double', (buffer) => msgpackFormat.encode(msgpackFormat.decode(buffer) * 2));
    },
  });
  assert.deepEqual(msgpackFormat.decode(await host.call('move', msgpackFormat.encode({ X: 1, Y: 2 }))), { X: 2, Y: 3 });
  assert.equal(msgpackFormat.decode(await host.call('ask')), 42);
  await assert.rejects(host.call('move', Buffer.from([0xc1])), (e) => e.code === 'INVALID_REQUEST' && e.message.includes("'move' expects"));
  main.stop();
  await run;
});

test('logger: every level with its category and exception, the minimum level, child loggers; entries before the connection are queued', async () => {
  let logs;
  const { host, main, run } = loopback({
    options: { minimumLogLevel: 'Debug' },
    setup(main, host) {
      logs = collect(host, 'cmd.log');
      main.logger.info('before %s', 'connecting');
      main.handle('log', () => {
        const l = main.logger;
        l.trace('t');
        l.debug('d');
        l.info('i', { a: 1 });
        l.warn('w');
        l.error('e', new Error('boom'));
        l.critical('c');
        l.log('Warning', 'via log');
        l.child('Child').info('from child');
        assert.equal(l.isEnabled('Trace'), false);
        assert.equal(l.isEnabled('Debug'), true);
      });
    },
  });
  await host.call('log');
  const entries = [];
  for (let i = 0; i < 8; i++) entries.push(JSON.parse(await logs.take()));
  assert.deepEqual(entries.map((e) => [e.level, e.category, e.message]), [
    ['Information', 'loop', 'before connecting'],
    ['Debug', 'loop', 'd'],
    ['Information', 'loop', 'i { a: 1 }'],
    ['Warning', 'loop', 'w'],
    ['Error', 'loop', 'e'],
    ['Critical', 'loop', 'c'],
    ['Warning', 'loop', 'via log'],
    ['Information', 'Child', 'from child'],
  ]);
  assert.match(entries.find((e) => e.message === 'e').exception, /Error: boom/);
  assert.throws(() => main.logger.log('Loud', 'x'), RangeError);
  main.stop();
  await run;
});

test('bridge: connect after the handshake, messages both ways, JSON, disconnect', async () => {
  const events = new Inbox();
  const { host, main, run } = loopback({
    setup(main) {
      main.bridge.on('connect', () => { events.push('connect'); main.bridge.send('hello, I am connected'); });
      main.bridge.on('message', (data) => { if (data === 'hello') main.bridge.send('hello, too'); });
      main.bridge.onJson((value) => main.bridge.sendJson({ got: value }));
      main.bridge.on('disconnect', () => events.push('disconnect'));
    },
  });
  const bridge = collect(host, 'bridge.message');
  await host.call('GetMetadata');
  assert.equal(await events.take(), 'connect');
  assert.equal(await bridge.take(), 'hello, I am connected');
  host.notify('bridge.message', 'hello');
  assert.equal(await bridge.take(), 'hello, too');
  host.notify('bridge.message', '[1,"two"]');
  assert.equal(await bridge.take(), '{"got":[1,"two"]}');
  assert.equal((await host.call('bridge.message', 'hello')).length, 0, 'a request is answered empty');
  host.notify('bridge.message', '"after the request"');
  assert.equal(await bridge.take(), '{"got":"after the request"}', 'and never reached the bridge: nothing answered "hello, too"');
  await assert.rejects(main.bridge.send(42), TypeError);
  await assert.rejects(main.bridge.sendJson(undefined), TypeError);
  main.stop();
  assert.equal(await events.take(), 'disconnect');
  await run;
});

test('contracts: the host calls an implemented contract (calls, progress, streams, errors) and the plugin calls the host\'s', async () => {
  const vectors = require('./vectors/contracts.json');
  const IGreeter = sdk.defineContract('IGreeter', vectors.signatures);
  let hostContracts;
  let ended = 0;
  const { host, main, run } = loopback({
    setup(main, host) {
      let hellos = 0;
      main.implement(IGreeter, {
        Hello: (name) => `Hello, ${name}! (loop, greeting #${++hellos})`,
        Move: (p, dx, dy) => ({ X: p.X + dx, Y: p.Y + dy }),
        Count: async function* (from, to, { signal }) {
          try {
            for (let i = from; i <= to; i++) {
              if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
              signal.throwIfAborted();
              yield i;
            }
          } finally {
            ended++;
          }
        },
        SumWithProgress: (values, progress) => values.reduce((sum, v) => { progress(sum + v); return sum + v; }, 0),
        Reset: () => { hellos = 0; },
      });
      main.handle('greet-host', (buffer) => main.contract(IGreeter).Hello(text(buffer)));
      hostContracts = new ContractHost({
        call: (cmd, buffer, opts) => host.call(cmd, buffer, opts),
        notify: async (cmd, buffer) => host.notify(cmd, buffer),
        handle: (cmd, fn, inline) => host.handle(cmd, fn, inline),
        channel: () => host,
        format: msgpackFormat,
      });
      hostContracts.implement(IGreeter, { Hello: (name) => `host says hello to ${name}`, Move() {}, Count() { return []; }, SumWithProgress() {}, Reset() {} });
    },
  });
  const metadata = JSON.parse(text(await host.call('GetMetadata')));
  assert.equal(metadata['contract.IGreeter'], vectors.metadata['contract.IGreeter']);
  const greeter = hostContracts.client(IGreeter);
  assert.equal(await greeter.Hello('Ann'), 'Hello, Ann! (loop, greeting #1)');
  assert.deepEqual(await greeter.Move({ X: 1, Y: 2 }, 10, 20), { X: 11, Y: 22 });
  const reports = [];
  assert.equal(await greeter.SumWithProgress([1, 2, 3], (v) => reports.push(v)), 6);
  assert.deepEqual(reports, [1, 3, 6]);
  assert.equal(await greeter.SumWithProgress([4], null), 4);
  assert.equal(await greeter.Reset(), undefined);
  const items = [];
  for await (const i of greeter.Count(1, 1000)) items.push(i);
  assert.deepEqual(items, Array.from({ length: 1000 }, (_, i) => i + 1));
  for await (const i of greeter.Count(1, 1e9)) if (i === 5) break;
  await host.ping();
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(ended, 2, 'a stream left early is ended on the producer\'s side');
  await assert.rejects(host.call('IGreeter.Hello', msgpackFormat.encode(['a', 'b'])), (e) => e.code === 'INVALID_REQUEST');
  await assert.rejects(host.call('IGreeter.Count', msgpackFormat.encode([1, 2, 5000])), (e) => e.code === 'INVALID_REQUEST');
  await assert.rejects(host.call('cmd.stream.next', msgpackFormat.encode([99, 1])), (e) => e.code === 'INVALID_REQUEST' && e.message.includes('Stream 99 is not open'));
  assert.equal(text(await host.call('greet-host', 'Bo')), 'host says hello to Bo');
  main.stop();
  await run;
});

test('contracts: a stream the plugin consumes waits for a quiet producer longer than the call timeout; its signal ends it', async () => {
  const IFeed = sdk.defineContract('IFeed', ['IFeed.Count(int,int):stream<int>']);
  let nextAsked = 0;
  let ended = 0;
  const { host, main, run } = loopback({
    options: { callTimeoutMs: 200 },
    setup(main, host) {
      host.handle('IFeed.Count', () => msgpackFormat.encode([1, [], false]));
      host.handle('cmd.stream.next', async (_, { signal }) => {
        nextAsked++;
        if (nextAsked === 1) await new Promise((resolve) => setTimeout(resolve, 500));
        else await new Promise((resolve) => signal.addEventListener('abort', resolve)); // until the consumer cancels it
        return msgpackFormat.encode([1, [7], false]);
      });
      host.handle('cmd.stream.end', () => { ended++; });
    },
  });
  await host.call('GetMetadata');
  const controller = new AbortController();
  const items = [];
  await assert.rejects(async () => {
    for await (const i of main.contract(IFeed).Count(1, 2, { signal: controller.signal })) {
      items.push(i);
      controller.abort(); // the second window is then pending: the signal must end it
    }
  }, (e) => e.name === 'AbortError');
  assert.deepEqual(items, [7], 'the first window came after 500 ms, over the 200 ms call timeout');
  await host.ping();
  assert.equal(ended, 1, 'the stream was ended on the producer\'s side');
  main.stop();
  await run;
});

test('bus: subscribers of one topic each get the host\'s verdict, an unsubscribe on its way cannot undo a later subscribe, a bad hello is not kept', async () => {
  const fmt = msgpackFormat;
  const held = new Set();
  let hellos = 0;
  let unsubscribed;
  const unsubscribedOnce = new Promise((resolve) => { unsubscribed = resolve; });
  const { host, main, run } = loopback({
    setup(main, host) {
      host.handle('bus.hello', () => (++hellos === 1 ? Buffer.from([0xc1]) : fmt.encode([null, 'host-1', null, null])));
      host.handle('bus.subscribe', (buffer) => {
        const [topic, pattern] = fmt.decode(buffer);
        if (pattern) throw new sdk.RemoteError('FORBIDDEN', 'no patterns here');
        held.add(topic);
      });
      host.handle('bus.unsubscribe', async (buffer) => {
        await new Promise((resolve) => setTimeout(resolve, 20)); // a host that runs requests concurrently may finish it late
        held.delete(fmt.decode(buffer)[0]);
        unsubscribed();
      });
    },
  });
  await assert.rejects(main.publish('t', 'x'), 'the first hello answer cannot be read');
  await main.publish('t', 'x').catch((e) => { if (e.code !== 'UNKNOWN_COMMAND') throw e; }); // a second hello is asked

  const outcomes = await Promise.allSettled([main.subscribe('a.*', () => {}, { pattern: true }), main.subscribe('a.*', () => {}, { pattern: true })]);
  assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'rejected'], 'the second subscriber was refused too, not told it was subscribed');

  const unsubscribe = await main.subscribe('t', () => {});
  unsubscribe(); // not awaited, as the README does
  await main.subscribe('t', () => {});
  await unsubscribedOnce;
  assert.equal(held.has('t'), true, 'the host still has the topic');
  assert.equal(hellos, 2);
  main.stop();
  await run;
});

test('bus: a slow subscriber\'s queue drops the oldest messages past 1,024 or 16 MiB, and its next message counts them as missed', async () => {
  const fmt = msgpackFormat;
  const { host, main, run } = loopback({
    setup(main, host) {
      host.handle('bus.hello', () => fmt.encode([null, 'host-1', null, null]));
      host.handle('bus.subscribe', () => {});
    },
  });
  const send = (topic, sequence, bytes) => host.notify('bus.message', fmt.encode([topic, '', sequence, null, Buffer.alloc(bytes)]));
  for (const [topic, count, bytes, expectedMissed] of [['by.count', 1030, 1, 5], ['by.bytes', 40, 1024 * 1024, 23]]) {
    const got = [];
    let release;
    const gate = new Promise((resolve) => { release = resolve; });
    await main.subscribe(topic, async (payload, message) => { got.push(message); if (got.length === 1) await gate; });
    for (let sequence = 1; sequence <= count; sequence++) send(topic, sequence, bytes);
    await host.ping(); // every message has been read: the first waits in its handler, the rest in the queue
    release();
    while (got.length < count - expectedMissed) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(got[1].sequence, 2 + expectedMissed, topic);
    assert.equal(got[1].missed, expectedMissed, `${topic}: the dropped messages show as a gap`);
    assert.equal(got.at(-1).sequence, count, topic);
    assert.equal(got.slice(2).every((message) => message.missed === 0), true, topic);
  }
  main.stop();
  await run;
});

test('bus: subscribe, publish, request and a host\'s request to the plugin; configuration get/set/remove and its change hook', async () => {
  const fmt = msgpackFormat;
  const published = new Inbox();
  const store = new Map();
  const { host, main, run } = loopback({
    setup(main, host) {
      host.handle('bus.hello', () => fmt.encode(['shop', 'host-1', null, ['orders.*', 'shop:news']]));
      host.handle('bus.subscribe', (buffer) => { published.push(['subscribe', ...fmt.decode(buffer)]); });
      host.handle('bus.unsubscribe', (buffer) => { published.push(['unsubscribe', ...fmt.decode(buffer)]); });
      host.handle('bus.publish', (buffer) => { const [topic, payload] = fmt.decode(buffer); published.push(['publish', topic, Buffer.from(payload).toString()]); });
      host.handle('bus.request', (buffer) => {
        const [topic, payload, all, timeoutMs] = fmt.decode(buffer);
        published.push(['request', topic, Buffer.from(payload).toString(), all, timeoutMs]);
        return all ? fmt.encode([['a', Buffer.from('one')], [null, Buffer.from('two')]]) : fmt.encode(['a', Buffer.from('reply')]);
      });
      host.handle('config.get', (buffer) => { const [scope, key] = fmt.decode(buffer); return fmt.encode(store.get(`${scope}/${key}`) ?? null); });
      host.handle('config.set', (buffer) => { const [scope, key, value] = fmt.decode(buffer); store.set(`${scope}/${key}`, value); });
      host.handle('config.remove', (buffer) => { const [scope, key] = fmt.decode(buffer); return fmt.encode(store.delete(`${scope}/${key}`)); });
    },
  });
  const received = new Inbox();
  const unsubscribe = await main.subscribe('orders.created', (payload, message) => received.push([message.topic, payload.toString(), message.sequence, message.missed, message.publisher]));
  assert.deepEqual(await published.take(), ['subscribe', 'orders.created', false]);
  await main.subscribe(':news', (payload) => (payload.toString() === 'question' ? 'answer' : undefined));
  assert.deepEqual(await published.take(), ['subscribe', 'shop:news', false]);
  await assert.rejects(main.subscribe('private', () => {}), (e) => e.code === 'FORBIDDEN');
  await assert.rejects(main.subscribe('bad*topic', () => {}), RangeError);
  const message = (topic, sequence, payload) => fmt.encode([topic, '', sequence, 'p', Buffer.from(payload)]);
  host.notify('bus.message', message('orders.created', 1, 'first'));
  host.notify('bus.message', message('orders.created', 4, 'fourth'));
  assert.deepEqual(await received.take(), ['orders.created', 'first', 1, 0, 'p']);
  assert.deepEqual(await received.take(), ['orders.created', 'fourth', 4, 2, 'p']);
  assert.equal(text(await host.call('bus.request', message('shop:news', 0, 'question'))), 'answer');
  await assert.rejects(host.call('bus.request', message('shop:news', 0, 'other')), (e) => e.code === 'NO_SUBSCRIBERS');
  await main.publish('orders.created', 'made here');
  assert.deepEqual(await published.take(), ['publish', 'orders.created', 'made here']);
  await assert.rejects(main.publish('sys.restart', '[]'), (e) => e.code === 'FORBIDDEN');
  assert.deepEqual(await main.request('orders.q', 'q?', { timeoutMs: 100 }), { topic: 'orders.q', publisher: 'a', payload: Buffer.from('reply') });
  assert.deepEqual(await published.take(), ['request', 'orders.q', 'q?', false, 100]);
  assert.deepEqual((await main.request('orders.q', 'q?', { all: true })).map((r) => [r.publisher, r.payload.toString()]), [['a', 'one'], [null, 'two']]);
  await published.take();
  await unsubscribe();
  assert.deepEqual(await published.take(), ['unsubscribe', 'orders.created', false]);

  const changes = new Inbox();
  main.onConfigChanged((change) => changes.push(change));
  await main.config.set('user', 'theme', { dark: true });
  assert.equal(store.get('user/theme'), '{"dark":true}');
  assert.deepEqual(await main.config.get('user', 'theme'), { dark: true });
  assert.equal(await main.config.get('user', 'missing'), undefined);
  assert.equal(await main.config.remove('user', 'theme'), true);
  assert.equal(await main.config.remove('user', 'theme'), false);
  await assert.rejects(main.config.get('galaxy', 'x'), RangeError);
  host.notify('bus.message', fmt.encode(['sys.config.changed', '', 0, null, Buffer.from('{"plugin":"loop","scope":"user","key":"theme"}')]));
  assert.deepEqual(await changes.take(), { plugin: 'loop', scope: 'user', key: 'theme' });
  main.stop();
  await run;
});

test('config.get: a null key, like none, asks for the whole scope (nil on the wire); a key with an unpaired surrogate is refused', async () => {
  const fmt = msgpackFormat;
  const asked = new Inbox();
  const { main, run } = loopback({
    setup(main, host) {
      host.handle('config.get', (buffer) => {
        const [scope, key] = fmt.decode(buffer);
        asked.push([scope, key]);
        return fmt.encode(key === null ? '{"theme":"dark"}' : null);
      });
    },
  });
  assert.deepEqual(await main.config.get('user', null), { theme: 'dark' });
  assert.deepEqual(await asked.take(), ['user', null]);
  assert.deepEqual(await main.config.get('plugin'), { theme: 'dark' });
  assert.deepEqual(await asked.take(), ['plugin', null]);
  await assert.rejects(main.config.set('user', null, 1), RangeError);
  await assert.rejects(main.config.remove('user', null), RangeError);
  await assert.rejects(main.config.get('user', 'a\uD800b'), RangeError);
  await assert.rejects(main.config.set('user', '\uDC00', 1), RangeError);
  assert.equal(await main.config.get('user', 'smile \u{1F600}'), undefined, 'a pair is a character like any');
  assert.deepEqual(await asked.take(), ['user', 'smile \u{1F600}']);
  main.stop();
  await run;
});

test('configure: validates its options, and only before the plugin runs', async () => {
  const main = sdk.createMain({ exitProcess: false });
  assert.throws(() => main.configure({ nope: 1 }), RangeError);
  assert.throws(() => main.configure({ serializer: 'xml' }), RangeError);
  assert.throws(() => main.configure({ stopGracePeriodMs: 0 }), RangeError);
  assert.throws(() => main.configure({ minimumLogLevel: 'Loud' }), RangeError);
  assert.throws(() => main.configure({ name: '' }), TypeError);
  assert.equal(main.configure({ name: 'renamed', serializer: 'json' }).name, 'renamed');
  assert.equal(main.logger.category, 'renamed');
  assert.equal(main.metadata.serializer, 'json');
  const { main: running, run } = loopback({});
  assert.throws(() => running.configure({ name: 'late' }), Error);
  running.stop();
  await run;
});
