#!/usr/bin/env bash
# Cold start of the five Lambda binaries, and their sizes.
#
#   scripts/bench-cold-start.sh [RUNS]      (default 20)
#
# Builds the five functions in release for this machine, then starts each RUNS times against a
# fake Lambda Runtime API (tests/runtime_api, through tests/examples/cold_start.rs) with its
# first event already queued, and prints the median, fastest and slowest time from process start
# to the first answered invocation. AWS points at a fake endpoint on loopback: check-seen,
# age-check and score-and-summarise answer their first event without an AWS call,
# render-html-email sends through a faked SES, daily-reaper scans a faked empty table.
# Then the size of each binary and, when scripts/package-lambdas.sh has made them, of each
# target/lambda/<function>/bootstrap.zip (arm64, what Lambda runs).
#
# These are host (x86_64) release binaries on this machine, not Lambda's arm64 ones: the figure
# is this code's own start-up, not Lambda's sandbox start. Not part of scripts/test.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUNS="${1:-20}"
FUNCTIONS=(check-seen age-check score-and-summarise render-html-email daily-reaper)

say() { echo "bench-cold-start: $*" >&2; }

say "building the five functions in release"
cargo build --release -p check-seen -p age-check -p score-and-summarise \
  -p render-html-email -p daily-reaper >&2

# The harness itself is only sockets and threads: a debug build measures the same.
say "building the harness (tests/examples/cold_start.rs)"
cargo build -p hushhub-tests --example cold_start >&2

echo "== process start to first answered invocation (x86_64 release, $(nproc) cores)"
target/debug/examples/cold_start --runs "$RUNS" target/release

echo
echo "== sizes"
printf '%-22s %14s %18s\n' function "binary bytes" "bootstrap.zip bytes"
for f in "${FUNCTIONS[@]}"; do
  zip="target/lambda/$f/bootstrap.zip"
  zip_size="-"
  [ -f "$zip" ] && zip_size="$(stat -c %s "$zip")"
  printf '%-22s %14s %18s\n' "$f" "$(stat -c %s "target/release/$f")" "$zip_size"
done
