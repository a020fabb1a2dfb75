'use strict';
// Preloaded with `node -r` to run the launcher as if on another machine:
// FAKE_PLATFORM=freebsd FAKE_ARCH=x64 node -r ./fake-platform.js ../mpvault/bin/mpvault.js
for (const [name, variable] of [['platform', 'FAKE_PLATFORM'], ['arch', 'FAKE_ARCH']]) {
  if (process.env[variable]) Object.defineProperty(process, name, { value: process.env[variable] });
}
