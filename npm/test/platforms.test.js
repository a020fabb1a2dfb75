'use strict';
// The launcher's platform table: `node --test npm/test/` (tests/cli/npm.rs runs it).

const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { test } = require('node:test');
const platforms = require('../mpvault/lib/platforms');

const KEYS = [
  'linux-x64-gnu',
  'linux-arm64-gnu',
  'linux-x64-musl',
  'darwin-x64',
  'darwin-arm64',
  'win32-x64-msvc',
];
const LAUNCHER = path.join(__dirname, '..', 'mpvault', 'bin', 'mpvault.js');

function keys(os, cpu, libc) {
  return platforms.candidates(os, cpu, libc).map((p) => p.key);
}

test('the table holds the six platform packages the issue names', () => {
  assert.deepStrictEqual(platforms.PLATFORMS.map((p) => p.key), KEYS);
  for (const p of platforms.PLATFORMS) {
    assert.strictEqual(platforms.packageName(p), `@mpvault/${p.key}`);
    assert.ok(p.key.startsWith(`${p.os}-${p.cpu}`), p.key);
    assert.strictEqual(p.libc !== undefined, p.os === 'linux', p.key);
  }
  const targets = new Set(platforms.PLATFORMS.map((p) => p.target));
  assert.strictEqual(targets.size, KEYS.length, 'each platform has its own Rust target');
});

test('each supported host picks its own package first', () => {
  assert.deepStrictEqual(keys('linux', 'x64', 'glibc'), ['linux-x64-gnu', 'linux-x64-musl']);
  assert.deepStrictEqual(keys('linux', 'x64', 'musl'), ['linux-x64-musl']);
  assert.deepStrictEqual(keys('linux', 'arm64', 'glibc'), ['linux-arm64-gnu']);
  assert.deepStrictEqual(keys('darwin', 'x64', null), ['darwin-x64']);
  assert.deepStrictEqual(keys('darwin', 'arm64', null), ['darwin-arm64']);
  assert.deepStrictEqual(keys('win32', 'x64', null), ['win32-x64-msvc']);
});

test('a host with no build has no candidate', () => {
  for (const [os, cpu, libc] of [
    ['linux', 'arm64', 'musl'],
    ['linux', 'ia32', 'glibc'],
    ['freebsd', 'x64', null],
    ['win32', 'ia32', null],
    ['win32', 'arm64', null],
    ['aix', 'ppc64', null],
  ]) {
    assert.deepStrictEqual(keys(os, cpu, libc), [], `${os}-${cpu}-${libc}`);
  }
});

test('hosts are named with their libc on Linux only', () => {
  assert.strictEqual(platforms.hostName('linux', 'arm64', 'musl'), 'linux-arm64-musl');
  assert.strictEqual(platforms.hostName('linux', 'x64', 'glibc'), 'linux-x64-gnu');
  assert.strictEqual(platforms.hostName('freebsd', 'x64', null), 'freebsd-x64');
});

test('an unknown platform is one sentence naming it and the supported list', () => {
  const found = platforms.findBinary('freebsd', 'x64', null, () => {
    throw new Error('not reached');
  });
  assert.match(found.error, /^there is no prebuilt mpvault for freebsd-x64 /);
  assert.ok(found.error.includes(`(prebuilt: ${KEYS.join(', ')})`), found.error);
  assert.strictEqual(found.error.split('\n').length, 1);
});

test('a missing platform package is named, and a glibc host falls back to musl', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpvault-platforms-'));
  try {
    const musl = path.join(dir, 'linux-x64-musl');
    fs.mkdirSync(path.join(musl, 'bin'), { recursive: true });
    fs.writeFileSync(path.join(musl, 'package.json'), '{}');
    fs.writeFileSync(path.join(musl, 'bin', 'mpvault'), '');
    const installed = { '@mpvault/linux-x64-musl/package.json': path.join(musl, 'package.json') };
    const resolve = (name) => {
      if (installed[name]) return installed[name];
      throw new Error(`Cannot find module '${name}'`);
    };
    const found = platforms.findBinary('linux', 'x64', 'glibc', resolve);
    assert.strictEqual(found.path, path.join(musl, 'bin', 'mpvault'));
    const missing = platforms.findBinary('linux', 'arm64', 'glibc', resolve);
    assert.match(missing.error, /^the package @mpvault\/linux-arm64-gnu that holds/);
    assert.match(missing.error, /without --omit=optional/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the launcher on an unknown platform says so and exits 1', () => {
  const out = spawnSync(process.execPath, ['-r', path.join(__dirname, 'fake-platform.js'), LAUNCHER, '--version'], {
    env: { ...process.env, FAKE_PLATFORM: 'freebsd', FAKE_ARCH: 'riscv64' },
    encoding: 'utf8',
  });
  assert.strictEqual(out.status, 1, out.stderr);
  assert.strictEqual(out.stdout, '');
  assert.strictEqual(
    out.stderr,
    `mpvault: there is no prebuilt mpvault for freebsd-riscv64 (prebuilt: ${KEYS.join(', ')}); ` +
      'build it from source with Rust instead (cargo install --locked --path . in a checkout).\n',
  );
});

test('the launcher without its platform package names the package and exits 1', () => {
  // Run from a copy outside any node_modules, so no platform package can be found.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpvault-launcher-'));
  try {
    for (const file of ['bin/mpvault.js', 'lib/platforms.js']) {
      fs.mkdirSync(path.join(dir, path.dirname(file)), { recursive: true });
      fs.copyFileSync(path.join(__dirname, '..', 'mpvault', file), path.join(dir, file));
    }
    const out = spawnSync(process.execPath, ['-r', path.join(__dirname, 'fake-platform.js'), path.join(dir, 'bin', 'mpvault.js')], {
      env: { ...process.env, FAKE_PLATFORM: 'darwin', FAKE_ARCH: 'arm64' },
      encoding: 'utf8',
    });
    assert.strictEqual(out.status, 1, out.stderr);
    assert.match(out.stderr, /^mpvault: the package @mpvault\/darwin-arm64 that holds mpvault's binary for this machine is not installed; /);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('this machine has a libc answer on Linux and none elsewhere', () => {
  const libc = platforms.detectLibc();
  if (process.platform === 'linux') assert.ok(libc === 'glibc' || libc === 'musl', libc);
  else assert.strictEqual(libc, null);
});
