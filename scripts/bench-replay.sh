#!/usr/bin/env bash
# Replay throughput and peak memory of `hushhub replay`, release build.
#
#   scripts/bench-replay.sh [DELIVERIES]     (default 1000000)
#
# Builds hushhub in release, then replays with a fresh state and outbox in a temporary folder:
#   1. examples/month.jsonl (3,144 finding deliveries, with examples/ecr-images.jsonl);
#   2. a generated stream of DELIVERIES finding deliveries (scripts/generate-stream.py: copies
#      of the month, each with its own finding ids, so the same mix of new, duplicate, re-alert,
#      resolved and ignored findings), written to the temporary folder first (about 2.5 GB per
#      million) so that generating it is not measured.
# Prints each run's totals (findings/s is the replay's own figure) and its peak resident memory,
# then the median findings/s of MONTH_RUNS (default 9) more runs of the month
# ("Maximum resident set size" of /usr/bin/time -v, or the kernel's rusage of the child when
# /usr/bin/time is missing). Not part of scripts/test.sh; the 1M run takes a few minutes here.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DELIVERIES="${1:-1000000}"

say() { echo "bench-replay: $*" >&2; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/hushhub-bench-replay.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

say "building hushhub in release"
cargo build --release -p hushhub >&2
HUSHHUB="$ROOT/target/release/hushhub"

# Runs the replay on $1 (a JSON lines file) in a fresh state and outbox, printing its last
# lines and the peak RSS.
replay() {
  local name="$1" input="$2" run="$WORK/$1"
  mkdir -p "$run"
  local cmd=("$HUSHHUB" replay --fresh --state "$run/state.sqlite" --outbox "$run/outbox"
    --ecr-images examples/ecr-images.jsonl "$input")
  echo "== $name: $(wc -l <"$input") events"
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -v "${cmd[@]}" >"$run/stdout" 2>"$run/stderr"
    tail -n 4 "$run/stdout"
    sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): \([0-9]*\)$/peak RSS: \1 KiB/p' "$run/stderr"
    sed -n 's/^[[:space:]]*Elapsed (wall clock) time (h:mm:ss or m:ss): \(.*\)$/wall clock: \1/p' "$run/stderr"
  else
    python3 - "$run" "${cmd[@]}" <<'PY'
import resource, subprocess, sys
run, cmd = sys.argv[1], sys.argv[2:]
with open(f"{run}/stdout", "w") as out, open(f"{run}/stderr", "w") as err:
    subprocess.run(cmd, stdout=out, stderr=err, check=True)
print("".join(open(f"{run}/stdout").readlines()[-4:]), end="")
print(f"peak RSS: {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss} KiB")
PY
  fi
  rm -rf "$run/outbox" "$run/state.sqlite"
}

replay month examples/month.jsonl

# The month takes a quarter of a second, and this machine's speed varies from run to run by a
# third: its figure is the median of MONTH_RUNS more runs, each on a fresh state and outbox.
MONTH_RUNS="${MONTH_RUNS:-9}"
rates=()
for _ in $(seq "$MONTH_RUNS"); do
  run="$WORK/month-again"
  rm -rf "$run"
  rates+=("$("$HUSHHUB" replay --fresh --state "$run/state.sqlite" --outbox "$run/outbox" \
    --ecr-images examples/ecr-images.jsonl examples/month.jsonl | tail -n 1 | cut -d' ' -f1)")
done
sorted="$(printf '%s\n' "${rates[@]}" | sort -n | tr '\n' ' ')"
median="$(printf '%s\n' "${rates[@]}" | sort -n | sed -n "$(((MONTH_RUNS + 1) / 2))p")"
echo "month over $MONTH_RUNS more runs: $sorted(findings/s); median $median findings/s"

say "generating $DELIVERIES deliveries into $WORK"
python3 scripts/generate-stream.py "$DELIVERIES" "$WORK/stream.jsonl"
replay "stream-$DELIVERIES" "$WORK/stream.jsonl"
