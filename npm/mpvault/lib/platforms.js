'use strict';
// Which prebuilt binary runs here. The one table of platforms: the launcher reads it to pick a
// package, npm/sync-version.js to write the optionalDependencies, npm/stage.js to write each
// platform package's os, cpu and libc, and the release workflow's matrix uses the same keys.

const fs = require('fs');
const path = require('path');

// key: the package's name under @mpvault/ and the host it runs on; libc only on Linux, in
// npm's own words for package.json's "libc" field.
const PLATFORMS = [
  { key: 'linux-x64-gnu', os: 'linux', cpu: 'x64', libc: 'glibc', target: 'x86_64-unknown-linux-gnu' },
  { key: 'linux-arm64-gnu', os: 'linux', cpu: 'arm64', libc: 'glibc', target: 'aarch64-unknown-linux-gnu' },
  { key: 'linux-x64-musl', os: 'linux', cpu: 'x64', libc: 'musl', target: 'x86_64-unknown-linux-musl' },
  { key: 'darwin-x64', os: 'darwin', cpu: 'x64', target: 'x86_64-apple-darwin' },
  { key: 'darwin-arm64', os: 'darwin', cpu: 'arm64', target: 'aarch64-apple-darwin' },
  { key: 'win32-x64-msvc', os: 'win32', cpu: 'x64', target: 'x86_64-pc-windows-msvc' },
];

const SCOPE = '@mpvault/';

function packageName(platform) {
  return SCOPE + platform.key;
}

function binaryName(platform) {
  return platform.os === 'win32' ? 'mpvault.exe' : 'mpvault';
}

// glibc or musl on Linux, null elsewhere. Node reports the glibc it runs on; a musl build of
// Node has no such field.
function detectLibc() {
  if (process.platform !== 'linux') return null;
  const report = process.report;
  if (report && typeof report.getReport === 'function') {
    // The network part of a report can wait on DNS (Node 20.13+ lets it be skipped).
    if ('excludeNetwork' in report) report.excludeNetwork = true;
    const header = report.getReport().header || {};
    return header.glibcVersionRuntime ? 'glibc' : 'musl';
  }
  return fs.existsSync('/etc/alpine-release') ? 'musl' : 'glibc';
}

// How the host is named in messages: linux-x64-gnu, linux-arm64-musl, darwin-arm64, win32-x64.
function hostName(os, cpu, libc) {
  if (os !== 'linux') return `${os}-${cpu}`;
  return `${os}-${cpu}-${libc === 'musl' ? 'musl' : 'gnu'}`;
}

// The platforms that run on this host, best first. A glibc host also runs the static musl
// build, so it is the fallback when the glibc package is missing (an npm too old to read
// "libc" installs both; one too strict may skip one).
function candidates(os, cpu, libc) {
  const exact = PLATFORMS.filter(
    (p) => p.os === os && p.cpu === cpu && (p.libc || null) === (os === 'linux' ? libc : null),
  );
  const fallback =
    os === 'linux' && libc === 'glibc'
      ? PLATFORMS.filter((p) => p.os === os && p.cpu === cpu && p.libc === 'musl')
      : [];
  return exact.concat(fallback);
}

function supportedList() {
  return PLATFORMS.map((p) => p.key).join(', ');
}

function unsupportedMessage(host) {
  return (
    `there is no prebuilt mpvault for ${host} (prebuilt: ${supportedList()}); ` +
    'build it from source with Rust instead (cargo install --locked --path . in a checkout)'
  );
}

function missingMessage(platforms) {
  const names = platforms.map(packageName).join(' or ');
  return (
    `the package ${names} that holds mpvault's binary for this machine is not installed; ` +
    'reinstall mpvault without --omit=optional or --no-optional (npm install --save-dev mpvault)'
  );
}

// Where the binary is: { path } or { error } (one sentence and a hint, as mpvault's errors).
// `resolve` finds a package.json (require.resolve, replaced in tests).
function findBinary(os, cpu, libc, resolve) {
  const platforms = candidates(os, cpu, libc);
  if (platforms.length === 0) return { error: unsupportedMessage(hostName(os, cpu, libc)) };
  for (const platform of platforms) {
    let manifest;
    try {
      manifest = resolve(`${packageName(platform)}/package.json`);
    } catch (_) {
      continue;
    }
    const binary = path.join(path.dirname(manifest), 'bin', binaryName(platform));
    if (fs.existsSync(binary)) return { path: binary, platform };
  }
  return { error: missingMessage(platforms) };
}

module.exports = {
  PLATFORMS,
  packageName,
  binaryName,
  detectLibc,
  hostName,
  candidates,
  unsupportedMessage,
  findBinary,
};
