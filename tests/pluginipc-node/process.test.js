'use strict';
// The launch contract with real child processes: the cookie check, stdio (console output goes to stderr), inherited
// descriptors (a socket pair, as a Node.js host passes them), and exiting when the input ends.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Inbox, start } = require('./helpers');

test('started by hand (no cookie): one line on stderr, exit code 1', async (t) => {
  const { exited, output } = start(t, { cookie: null });
  assert.equal(await exited, 1);
  assert.equal(output().stderr, 'fixture is a plugin to be started by its host application; it cannot be run on its own.\n');
});

test('a wrong protocol or framer is refused the same way', async (t) => {
  const { exited, output } = start(t, { envFramer: 'xml' });
  assert.equal(await exited, 1);
  assert.match(output().stderr, /^fixture: PLUGINIPC_FRAMER is 'xml'; expected text or msgpack\.\n$/);
});

test('descriptors the plugin does not have: one line on stderr, exit code 1', async (t) => {
  const { exited, output } = start(t, { closedFd: 999 });
  assert.equal(await exited, 1);
  assert.match(output().stderr, /^fixture: cannot open the channel on PLUGINIPC_IN_FD 999 and PLUGINIPC_OUT_FD 999: EBADF[^\n]*\n$/);
});

for (const framer of ['text', 'msgpack']) {
  test(`${framer} on stdio: handshake, echo, console output to stderr, the bridge; the input's end stops it with code 0`, async (t) => {
    const { host, exited, output, child } = start(t, { framer });
    const bridge = new Inbox();
    const logs = new Inbox();
    host.handle('bridge.message', (b) => bridge.push(b.toString()));
    host.handle('cmd.log', (b) => logs.push(JSON.parse(b.toString()).message));
    host.start();
    const metadata = JSON.parse((await host.call('GetMetadata')).toString());
    assert.equal(metadata.name, 'fixture');
    assert.equal(await bridge.take(), 'hello, I am connected');
    assert.equal(await logs.take(), 'connected');
    assert.equal((await host.call('echo', 'ü')).toString(), 'ü');
    await host.call('stdout', 'printed');
    assert.equal((await host.call('echo', 'after')).toString(), 'after');
    child.stdin.end();
    assert.equal(await exited, 0);
    assert.match(output().stderr, /printed\nwrite printed\n/);
  });

  test(`${framer} on an inherited socket descriptor: calls work, stdout stays free, cmd.stop exits with code 0`, async (t) => {
    const { host, exited, output } = start(t, { framer, fds: true });
    host.start();
    await host.call('GetMetadata');
    await host.call('stdout', 'on stdout');
    assert.equal((await host.call('echo', 'x')).toString(), 'x');
    host.notify('cmd.stop');
    assert.equal(await exited, 0);
    assert.match(output().stdout, /on stdout\nwrite on stdout\n/);
  });
}

