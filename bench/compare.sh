#!/usr/bin/env bash
# Whole-process timings of everyday commands against the floor: `rage -d` of a file the size
# of the vault, measured in the same hyperfine run. Vaults are generated through the library
# (examples/bench_vault.rs: the same vault `init`, `member add`, `app add`, `role grant` and
# `add-secret` would build, signed by its owner), so a 1000-app vault takes seconds.
#
#   bash bench/compare.sh [SIZES…]      SIZES are APPS:MEMBERS, default 1:20 100:20 1000:200
#   BIN=path/to/mpvault bash bench/compare.sh …   times another build (an earlier one) instead
#
# Needs hyperfine (apt-get install hyperfine), rage (cargo install rage) and GNU time
# (apt-get install time). Prints medians, ratios to `rage -d`, and peak memory (max RSS); then
# the owner's key protected with a passphrase (owner/c/mpvault/protected.txt), without and
# with the agent, against the same owner's unprotected identity.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1:20 100:20 1000:200)
runs=${RUNS:-30}
export PATH="$PATH:$HOME/.cargo/bin"
for tool in hyperfine rage rage-keygen /usr/bin/time python3; do
  command -v "$tool" >/dev/null || { echo "bench/compare.sh needs $tool (see the top of this script)" >&2; exit 2; }
done
work=$(mktemp -d)
# An agent still running (the script stopped early) is locked before its folder goes.
trap 'for d in "$work"/v*/; do [ -S "$d/owner/run/mpvault/agent.sock" ] && owner "$d" "$bin" lock >/dev/null 2>&1; done; rm -rf "$work"' EXIT

cargo build -q --release --manifest-path "$root/Cargo.toml" --bin mpvault --example bench_vault
bin=${BIN:-"$root/target/release/mpvault"}
gen="$root/target/release/examples/bench_vault"

# owner DIR CMD…: runs CMD as the vault's owner (their identity and this clone's trust memory);
# the binary is exec'd directly, with no `env` or shell in between, as is `rage`.
# Its agent, if any, lives in DIR/owner/run.
owner() { local d=$1; shift; HOME="$d/owner" XDG_CONFIG_HOME="$d/owner/c" XDG_DATA_HOME="$d/owner/d" XDG_RUNTIME_DIR="$d/owner/run" "$@"; }
pass=$(sed -n 's/^pub const PASSPHRASE: &str = "\(.*\)";$/\1/p' "$root/benches/support/mod.rs")

# summary LABEL… < hyperfine json: one line per command after the first, as a ratio to the first.
summary() {
  python3 - "$work/h.json" "$@" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
labels = sys.argv[2:]
base = results[0]["median"]
for label, r in zip(labels, results):
    m = r["median"] * 1000
    print(f"  {label:<52} {m:8.2f} ms  {r['median'] / base:5.2f}x")
PY
}

# protected_lines DIR APP: the owner with a protected identity beside the same owner without,
# first with no agent, then through the agent (`mpvault unlock`). Each pair is one hyperfine run.
protected_lines() {
  local dir=$1 app=$2
  local mp="$bin --vault $dir/mpvault.json"
  local prot="$mp --identity $dir/owner/c/mpvault/protected.txt"
  echo "  a protected identity (passphrase), against the same owner unprotected:"
  owner "$dir" hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/h.json" \
    "$mp app list" "$prot app list" >/dev/null
  summary "app list" "app list (protected, no agent)"
  MPVAULT_PASSPHRASE=$pass owner "$dir" hyperfine -N --warmup 1 --runs "$((runs / 3 + 1))" \
    --export-json "$work/h.json" "$mp get $app WECHAT_APPSECRET" "$prot get $app WECHAT_APPSECRET" >/dev/null
  summary "get $app WECHAT_APPSECRET" "get (protected, no agent: the passphrase)"
  MPVAULT_PASSPHRASE=$pass owner "$dir" $prot unlock --for 30m >/dev/null 2>&1
  [ "$(owner "$dir" $prot get "$app" WECHAT_APPSECRET </dev/null 2>/dev/null)" = "$(owner "$dir" $mp get "$app" WECHAT_APPSECRET)" ] \
    || { echo "the agent does not serve the protected identity" >&2; exit 1; }
  owner "$dir" hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/h.json" \
    "$mp get $app WECHAT_APPSECRET" "$prot get $app WECHAT_APPSECRET" >/dev/null
  summary "get $app WECHAT_APPSECRET" "get (protected, through the agent)"
  owner "$dir" hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/h.json" \
    "$mp app list" "$prot app list" >/dev/null
  summary "app list" "app list (protected, through the agent)"
  owner "$dir" $prot lock >/dev/null 2>&1
}

