#!/usr/bin/env bash
# hushhub's test command: installs what the tests need, then runs every check.
#
#   scripts/test.sh
#
# Installs (into the repository, reused when unchanged): the npm asl-validator (tools/asl),
# the local AWS emulator (moto, .venv/moto) and the Terraform checks (.venv/tf-checks*).
# Then: rustfmt, clippy -D warnings, the whole workspace's tests under the emulator (started
# on a free loopback port and always stopped), the emulator's own extension tests, and the
# Terraform checks. CI (.ci/run) runs exactly this on a clean clone.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

step() { printf '\n== %s\n' "$*" >&2; }

step "installing asl-validator (tools/asl)"
asl_stamp="$(sha256sum tools/asl/package-lock.json | cut -d' ' -f1)"
if [ ! -x tools/asl/node_modules/.bin/asl-validator ] \
  || [ "$(cat tools/asl/node_modules/.hushhub-stamp 2>/dev/null || true)" != "$asl_stamp" ]; then
  (cd tools/asl && npm ci --no-audit --no-fund --loglevel=error </dev/null)
  echo "$asl_stamp" >tools/asl/node_modules/.hushhub-stamp
fi

step "rustfmt"
cargo fmt --all -- --check

step "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "workspace tests against the local AWS emulator"
scripts/with-moto.sh cargo nextest run --workspace --locked --no-fail-fast

step "emulator extension tests"
scripts/with-moto.sh .venv/moto/bin/python -m pytest -q tools/moto

step "terraform checks"
scripts/check-terraform.sh

step "all checks passed"
