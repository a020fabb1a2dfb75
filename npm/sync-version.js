#!/usr/bin/env node
'use strict';
// Writes Cargo.toml's version into every package.json under npm/, into the main package's
// optionalDependencies (one entry per platform of lib/platforms.js, pinned exactly, so a
// launcher never runs another release's binary) and into each `mpvault@VERSION` of the README
// and examples/github-actions.yml. `--check` writes nothing and exits 1 when a file differs,
// naming it.

const fs = require('fs');
const path = require('path');
const { PLATFORMS, packageName } = require('./mpvault/lib/platforms');

const ROOT = path.join(__dirname, '..');
const MAIN = path.join(__dirname, 'mpvault', 'package.json');
const TEMPLATE = path.join(__dirname, 'platform', 'package.json');
// Text files whose `npx --yes mpvault@VERSION` names this release.
const PINNED = [
  path.join(ROOT, 'README.md'),
  path.join(ROOT, 'docs', 'install.md'),
  path.join(ROOT, 'examples', 'github-actions.yml'),
];

function cargoVersion() {
  const cargo = fs.readFileSync(path.join(ROOT, 'Cargo.toml'), 'utf8');
  const section = cargo.split(/^\[/m).find((s) => s.startsWith('package]'));
  const match = section && section.match(/^version\s*=\s*"([^"]+)"/m);
  if (!match) throw new Error('Cargo.toml has no [package] version');
  return match[1];
}

function synced(file, version) {
  if (PINNED.includes(file)) {
    return fs.readFileSync(file, 'utf8').replace(/\bmpvault@\d+\.\d+\.\d+(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?/g, `mpvault@${version}`);
  }
  const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
  manifest.version = version;
  if (file === MAIN) {
    manifest.optionalDependencies = Object.fromEntries(
      PLATFORMS.map((p) => [packageName(p), version]),
    );
  }
  return JSON.stringify(manifest, null, 2) + '\n';
}

function main() {
  const check = process.argv.includes('--check');
  const version = cargoVersion();
  let stale = 0;
  for (const file of [MAIN, TEMPLATE, ...PINNED]) {
    const want = synced(file, version);
    if (fs.readFileSync(file, 'utf8') === want) continue;
    if (check) {
      console.error(`${path.relative(ROOT, file)} does not carry Cargo.toml's version ${version} everywhere; run node npm/sync-version.js`);
      stale += 1;
    } else {
      fs.writeFileSync(file, want);
      console.log(`${path.relative(ROOT, file)}: ${version}`);
    }
  }
  return stale ? 1 : 0;
}

process.exitCode = main();
