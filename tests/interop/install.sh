#!/usr/bin/env bash
# Installs what the tests use besides Rust, pinned:
# - the real env-file readers that tests/cli/export_interop.rs feeds exported files to:
#   npm dotenv 16 and 17, dotenv-expand 11, 12 and 13, Vite 5 and Vite 8, each under its own
#   alias (package.json, package-lock.json), and python-dotenv;
# - age and libsodium bindings for docs/recover.py (tests/cli/format_vectors.rs);
# - libfaketime, to run mpvault with a writer's clock far off (tests/cli/order.rs).
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v faketime >/dev/null; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq faketime >/dev/null
  else
    echo "install faketime first (Debian and Ubuntu: apt-get install faketime; macOS: brew install libfaketime)" >&2
    exit 1
  fi
fi
# Vite 8 parses env files with Node's own util.parseEnv and needs Node 20.19 or newer.
node -e 'const [a, b] = process.versions.node.split(".").map(Number);
  if (a < 20 || (a === 20 && b < 19)) {
    console.error(`Node ${process.versions.node} is too old for the Vite 8 reader; install Node 20.19 or newer`);
    process.exit(1);
  }'
npm ci --no-audit --no-fund --loglevel=error
python3 -m pip install --quiet --disable-pip-version-check \
  "python-dotenv==1.2.4" "pyrage==1.4.0" "pynacl==1.6.2"
