#!/usr/bin/env bash
# Build the five hushhub Lambdas for arm64 (provided.al2023) and zip them for Terraform.
#
#   scripts/package-lambdas.sh
#
# Creates or reuses the virtualenv .venv/lambda with pinned cargo-lambda and zig (from PyPI),
# puts its bin first on PATH so cargo-lambda finds zig, adds the aarch64 Rust target if it is
# missing, then builds target/lambda/<function>/bootstrap.zip for each function and prints the
# size of each zip.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv/lambda"
TARGET=aarch64-unknown-linux-gnu
# Pinned exactly: a fresh machine builds with the same tools as this one.
REQUIREMENTS=("cargo-lambda==1.9.2" "ziglang==0.15.2")
STAMP="$VENV/.requirements"
FUNCTIONS=(check-seen age-check score-and-summarise render-html-email daily-reaper)

say() { echo "package-lambdas: $*" >&2; }

ensure_venv() {
  local wanted="${REQUIREMENTS[*]} $("${PYTHON:-python3}" -V 2>&1)"
  if ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    say "creating virtualenv $VENV"
    rm -rf "$VENV"
    "${PYTHON:-python3}" -m venv "$VENV"
  fi
  if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$wanted" ]; then
    say "installing ${REQUIREMENTS[*]}"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
      "${REQUIREMENTS[@]}" </dev/null >&2
    echo "$wanted" >"$STAMP"
  fi
}

# One setup at a time when several runs start together (flock is in util-linux).
mkdir -p "$ROOT/.venv"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$ROOT/.venv/lambda.lock"
  flock 9
  ensure_venv
  flock -u 9
  exec 9>&-
else
  ensure_venv
fi

# cargo-lambda looks for zig on PATH (the ziglang wheel provides `python -m ziglang`).
export PATH="$VENV/bin:$PATH"

if ! rustup target list --installed | grep -qx "$TARGET"; then
  say "adding Rust target $TARGET"
  rustup target add "$TARGET"
fi

cd "$ROOT"
bin_args=()
for f in "${FUNCTIONS[@]}"; do
  bin_args+=(--bin "$f")
done
say "building ${FUNCTIONS[*]} for $TARGET (a cold build takes many minutes)"
cargo lambda build --release --arm64 --output-format zip "${bin_args[@]}"

status=0
for f in "${FUNCTIONS[@]}"; do
  zip="target/lambda/$f/bootstrap.zip"
  if [ -f "$zip" ]; then
    printf '%-22s %10d bytes  %s\n' "$f" "$(stat -c %s "$zip")" "$zip"
  else
    say "missing $zip"
    status=1
  fi
done
exit "$status"
