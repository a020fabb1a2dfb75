#!/usr/bin/env node
'use strict';
// Runs the prebuilt mpvault of this platform's package with the same arguments and standard
// streams, and ends as it ended: its exit code, or killed by the same signal.

const { spawnSync } = require('child_process');
const os = require('os');
const { detectLibc, findBinary } = require('../lib/platforms');

// Signals Node keeps for itself: SIGUSR1 would open the inspector instead of ending us, and
// Node ignores SIGPIPE. The shell's convention, 128 + the number, says the same.
const NOT_RERAISED = new Set(['SIGUSR1', 'SIGPIPE']);

function fail(message) {
  process.stderr.write(`mpvault: ${message}.\n`);
  return 1;
}

function endLike(signal) {
  if (!NOT_RERAISED.has(signal) && process.platform !== 'win32') {
    process.kill(process.pid, signal);
  }
  // Still here: the signal was one Node handles, or Windows has no such signals.
  return 128 + (os.constants.signals[signal] || 0);
}

function main() {
  const found = findBinary(process.platform, process.arch, detectLibc(), require.resolve);
  if (found.error) return fail(found.error);
  const result = spawnSync(found.path, process.argv.slice(2), { stdio: 'inherit' });
  if (result.error) {
    return fail(`cannot run ${found.path} (${result.error.code || result.error.message}); reinstall mpvault`);
  }
  if (result.signal) return endLike(result.signal);
  return result.status;
}

process.exitCode = main();
