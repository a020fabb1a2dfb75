#!/usr/bin/env node
'use strict';
// Lays out a package folder for `npm pack`, holding only what a user runs:
//   node npm/stage.js host                      the key of this machine's platform package
//   node npm/stage.js main DIR                  the launcher package, mpvault
//   node npm/stage.js platform KEY BINARY DIR   @mpvault/KEY from npm/platform's template
// MPVAULT_REPOSITORY (https://github.com/OWNER/NAME), when set, becomes each package's
// "repository", which npm's provenance checks against the repository that publishes it.

const fs = require('fs');
const path = require('path');
const platforms = require('./mpvault/lib/platforms');

const MAIN = path.join(__dirname, 'mpvault');

function withRepository(manifest) {
  const url = process.env.MPVAULT_REPOSITORY;
  if (url) manifest.repository = { type: 'git', url: `git+${url}.git` };
  return manifest;
}

function writeJson(file, value) {
  fs.writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
}

function copy(from, to, mode) {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
  fs.chmodSync(to, mode);
}

function stageMain(dir) {
  const manifest = JSON.parse(fs.readFileSync(path.join(MAIN, 'package.json'), 'utf8'));
  fs.mkdirSync(dir, { recursive: true });
  writeJson(path.join(dir, 'package.json'), withRepository(manifest));
  copy(path.join(MAIN, 'README.md'), path.join(dir, 'README.md'), 0o644);
  for (const file of manifest.files) {
    const mode = file.startsWith('bin/') ? 0o755 : 0o644;
    copy(path.join(MAIN, file), path.join(dir, file), mode);
  }
}

function stagePlatform(key, binary, dir) {
  const platform = platforms.PLATFORMS.find((p) => p.key === key);
  if (!platform) throw new Error(`unknown platform ${key}`);
  const template = path.join(__dirname, 'platform', 'package.json');
  const manifest = JSON.parse(fs.readFileSync(template, 'utf8'));
  manifest.name = platforms.packageName(platform);
  manifest.os = [platform.os];
  manifest.cpu = [platform.cpu];
  if (platform.libc) manifest.libc = [platform.libc];
  fs.mkdirSync(dir, { recursive: true });
  writeJson(path.join(dir, 'package.json'), withRepository(manifest));
  fs.writeFileSync(
    path.join(dir, 'README.md'),
    `# ${manifest.name}\n\nThe mpvault binary for ${key} (${platform.target}). ` +
      'Install the `mpvault` package instead: it depends on this one where it fits.\n',
  );
  copy(binary, path.join(dir, 'bin', platforms.binaryName(platform)), 0o755);
}

function host() {
  const found = platforms.candidates(process.platform, process.arch, platforms.detectLibc());
  if (found.length === 0) {
    const name = platforms.hostName(process.platform, process.arch, platforms.detectLibc());
    throw new Error(platforms.unsupportedMessage(name));
  }
  console.log(found[0].key);
}

function main(args) {
  const [command, ...rest] = args;
  if (command === 'host' && rest.length === 0) return host();
  if (command === 'main' && rest.length === 1) return stageMain(rest[0]);
  if (command === 'platform' && rest.length === 3) return stagePlatform(...rest);
  throw new Error('usage: node npm/stage.js host | main DIR | platform KEY BINARY DIR');
}

try {
  main(process.argv.slice(2));
} catch (error) {
  console.error(`stage.js: ${error.message}`);
  process.exitCode = 1;
}
