#!/usr/bin/env bash
# Screenshots of the alert email, for the README and for reviewing a change of the template
# (crates/core/src/email.rs).
#
#   scripts/screenshots.sh                      # the sample events below -> docs/screenshots/
#   scripts/screenshots.sh path/to/event.json   # other events (any `hushhub preview` input)
#   SCREENSHOTS_DIR=/tmp/shots scripts/screenshots.sh ...   # somewhere else
#
# It installs Debian's chromium when it is missing (apt-get, as root), builds the hushhub CLI,
# runs `hushhub preview` on each event into a temporary folder, and screenshots every email's
# HTML at 600 px (a desktop mail client) and 375 px (a phone) wide, each as tall as the email:
# `<event>-600.png`, `<event>-375.png` (an event of several findings adds `-2`, `-3`, ...).
# The height is measured first on a copy of the email with a one-line script added; the
# screenshot itself is of the email exactly as written, which has no script.
#
# Not part of scripts/test.sh: it needs a browser and takes a minute. Re-run it after changing
# the template, and commit the PNGs with the change.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

OUT="${SCREENSHOTS_DIR:-$ROOT/docs/screenshots}"
WIDTHS=(600 375)
if [ "$#" -gt 0 ]; then
  EVENTS=("$@")
else
  EVENTS=(
    examples/events/inspector-ec2-package-cve-critical.json
    examples/events/inspector-ecr-image-cve-high.json
    examples/events/guardduty-ec2-crypto-mining.json
    examples/events/cspm-s3-1-failed.json
  )
fi
# Shown next to the account ids, as HUSHHUB_ACCOUNT_ALIASES would be in a deployment.
ALIASES="111122223333=acme-prod,444455556666=acme-payments"

step() { printf '\n== %s\n' "$*" >&2; }

if ! command -v chromium >/dev/null 2>&1; then
  step "installing chromium (Debian)"
  if [ "$(id -u)" -ne 0 ]; then
    echo "chromium is missing; as root: apt-get update && apt-get install -y chromium" >&2
    exit 1
  fi
  apt-get update
  apt-get install -y chromium
fi

step "building hushhub"
cargo build --locked -p hushhub
HUSHHUB="$ROOT/target/debug/hushhub"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# Headless chromium as root needs --no-sandbox; its dbus warnings on stderr are harmless.
browser() {
  chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --hide-scrollbars --user-data-dir="$TMP/profile" "$@" 2>"$TMP/chromium.log"
}

# The height of the email laid out `width` px wide. The probe fixes the body's width rather than
# trusting the window's: headless chromium may lay out --dump-dom wider than a narrow window.
measure() {
  local html="$1" width="$2" probe="$TMP/measure.html" height
  sed "s|</body>|<script>document.body.style.width='${width}px';document.body.setAttribute('data-height',Math.ceil(document.body.getBoundingClientRect().height))</script></body>|" \
    "$html" >"$probe"
  height="$(browser --window-size="$width,200" --dump-dom "file://$probe" \
    | grep -o 'data-height="[0-9]*"' | grep -o '[0-9][0-9]*' || true)"
  if [ -z "$height" ]; then
    echo "could not measure $html (see $TMP/chromium.log)" >&2
    cat "$TMP/chromium.log" >&2
    exit 1
  fi
  echo "$height"
}

mkdir -p "$OUT"
for event in "${EVENTS[@]}"; do
  name="$(basename "$event" .json)"
  step "$name"
  "$HUSHHUB" preview --out "$TMP/$name" --account-aliases "$ALIASES" "$event" >/dev/null
  n=0
  for html in "$TMP/$name"/*.html; do
    [ -e "$html" ] || { echo "$event: no email (resolved or not alerted on)" >&2; continue; }
    n=$((n + 1))
    suffix=""
    [ "$n" -gt 1 ] && suffix="-$n"
    for width in "${WIDTHS[@]}"; do
      height="$(measure "$html" "$width")"
      png="$OUT/$name$suffix-$width.png"
      browser --window-size="$width,$height" --screenshot="$png" "file://$html"
      echo "$png (${width}x$height, $(wc -c <"$html") bytes of HTML)"
    done
  done
done
