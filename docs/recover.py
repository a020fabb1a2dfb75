#!/usr/bin/env python3
"""Recover values from an mpvault.json without mpvault, following docs/FORMAT.md.

Needs `pip install pyrage pynacl` (age and libsodium bindings).
Usage: recover.py [--skip-unopened] VAULT IDENTITY_FILE [APP]  -> prints {app: {field path:
value}} as JSON for every value the identity can read. With --skip-unopened, a value whose
level key the identity holds but that does not open (a tampered file) is left out instead of
stopping the recovery; the tests use it to ask what an attacker's key gets out of any file.
"""
import base64
import json
import sys

import pyrage
from nacl.bindings import crypto_aead_xchacha20poly1305_ietf_decrypt


def associated_data(fmt, vault_id, app, level, path, sealed):
    if fmt >= 3:
        # Format 3: length-prefixed parts (4-byte big-endian length, then the UTF-8 bytes).
        version = str(sealed["version"]) if "version" in sealed else ""
        parts = ["mpvault ad v3", vault_id, app, level, path, version, sealed["set_by"], sealed["set_at"]]
        return b"".join(len(p.encode()).to_bytes(4, "big") + p.encode() for p in parts)
    parts = [vault_id, app, level, path, sealed["set_by"], sealed["set_at"]]
    return b"mpvault.v1" + b"".join(b"\x00" + p.encode() for p in parts)


SKIP_UNOPENED = "--skip-unopened" in sys.argv[1:]
ARGS = [a for a in sys.argv[1:] if a != "--skip-unopened"]


def open_value(key, ad, sealed):
    raw = base64.b64decode(sealed["value"])
    try:
        return crypto_aead_xchacha20poly1305_ietf_decrypt(raw[24:], ad, raw[:24], key).decode()
    except Exception:
        if SKIP_UNOPENED:
            return None
        raise


def main():
    vault = json.load(open(ARGS[0], encoding="utf-8"))
    lines = open(ARGS[1], encoding="utf-8").read().splitlines()
    identity = pyrage.x25519.Identity.from_str(next(l for l in lines if l.startswith("AGE-SECRET-KEY-1")))
    out = {}
    for name, app in vault["apps"].items():
        if len(ARGS) > 2 and name != ARGS[2]:
            continue
        keys = {}
        for level, wrapped in app["keys"].items():
            try:
                keys[level] = pyrage.decrypt(base64.b64decode(wrapped["wrapped"]), [identity])
            except Exception:
                pass  # not a reader of this level
        values = {}
        for kind in ("info", "contact", "config", "build"):
            for field, sealed in app.get(kind, {}).items():
                if "team" in keys:
                    path = f"{kind}/{field}"
                    values[path] = open_value(keys["team"], associated_data(vault["format"], vault["vault_id"], name, "team", path, sealed), sealed)
        for modes, kind in (("modes", "config"), ("build_modes", "build")):
            for mode, config in app.get(modes, {}).items():
                for field, sealed in config.items():
                    if "team" in keys:
                        path = f"modes/{mode}/{kind}/{field}"
                        values[path] = open_value(keys["team"], associated_data(vault["format"], vault["vault_id"], name, "team", path, sealed), sealed)
        for secret, entry in app.get("secrets", {}).items():
            level = entry["access"]
            if level in keys:
                path = f"secrets/{secret}"
                sealed = entry["versions"][0]
                values[path] = open_value(keys[level], associated_data(vault["format"], vault["vault_id"], name, level, path, sealed), sealed)
        out[name] = {path: value for path, value in values.items() if value is not None}
    json.dump(out, sys.stdout, ensure_ascii=False, indent=2)


if __name__ == "__main__":
    main()
