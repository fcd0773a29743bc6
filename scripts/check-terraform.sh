#!/usr/bin/env bash
# Offline checks of the Terraform module (terraform/); no AWS account is used.
#
#   1. terraform fmt -check -recursive       (when terraform is on the PATH)
#   2. tools/terraform-checks tests (pytest)  the definition rendered through
#      templatefile(), the function environment, the README tables, IAM
#   3. checkov over terraform/               no failed check
#
# Python tools live in two virtualenvs under .venv/ (gitignored), each
# (re)installed only when its pinned requirements file changed. checkov gets
# its own: it installs a fork of python-hcl2 under the same `hcl2` package
# name, and pins packaging<24, which pytest 9 cannot use.
#
# Usage: scripts/check-terraform.sh   (from any folder; reads no stdin)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PYTHON="${PYTHON:-python3}"
TOOLS="tools/terraform-checks"
TESTS_VENV=".venv/tf-checks"
CHECKOV_VENV=".venv/tf-checks-checkov"

export TF_CLI_CONFIG_FILE=/dev/null # no ~/.terraformrc warning
export TF_IN_AUTOMATION=1
export CHECKPOINT_DISABLE=1 # no version check over the network
export PIP_DISABLE_PIP_VERSION_CHECK=1

step() { printf '\n==> %s\n' "$*"; }

# ensure_venv DIR REQUIREMENTS: create DIR and install REQUIREMENTS into it,
# unless the stamp says this exact file is already installed there.
ensure_venv() {
  local dir="$1" requirements="$2" stamp want
  stamp="$dir/.requirements.sha256"
  want="$("$PYTHON" -c 'import sys; print(sys.version.split()[0])') $(sha256sum "$requirements" | cut -d' ' -f1)"
  if [[ -x "$dir/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return 0
  fi
  echo "installing $requirements into $dir"
  rm -rf "$dir"
  "$PYTHON" -m venv "$dir"
  "$dir/bin/python" -m pip install --quiet -r "$requirements" </dev/null
  printf '%s\n' "$want" >"$stamp"
}

step "terraform fmt -check -recursive terraform"
if command -v terraform >/dev/null 2>&1; then
  terraform fmt -check -recursive -diff terraform
  echo "formatted"
else
  echo "skipped: terraform is not on the PATH"
fi

step "virtualenvs"
# One setup at a time when several runs start together (flock is in util-linux).
mkdir -p .venv
if command -v flock >/dev/null 2>&1; then
  exec 9>".venv/tf-checks.lock"
  flock 9
fi
ensure_venv "$TESTS_VENV" "$TOOLS/requirements.txt"
ensure_venv "$CHECKOV_VENV" "$TOOLS/requirements-checkov.txt"

step "pytest $TOOLS"
"$TESTS_VENV/bin/python" -m pytest -p no:cacheprovider -q "$TOOLS" </dev/null

# Twice: once as examples/complete calls the module (checkov evaluates the
# module with the example's values, customer managed key included), once the
# module alone with its defaults.
step "checkov: terraform/ with examples/complete"
"$CHECKOV_VENV/bin/checkov" -d terraform --framework terraform --skip-download --compact --quiet </dev/null

step "checkov: the module alone, with its defaults"
"$CHECKOV_VENV/bin/checkov" -d terraform --framework terraform --skip-download --compact --quiet \
  --skip-path 'terraform/examples' </dev/null

step "terraform checks passed"
