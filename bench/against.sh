#!/usr/bin/env bash
# Compares this tree's release build with another revision's, whole processes, in one run:
# the same 100-app vault (5 secrets each, 20 members) is built by each binary in its own format,
# then each command is timed alternately with hyperfine. Prints medians and new/old ratios.
#
#   bash bench/against.sh REV [APPS] [MEMBERS]      (needs hyperfine: apt-get install hyperfine)
set -euo pipefail
rev=${1:?usage: bench/against.sh REV [APPS] [MEMBERS]}
apps=${2:-100}
members=${3:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$work/old-src" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

command -v hyperfine >/dev/null || { echo "bench/against.sh needs hyperfine (apt-get install hyperfine)" >&2; exit 2; }
git -C "$root" worktree add -q --detach "$work/old-src" "$rev"
CARGO_TARGET_DIR="$root/target/bench-old" cargo build -q --release --manifest-path "$work/old-src/Cargo.toml"
cargo build -q --release --manifest-path "$root/Cargo.toml"
old="$root/target/bench-old/release/mpvault"
new="$root/target/release/mpvault"

# build_vault BIN DIR: a vault of $apps apps and $members members, as the owner of DIR.
build_vault() {
  local bin=$1 dir=$2
  mkdir -p "$dir/owner"
  as() { local who=$1; shift; HOME="$dir/$who" XDG_CONFIG_HOME="$dir/$who/c" XDG_DATA_HOME="$dir/$who/d" "$bin" --vault "$dir/mpvault.json" "$@"; }
  as owner identity new >/dev/null 2>&1
  (cd "$dir" && HOME="$dir/owner" XDG_CONFIG_HOME="$dir/owner/c" XDG_DATA_HOME="$dir/owner/d" "$bin" init --owner owner >/dev/null 2>&1)
  for m in $(seq 1 $((members - 1))); do
    as "m$m" identity new >/dev/null 2>&1
    as owner member add "m$m" --key "$(as "m$m" identity show 2>/dev/null)" >/dev/null 2>&1
  done
  for a in $(seq 1 "$apps"); do
    as owner app add "app$a" --appid "$(printf 'wx%016x' "$a")" >/dev/null 2>&1
    as owner role grant "m$(( (a % (members - 1)) + 1 ))" "app$a" developer >/dev/null 2>&1
    printf '%032x' "$a" | as owner add-secret "app$a" --stdin >/dev/null 2>&1
    for s in 1 2 3 4; do
      printf 'value-%s-%s' "$a" "$s" | as owner add-secret "app$a" "SECRET_$s" --stdin >/dev/null 2>&1
    done
  done
  as owner app list >/dev/null 2>&1
}

echo "building two vaults of $apps apps, $members members (this takes a while)…" >&2
build_vault "$old" "$work/old"
build_vault "$new" "$work/new"
printf 'vault sizes: old %s bytes, new %s bytes\n' "$(wc -c <"$work/old/mpvault.json")" "$(wc -c <"$work/new/mpvault.json")"

mid=$(( apps / 2 ))
run() { # run LABEL ARGS…: times both binaries on their own vault, prints medians and the ratio
  local label=$1; shift
  local cmd_old cmd_new
  cmd_old="env HOME=$work/old/owner XDG_CONFIG_HOME=$work/old/owner/c XDG_DATA_HOME=$work/old/owner/d $old --vault $work/old/mpvault.json $*"
  cmd_new="env HOME=$work/new/owner XDG_CONFIG_HOME=$work/new/owner/c XDG_DATA_HOME=$work/new/owner/d $new --vault $work/new/mpvault.json $*"
  hyperfine -N --warmup 3 --runs 40 --export-json "$work/h.json" "$cmd_old" "$cmd_new" >/dev/null
  python3 - "$label" "$work/h.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[2]))["results"]
o, n = r[0]["median"] * 1000, r[1]["median"] * 1000
print(f"{sys.argv[1]:<40} old {o:7.2f} ms   new {n:7.2f} ms   new/old {n / o:5.2f}")
PY
}
echo "medians of 40 runs, alternating; old = $rev, new = this tree"
run "mpvault --version" --version
run "get app$mid WECHAT_APPSECRET" get "app$mid" WECHAT_APPSECRET
run "export app$mid --include-secrets" export "app$mid" --include-secrets
run "app list" app list
