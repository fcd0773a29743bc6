#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions below are called from traps
# Run a command against hushhub's local AWS emulator (tools/moto/launcher.py).
#
#   scripts/with-moto.sh <command> [args...]
#
# Creates or reuses the virtualenv .venv/moto (installing tools/moto/requirements.txt only
# when it is missing or changed), starts the launcher on a free loopback port, waits until
# it answers, exports AWS_ENDPOINT_URL / HUSHHUB_MOTO_URL / test credentials / AWS_REGION,
# runs the command, always stops the server, and exits with the command's status.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv/moto"
REQUIREMENTS="$ROOT/tools/moto/requirements.txt"
LAUNCHER="$ROOT/tools/moto/launcher.py"
STAMP="$VENV/.requirements.sha256"
START_TIMEOUT_S=30

if [ "$#" -eq 0 ]; then
  echo "usage: $0 <command> [args...]" >&2
  exit 2
fi

say() { echo "with-moto: $*" >&2; }

ensure_venv() {
  local wanted
  wanted="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1) $("${PYTHON:-python3}" -V 2>&1)"
  if ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    say "creating virtualenv $VENV"
    rm -rf "$VENV"
    "${PYTHON:-python3}" -m venv "$VENV"
  fi
  if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$wanted" ]; then
    say "installing $REQUIREMENTS (about a minute)"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
      -r "$REQUIREMENTS" </dev/null >&2
    echo "$wanted" >"$STAMP"
  fi
}

# One setup at a time when several runs start together (flock is in util-linux).
mkdir -p "$ROOT/.venv"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$ROOT/.venv/moto.lock"
  flock 9
  ensure_venv
  flock -u 9
  exec 9>&-
else
  ensure_venv
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/hushhub-moto.XXXXXX")"
SERVER_OUT="$WORK/stdout"
SERVER_LOG="$WORK/server.log"
SERVER_PID=""
KEEP_LOG=""

stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
  if [ -n "$KEEP_LOG" ]; then
    say "server log kept: $SERVER_LOG"
  else
    rm -rf "$WORK"
  fi
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail_start() {
  KEEP_LOG=1
  say "the emulator did not start: $1"
  say "last lines of its log ($SERVER_LOG):"
  tail -n 40 "$SERVER_LOG" >&2 || true
  exit 1
}

# Created here, not by the background job's redirections: the loop below may read them before
# that job has opened them (seen on a loaded machine: sed failed, and set -e ended the run).
: >"$SERVER_OUT"
: >"$SERVER_LOG"
"$VENV/bin/python" "$LAUNCHER" -p 0 --exit-with-parent </dev/null >"$SERVER_OUT" 2>"$SERVER_LOG" &
SERVER_PID=$!

URL=""
deadline=$((SECONDS + START_TIMEOUT_S))
while [ "$SECONDS" -lt "$deadline" ]; do
  kill -0 "$SERVER_PID" 2>/dev/null || fail_start "the launcher exited"
  if [ -z "$URL" ]; then
    URL="$(sed -n 's/^HUSHHUB_MOTO_URL=//p' "$SERVER_OUT" | head -n 1)"
  fi
  if [ -n "$URL" ] && "$VENV/bin/python" - "$URL/moto-api/" <<'PY' 2>/dev/null
import sys, urllib.request
sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=2).status == 200 else 1)
PY
  then
    break
  fi
  sleep 0.2
done
[ "$SECONDS" -lt "$deadline" ] || fail_start "no answer from GET /moto-api/ within ${START_TIMEOUT_S}s"

export AWS_ENDPOINT_URL="$URL"
export HUSHHUB_MOTO_URL="$URL"
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
unset AWS_SESSION_TOKEN AWS_PROFILE
say "emulator at $URL (log: $SERVER_LOG)"

# The command runs in the background so that a signal to this script is handled at once
# (bash defers traps while a foreground child runs); `<&0` keeps its standard input.
"$@" <&0 &
COMMAND_PID=$!
stop_command() {
  kill -TERM "$COMMAND_PID" 2>/dev/null || true
  wait "$COMMAND_PID" 2>/dev/null || true
  exit "$1"
}
trap 'stop_command 130' INT
trap 'stop_command 143' TERM
set +e
wait "$COMMAND_PID"
status=$?
set -e
[ "$status" -eq 0 ] || KEEP_LOG=1
exit "$status"
