'use strict';
// The Node.js counterpart of samples/EchoPlugin, written with the pluginipc SDK, for NodeSdk/*Tests.cs: every EchoPlugin
// command, and what the tests check beyond it (logs, errors with details, pings, the bridge, the bus, stop, IGreeter).
const fs = require('fs');
const { main, bridge, logger, RemoteError } = require('../../../../src/pluginipc-node');
const { IGreeter, createGreeter } = require('../../../../samples/NodeBackend/greeter');

main.configure({
  name: 'NodeEcho',
  metadata: { version: '1.0', description: 'Echoes, fails, sleeps and calls back on request.' },
  serializer: process.env.NODE_ECHO_SERIALIZER || 'msgpack',
  stopGracePeriodMs: Number(process.env.NODE_ECHO_GRACE_MS || 3000),
  minimumLogLevel: 'Trace',
});

main.onStart(() => logger.info(`NodeEcho started (process ${process.pid}).`));
main.onStop(async ({ signal }) => {
  logger.info('NodeEcho stopping.');
  const marker = process.env.NODE_ECHO_STOP_MARKER;
  if (marker) fs.writeFileSync(marker, `stopped aborted=${signal.aborted}`);
});

main.implement(IGreeter, createGreeter('NodeEcho'));

// echo: the answer is the request's buffer.
main.handle('echo', (buffer) => buffer);

// fail: answers TEST_FAILURE with a message that contains the buffer's text.
main.handle('fail', (buffer) => {
  throw new RemoteError('TEST_FAILURE', 'fail was asked to fail: ' + buffer.toString('utf8'));
});

// fail-details: an error with details; throw-plain: an Error that is not a RemoteError (HANDLER_ERROR).
main.handle('fail-details', () => {
  throw new RemoteError('E_DETAILED', 'with details', { field: 'name', reasons: ['empty', 'too short'] });
});
main.handle('throw-plain', () => {
  throw new Error('a plain error');
});

// sleep: the buffer is a number of milliseconds in ASCII; answers "slept", or CANCELLED at once when the host cancels.
main.handle('sleep', (buffer, { signal }) => {
  const ms = Number(buffer.toString('ascii'));
  if (!Number.isInteger(ms) || ms < 0) throw new RemoteError('INVALID_REQUEST', 'sleep expects a number of milliseconds in ASCII.');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve('slept'), ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      // Tell the host that the signal fired, then answer CANCELLED.
      main.notify('Aborted', String(ms)).catch(() => {});
      reject(new RemoteError('CANCELLED', `sleep was cancelled before ${ms} ms.`));
    }, { once: true });
  });
});

// callback: calls the host's Repeat with the buffer and answers with the host's answer.
main.handle('callback', (buffer) => main.call('Repeat', buffer));

// notify: sends the host a one-way Notified with the buffer, then answers empty.
main.handle('notify', async (buffer) => {
  await main.notify('Notified', buffer);
});

// stdout: writes the buffer's text with console.log and process.stdout.write (which never reach the channel).
main.handle('stdout', (buffer) => {
  console.log(buffer.toString('utf8'));
  process.stdout.write(buffer.toString('utf8') + ' (write)\n');
});

// crash: exits at once with code 3, without answering.
main.handle('crash', () => process.exit(3));

// log: one entry per level, each naming its level.
main.handle('log', (buffer) => {
  const text = buffer.toString('utf8');
  logger.trace(`trace ${text}`);
  logger.debug(`debug ${text}`);
  logger.info(`info ${text}`);
  logger.warn(`warn ${text}`);
  logger.error(`error ${text}`, new Error('the error of the entry'));
  logger.critical(`critical ${text}`);
  logger.child('NodeEcho.Child').info(`child ${text}`);
});

// ping-host: pings the host, answers "pong".
main.handle('ping-host', async () => {
  await main.ping({ timeoutMs: 5000 });
  return 'pong';
});

// subscribe: subscribes to the topic in the buffer; each message is sent back over the bridge as JSON.
main.handle('subscribe', async (buffer) => {
  const topic = buffer.toString('utf8');
  await main.subscribe(topic, (payload, message) => bridge.sendJson({ topic: message.topic, payload: payload.toString('utf8'), publisher: message.publisher }));
  return 'subscribed';
});

// publish: publishes the buffer "topic payload".
main.handle('publish', async (buffer) => {
  const [topic, ...rest] = buffer.toString('utf8').split(' ');
  await main.publish(topic, rest.join(' '));
});

// greet-host: calls the host's own IGreeter (a contract the host implements) and answers with its Hello.
main.handle('greet-host', (buffer) => main.contract(IGreeter).Hello(buffer.toString('utf8')));

// bridge: echoes text messages with "echo: ", answers "hello" with "hello, too", and parses JSON.
bridge.on('connect', () => {
  logger.info('connected');
  bridge.send('hello, I am connected');
});
bridge.on('message', (data) => {
  if (data === 'hello') bridge.send('hello, too');
  else if (data === 'stop me') main.stop();
  else if (!data.startsWith('{')) bridge.send('echo: ' + data);
});
bridge.onJson((value) => {
  if (value && typeof value === 'object' && !Array.isArray(value)) bridge.sendJson({ ...value, seen: true });
});
bridge.on('disconnect', () => logger.info('disconnect'));
