#!/usr/bin/env bash
# Fuzzes hushhub's input edge with cargo-fuzz (libFuzzer): every target in fuzz/ for a bounded
# number of executions, seeded with the sample events and the test fixtures.
#
#   scripts/fuzz.sh [RUNS_PER_TARGET]     # default 200000
#
# Installs cargo-fuzz when missing. Runs on stable through RUSTC_BOOTSTRAP=1 (libFuzzer needs
# nightly-only compiler flags) without a sanitizer: the code under test has no `unsafe`.
# Prints the executions each target reached and whether it crashed; a crash's input is saved
# under fuzz/artifacts/<target>/ and the script exits 1. Slow (a build of minutes, then
# RUNS_PER_TARGET executions per target): not part of scripts/test.sh, whose bounded form of
# this is the proptest suite (crates/core/tests/properties.rs).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUNS="${1:-200000}"
case "$RUNS" in '' | *[!0-9]*) echo "usage: $0 [RUNS_PER_TARGET]" >&2; exit 2 ;; esac

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "== installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked
fi

export RUSTC_BOOTSTRAP=1
cd fuzz
targets=(parse_event parse_decide_render)

# Seeds: the sample events and every fixture, good and bad (the corpus folder is git-ignored).
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target"
  cp -f ../examples/events/*.json ../tests/fixtures/asff/*.json ../tests/fixtures/bad/*.json \
    "corpus/$target/"
done

echo "== building the fuzz targets" >&2
cargo fuzz build -s none

crashed=0
summary=()
for target in "${targets[@]}"; do
  echo "== fuzzing $target for $RUNS runs" >&2
  log="$(mktemp)"
  status=0
  # -max_len keeps executions fast; the 287 KB and 10,000-deep fixtures are pinned by tests.
  cargo fuzz run -s none "$target" "corpus/$target" -- \
    -runs="$RUNS" -max_len=65536 -dict=asff.dict -print_final_stats=1 \
    >"$log" 2>&1 || status=$?
  runs="$(grep -o 'Done [0-9]* runs' "$log" | tail -n 1 | grep -o '[0-9]*' || true)"
  if [ -z "$runs" ]; then
    runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')"
  fi
  if [ "$status" -ne 0 ]; then
    crashed=1
    tail -n 40 "$log" >&2
    summary+=("$target: $runs executions, CRASHED (exit $status; input under fuzz/artifacts/$target/)")
  else
    summary+=("$target: $runs executions, no crash")
  fi
  rm -f "$log"
done

printf '\n== fuzz summary (%s runs per target)\n' "$RUNS"
printf '%s\n' "${summary[@]}"
exit "$crashed"
