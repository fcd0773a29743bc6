#!/usr/bin/env bash
# hushhub's test command: installs what the tests need, then runs every check.
#
#   scripts/test.sh
#
# Installs (into the repository, reused when unchanged): the npm asl-validator (tools/asl),
# aws-local-stepfunctions with a Node 22 for the differential test (tools/differential),
# the local AWS emulator (moto, .venv/moto) and the Terraform checks (.venv/tf-checks*).
# Then: rustfmt, clippy -D warnings, cargo-deny (licenses, bans, sources; installed when
# missing), the whole workspace's tests under the emulator (started on a free loopback port and
# always stopped), the emulator's own extension tests, and the Terraform checks. CI (.ci/run)
# runs exactly this on a clean clone.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# A one-off build gains nothing from incremental caches (they were ~1.3 GB of a cold target/).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

step() { printf '\n== %s\n' "$*" >&2; }

# cargo-deny checks the dependency tree's licenses, bans and sources (deny.toml). Its first
# install compiles it: ~7 minutes on a cold 2-core machine; the binary is reused afterwards.
step "installing cargo-deny (when missing)"
if ! command -v cargo-deny >/dev/null 2>&1; then
  cargo install cargo-deny --locked --version '^0.20'
fi

step "installing asl-validator (tools/asl)"
asl_stamp="$(sha256sum tools/asl/package-lock.json | cut -d' ' -f1)"
if [ ! -x tools/asl/node_modules/.bin/asl-validator ] \
  || [ "$(cat tools/asl/node_modules/.hushhub-stamp 2>/dev/null || true)" != "$asl_stamp" ]; then
  (cd tools/asl && npm ci --no-audit --no-fund --loglevel=error </dev/null)
  echo "$asl_stamp" >tools/asl/node_modules/.hushhub-stamp
fi

step "installing aws-local-stepfunctions and Node 22 (tools/differential)"
differential_stamp="$(sha256sum tools/differential/package-lock.json | cut -d' ' -f1)"
if [ ! -x tools/differential/node_modules/.bin/node ] \
  || [ "$(cat tools/differential/node_modules/.hushhub-stamp 2>/dev/null || true)" != "$differential_stamp" ]; then
  (cd tools/differential && npm ci --no-audit --no-fund --loglevel=error </dev/null)
  echo "$differential_stamp" >tools/differential/node_modules/.hushhub-stamp
fi

step "rustfmt"
cargo fmt --all -- --check

step "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

# Offline: the advisory check needs the RustSec database, so it is run by hand (README).
# cargo-fuzz stays out of this command (nightly flags, minutes of build): scripts/fuzz.sh runs
# it; the bounded form here is the proptest suite in crates/core/tests/properties.rs.
step "cargo deny check licenses bans sources"
cargo deny --locked check licenses bans sources

step "workspace tests against the local AWS emulator"
scripts/with-moto.sh cargo nextest run --workspace --locked --no-fail-fast

step "emulator extension tests"
scripts/with-moto.sh .venv/moto/bin/python -m pytest -q tools/moto

step "terraform checks"
scripts/check-terraform.sh

step "all checks passed"
