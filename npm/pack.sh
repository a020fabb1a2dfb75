#!/usr/bin/env bash
# Writes two npm tarballs into OUTDIR: the launcher package (mpvault) and this machine's
# platform package (@mpvault/<platform>) holding a release build of the binary.
#
#   bash npm/pack.sh [--binary PATH] OUTDIR
#
# --binary packs a binary already built (the tests pass their debug build; the release workflow
# its cross-compiled one) instead of running `cargo build --release --locked`.
# Prints the two tarballs' paths, one a line.
set -euo pipefail

usage() { echo "usage: bash npm/pack.sh [--binary PATH] OUTDIR" >&2; exit 2; }

binary=""
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) [ $# -ge 2 ] || usage; binary="$2"; shift 2 ;;
    -*) usage ;;
    *) break ;;
  esac
done
[ $# -eq 1 ] || usage
mkdir -p "$1"
outdir="$(cd "$1" && pwd)"
npm_dir="$(cd "$(dirname "$0")" && pwd)"

node "$npm_dir/sync-version.js" --check
platform="$(node "$npm_dir/stage.js" host)"

if [ -z "$binary" ]; then
  (cd "$npm_dir/.." && cargo build --release --locked --bin mpvault)
  target_dir="${CARGO_TARGET_DIR:-$npm_dir/../target}"
  binary="$target_dir/release/mpvault"
  [ -f "$binary.exe" ] && binary="$binary.exe"
fi
[ -f "$binary" ] || { echo "pack.sh: no binary at $binary" >&2; exit 1; }

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
node "$npm_dir/stage.js" main "$stage/main"
node "$npm_dir/stage.js" platform "$platform" "$binary" "$stage/platform"

# npm pack prints the tarball's name last; the packages have no lifecycle scripts to run.
for dir in main platform; do
  (cd "$stage/$dir" && npm pack --silent --pack-destination "$outdir") |
    tail -n 1 | sed "s|^|$outdir/|"
done
