#!/usr/bin/env bash
# Bounded fuzz run of the BGP decoder for CI: `fuzz/smoke.sh [seconds]` (default 60).
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-60}"
mkdir -p corpus/decode
# Seed corpus of valid messages, regenerated each run (cheap).
cargo +nightly run --quiet --bin seeds -- corpus/decode >/dev/null
exec cargo +nightly fuzz run decode corpus/decode -- -max_total_time="$secs" -max_len=8192 -print_final_stats=1
