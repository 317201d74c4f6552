#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60) with libFuzzer, from
# the committed seeds in fuzz/corpus/TARGET; inputs that find new coverage
# go to target/fuzz-corpus/TARGET (the seeds stay as committed). Prints one
# line per target: executions, coverage reached, and whether it found
# anything. A finding is saved under fuzz/artifacts/TARGET/ and fails the run.
#
#   bash fuzz/run.sh 600            # ten minutes per target
#   TARGETS="hub lines" bash fuzz/run.sh 30
#
# Needs the nightly toolchain and cargo-fuzz (installed if missing).
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_PER=${1:-60}
ALL=$(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -v '^linechat-fuzz$')
TARGETS=${TARGETS:-$ALL}
OUT=../target/fuzz-corpus
mkdir -p "$OUT"

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
cargo +nightly fuzz build -O >/dev/null

status=0
printf '%-14s %14s %8s %8s %s\n' target executions cov ft result
for t in $TARGETS; do
  mkdir -p "$OUT/$t" "corpus/$t"
  log=$OUT/$t.log
  if cargo +nightly fuzz run -O "$t" "$OUT/$t" "corpus/$t" -- \
      -max_total_time="$SECONDS_PER" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 >"$log" 2>&1; then
    result=ok
  else
    result="FOUND: see $log and fuzz/artifacts/$t/"
    status=1
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1 || true)
  cov=$( (grep -o 'cov: [0-9]*' "$log" || true) | tail -1 | cut -d' ' -f2)
  ft=$( (grep -o 'ft: [0-9]*' "$log" || true) | tail -1 | cut -d' ' -f2)
  printf '%-14s %14s %8s %8s %s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$result"
done
exit $status
