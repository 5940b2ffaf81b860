'use strict';
// npm pack gives a clean package: only its files, installable from the tarball, and a plugin runs from it (CommonJS and ESM).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { packageDir, start } = require('./helpers');

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

test('npm pack: a tarball of the package\'s files that installs and runs a plugin', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pluginipc-pack-'));
  try {
    const packed = JSON.parse(execFileSync(npm, ['pack', '--json', '--pack-destination', dir], { cwd: packageDir, encoding: 'utf8' }));
    const files = packed[0].files.map((f) => f.path).sort();
    assert.deepEqual(files, [
      'README.md', 'index.d.ts', 'index.js', 'index.mjs',
      'lib/bridge.js', 'lib/bus.js', 'lib/channel.js', 'lib/contracts.js', 'lib/errors.js', 'lib/framing.js',
      'lib/launch.js', 'lib/logger.js', 'lib/main.js', 'lib/serializers.js', 'lib/utf8.js', 'package.json',
    ]);
    const app = path.join(dir, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    execFileSync(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', path.join(dir, packed[0].filename)], { cwd: app, encoding: 'utf8' });
    const installed = path.join(app, 'node_modules', 'pluginipc');
    assert.equal(fs.realpathSync(installed).startsWith(packageDir), false, 'installed as a copy, not a link');

    // CommonJS: the fixture plugin, loading the installed package.
    const cjs = start(t, { sdkPath: installed });
    cjs.host.start();
    assert.equal(JSON.parse((await cjs.host.call('GetMetadata')).toString()).name, 'fixture');
    assert.equal((await cjs.host.call('echo', 'from the tarball')).toString(), 'from the tarball');
    cjs.child.stdin.end();
    assert.equal(await cjs.exited, 0);

    // ES module: import { bridge, logger, main } from 'pluginipc'.
    const esm = path.join(app, 'plugin.mjs');
    fs.writeFileSync(esm, [
      "import { bridge, logger, main } from 'pluginipc';",
      "main.configure({ name: 'esm' });",
      "main.handle('echo', (buffer) => buffer);",
      "bridge.on('connect', () => logger.info('connected'));",
      '',
    ].join('\n'));
    const run = start(t, { framer: 'msgpack', script: esm });
    run.host.start();
    assert.equal(JSON.parse((await run.host.call('GetMetadata')).toString()).name, 'esm');
    assert.equal((await run.host.call('echo', 'esm')).toString(), 'esm');
    run.host.notify('cmd.stop');
    assert.equal(await run.exited, 0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
