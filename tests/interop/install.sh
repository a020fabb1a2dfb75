#!/usr/bin/env bash
# Installs what the tests use besides Rust: age and libsodium bindings for docs/recover.py.
set -euo pipefail
python3 -m pip install --quiet --disable-pip-version-check "pyrage==1.4.0" "pynacl==1.6.2"
