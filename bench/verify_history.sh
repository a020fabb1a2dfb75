#!/usr/bin/env bash
# Times `mpvault git verify` (and `audit`, and a CI `get` that checks the history) on a git
# history of a generated vault: one commit of the vault, then COMMITS more, alternating a config
# value and a role grant (a policy change, signed), all made by its owner.
#
#   bash bench/verify_history.sh [APPS] [COMMITS]    default 100 20
#   PROFILE=debug bash bench/verify_history.sh …     times the debug build instead of release
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
apps=${1:-100}
commits=${2:-20}
profile=${PROFILE:-release}
flag=()
[ "$profile" = release ] && flag=(--release)
cargo build -q "${flag[@]}" --manifest-path "$root/Cargo.toml" --bin mpvault --example bench_vault
bin="$root/target/$profile/mpvault"
gen="$root/target/$profile/examples/bench_vault"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
d="$work/v"
"$gen" "$d" "$apps" 20 >/dev/null
owner() { HOME="$d/owner" XDG_CONFIG_HOME="$d/owner/c" XDG_DATA_HOME="$d/owner/d" "$@"; }
g() { git -C "$d" -c user.name=owner -c user.email=owner@example.com "$@"; }
g init -q -b main
g add mpvault.json
g commit -q -m vault
for i in $(seq 1 "$commits"); do
  if [ $((i % 2)) = 0 ]; then
    (cd "$d" && owner "$bin" role grant "m$((i % 19 + 1))" app1 tester >/dev/null)
  else
    (cd "$d" && owner "$bin" config set app1 "API_BASE=https://$i.example.com" >/dev/null 2>&1)
  fi
  g commit -q -am "change $i"
done
prints=$(cd "$d" && owner "$bin" trust --json | python3 -c 'import json,sys; print(",".join(o["fingerprint"] for o in json.load(sys.stdin)["owners_in_vault"]))')
seconds() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N); python3 -c "print(f'{$t1-$t0:.2f}')"; }
echo "$apps apps, $((commits + 1)) commits of the vault ($(wc -c <"$d/mpvault.json") bytes), $profile build:"
echo "  git verify (whole history): $(cd "$d" && seconds owner "$bin" git verify) s"
echo "  git verify HEAD --base HEAD~2: $(cd "$d" && seconds owner "$bin" git verify HEAD --base HEAD~2) s"
echo "  audit: $(cd "$d" && seconds owner "$bin" audit) s"
ci="$work/ci"
mkdir -p "$ci"
echo "  CI get (fresh home, pinned owners, history checked): $(cd "$d" && HOME="$ci" XDG_CONFIG_HOME="$ci/c" XDG_DATA_HOME="$ci/d" MPVAULT_IDENTITY_FILE="$d/owner/c/mpvault/identity.txt" MPVAULT_TRUSTED_OWNERS="$prints" seconds "$bin" get app1 WECHAT_APPSECRET) s"
echo "  CI get, MPVAULT_VERIFY_HISTORY=off: $(cd "$d" && HOME="$ci/2" XDG_CONFIG_HOME="$ci/2/c" XDG_DATA_HOME="$ci/2/d" MPVAULT_IDENTITY_FILE="$d/owner/c/mpvault/identity.txt" MPVAULT_TRUSTED_OWNERS="$prints" MPVAULT_VERIFY_HISTORY=off seconds "$bin" get app1 WECHAT_APPSECRET) s"