rage-keygen -o "$work/floor.key" 2>/dev/null
floor_key=$(grep -o 'age1[0-9a-z]*' "$work/floor.key")
echo "medians of $runs runs; ratios are to the first line of each block, measured in the same run"
for size in "${sizes[@]}"; do
  apps=${size%%:*} members=${size##*:}
  dir="$work/v$apps"
  "$gen" "$dir" "$apps" "$members" >/dev/null
  mkdir -m 700 "$dir/owner/run"
  bytes=$(wc -c <"$dir/mpvault.json")
  head -c "$bytes" /dev/urandom | rage -r "$floor_key" -o "$dir/floor.age"
  floor="rage -d -i $work/floor.key -o /dev/null $dir/floor.age"
  mid="app$(( (apps + 1) / 2 ))"
  dev="m$(( ((apps + 1) / 2) % (members - 1) + 1 ))"
  mp="$bin --vault $dir/mpvault.json"
  # The generated vault reads back as written (this also has the owner's clone pin it).
  got=$(owner "$dir" $mp get "$mid" WECHAT_APPSECRET 2>/dev/null) || true
  [ "$got" = "$(printf '%032x' "$(( (apps + 1) / 2 ))")" ] || { echo "the generated $apps-app vault does not read back" >&2; exit 1; }
  # Saved state (the vault and the owner's trust memory) that every write starts from.
  cp -a "$dir" "$work/saved$apps"

  echo
  echo "$apps apps, $members members, $bytes bytes"
  labels=("rage -d (equal-size file)" "mpvault --version" "app list" "roster $mid" "history $mid"
          "get $mid WECHAT_APPSECRET" "export $mid --include-secrets --format json"
          "get $mid WECHAT_APPSECRET (as developer $dev)")
  cmds=("$floor" "$bin --version" "$mp app list" "$mp roster $mid" "$mp history $mid"
        "$mp get $mid WECHAT_APPSECRET" "$mp export $mid --include-secrets --format json"
        "$mp --identity $dir/$dev/c/mpvault/identity.txt get $mid WECHAT_APPSECRET")
  owner "$dir" hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/h.json" "${cmds[@]}" >/dev/null
  summary "${labels[@]}"

  # Writes start from the same saved vault and memory every run.
  restore="cp -a $work/saved$apps/. $dir/"
  wlabels=("rage -d (equal-size file)" "rotate-secret $mid SECRET_1 --generate" "role grant $dev $mid tester")
  wcmds=("$floor" "$mp rotate-secret $mid SECRET_1 --generate" "$mp role grant $dev $mid tester")
  if [ "$apps" -ge 100 ]; then
    wlabels+=("member remove m1 --yes")
    wcmds+=("$mp member remove m1 --yes")
  fi
  owner "$dir" hyperfine -N --warmup 1 --runs "$((runs / 3 + 1))" --prepare "$restore" --export-json "$work/h.json" "${wcmds[@]}" >/dev/null
  summary "${wlabels[@]}"
  python3 -c "import json;print(json.load(open('$work/h.json'))['results'][1]['median'])" >"$work/rotate$apps"

  echo "  peak memory (max RSS):"
  owner "$dir" /usr/bin/time -f '%M' -o "$work/rss" $floor >/dev/null 2>&1
  printf '    %-50s %6.1f MiB\n' "rage -d (equal-size file)" "$(python3 -c "print($(cat "$work/rss")/1024)")"
  for c in "$mp app list" "$mp export $mid --include-secrets --format json"; do
    owner "$dir" /usr/bin/time -f '%M' -o "$work/rss" $c >/dev/null 2>&1
    printf '    %-50s %6.1f MiB\n' "${c##*/mpvault.json }" "$(python3 -c "print($(cat "$work/rss")/1024)")"
  done
  for c in "$mp rotate-secret $mid SECRET_1 --generate" "$mp member remove m1 --yes"; do
    eval "$restore"
    owner "$dir" /usr/bin/time -f '%M' -o "$work/rss" $c >/dev/null 2>&1
    printf '    %-50s %6.1f MiB\n' "${c##*/mpvault.json }" "$(python3 -c "print($(cat "$work/rss")/1024)")"
  done

  eval "$restore"
  protected_lines "$dir" "$mid"
done

if [ -f "$work/rotate1" ]; then
  echo
  echo "rotate-secret against the same command on the 1-app vault:"
  for f in "$work"/rotate*; do
    n=${f##*rotate}
    [ "$n" = 1 ] && continue
    python3 -c "print(f'  {$n:>5} apps: {$(cat "$f") / $(cat "$work/rotate1"):5.2f}x')"
  done
fi
