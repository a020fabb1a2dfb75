#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60), one after another, on one core.
#   fuzz/run.sh 600            # ten minutes each
#   TARGETS="vault" fuzz/run.sh 30
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). The growing corpus
# lives in fuzz/corpus/TARGET (not committed); fuzz/seeds/TARGET holds the committed seeds.
# One process per target, so one core (what -jobs=1 gives, without its forked worker).
# A crash is saved in fuzz/artifacts/TARGET and fails the script; once fixed, keep the input
# as a regression test in the normal suite (tests/cli/no_panics.rs or tests/cli/roundtrip.rs).
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
targets=${TARGETS:-vault dotenv shell}
cargo +nightly fuzz build
for target in $targets; do
    mkdir -p "corpus/$target"
    echo "== $target: ${seconds}s"
    cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        2>&1 | tee "fuzz-$target.log" | grep -E "^(#[0-9]+ +(DONE|pulse))|^stat::|ERROR|panicked" || true
    if grep -qE "^==[0-9]+==ERROR|panicked at|deadly signal" "fuzz-$target.log"; then
        echo "$target found a crash: see fuzz/artifacts/$target and fuzz/fuzz-$target.log" >&2
        exit 1
    fi
done
