#!/usr/bin/env bash
# Regenerates the demo vault and its people's identities: `bash examples/demo/generate.sh`
# (uses `mpvault` on PATH, or MPVAULT=path/to/mpvault). Run it again when the format changes,
# and commit what it writes.
#
# Every identity it writes is public, and protects nothing: each carries the demo marker line,
# and mpvault refuses a marked identity for any vault but the one whose id the marker names.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
mpvault=${MPVAULT:-mpvault}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A home of its own: no identity, trust memory or git config of the person running this.
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" XDG_DATA_HOME="$work/home/.local/share"
unset MPVAULT_IDENTITY MPVAULT_IDENTITY_FILE MPVAULT_VAULT MPVAULT_TRUSTED_OWNERS MPVAULT_PASSPHRASE
mkdir -p "$work/vault" "$work/people"
cd "$work/vault"

people="alice bob carol dave erin frank grace"
for who in $people; do
  "$mpvault" identity new >/dev/null 2>&1
  mv "$XDG_CONFIG_HOME/mpvault/identity.txt" "$work/people/$who.txt"
done
# Quiet unless a step fails.
as() {
  local who=$1; shift
  "$mpvault" --identity "$work/people/$who.txt" "$@" >/dev/null 2>"$work/log" || { cat "$work/log" >&2; exit 1; }
}
key() { "$mpvault" --identity "$work/people/$1.txt" identity show 2>/dev/null; }

as alice init --owner alice
for who in bob carol dave erin frank grace; do
  as alice member add "$who" --key "$(key "$who")"
done

as alice app add shop --appid wx0123456789abcdef --title "Demo Shop 演示商城"
as alice app add blog --appid wx00000000000000bb --title "Demo Blog 演示博客"
for app in shop blog; do
  as alice app set "$app" --verified-until 2099-12-31 --icp "粤ICP备00000000号-1X"
  as alice app contact "$app" --name "Alice Demo" --wechat alice_demo \
    --email alice@example.com --phone "+86 138 0000 0000"
done

# Every console role (the vault's roles, with their Chinese names in `mpvault roster`).
as alice role grant dave shop admin
as alice role grant erin shop operator
as alice role grant bob shop developer
as alice role grant frank shop data-analyst
as alice role grant grace shop transactions-analyst
as alice role grant carol shop tester
as alice role grant bob blog developer
as alice role grant carol blog tester

# Made-up secrets: nothing here opens anything at WeChat.
printf '0123456789abcdef0123456789abcdef\n' | as bob add-secret shop --stdin
printf '%s\n' '-----BEGIN PRIVATE KEY-----' \
  'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKjMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu' \
  '-----END PRIVATE KEY-----' | as bob add-secret shop WECHAT_UPLOAD_KEY --stdin
printf 'DemoPayApiV3Key0000000000000000x\n' | as dave add-secret shop WECHAT_PAY_API_V3_KEY --stdin
printf 'fedcba9876543210fedcba9876543210\n' | as bob add-secret blog --stdin

# Config for every build, and per build mode.
as bob config set shop CDN=https://cdn.example.com
as bob config set shop API_BASE=http://localhost:3000 --mode development
as bob config set shop API_BASE=https://api.example.com --mode production
as bob config set shop SENTRY_PROJECT=demo-shop --build
as bob config set blog API_BASE=https://blog.example.com

# The identities, marked as the demo's, for this vault only.
vault_id=$(sed -n 's/^ *"vault_id": *"\([^"]*\)".*/\1/p' mpvault.json | head -n 1)
[ -n "$vault_id" ] || { echo "generate.sh: no vault_id in the new vault" >&2; exit 1; }
mkdir -p "$here/identities"
for who in $people; do
  { printf '# mpvault demo identity for vault %s: public, protects nothing\n' "$vault_id"
    cat "$work/people/$who.txt"; } > "$here/identities/$who.txt"
done
cp mpvault.json "$here/mpvault.json"
echo "wrote $here/mpvault.json (vault $vault_id) and identities/ for: $people"
