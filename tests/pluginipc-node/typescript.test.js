'use strict';
// The TypeScript declarations: tsc (from npm) compiles fixtures/types.ts, which uses every part of the API, against them.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { packageDir } = require('./helpers');

test('tsc compiles a TypeScript plugin against index.d.ts with strict checks', () => {
  // A folder whose node_modules/pluginipc is the package (and its @types/node), as an application would see it.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pluginipc-ts-'));
  try {
    fs.mkdirSync(path.join(dir, 'node_modules', '@types'), { recursive: true });
    fs.symlinkSync(packageDir, path.join(dir, 'node_modules', 'pluginipc'), 'dir');
    fs.symlinkSync(path.join(packageDir, 'node_modules', '@types', 'node'), path.join(dir, 'node_modules', '@types', 'node'), 'dir');
    for (const file of ['types.ts', 'tsconfig.json']) fs.copyFileSync(path.join(__dirname, 'fixtures', file), path.join(dir, file));
    const tsc = path.join(packageDir, 'node_modules', 'typescript', 'bin', 'tsc');
    let output = '';
    try {
      output = execFileSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' });
    } catch (e) {
      assert.fail(`tsc failed:\n${e.stdout}${e.stderr}`);
    }
    assert.equal(output, '');
    fs.writeFileSync(path.join(dir, 'types.ts'), "import { main } from 'pluginipc';\nmain.handle('x', 42);\n");
    assert.throws(() => execFileSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' }), 'a wrong use does not compile');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
