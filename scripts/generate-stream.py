#!/usr/bin/env python3
"""A long stream of Security Hub deliveries for the replay benchmark, made from examples/month.jsonl.

    python3 scripts/generate-stream.py DELIVERIES OUT.jsonl [--template examples/month.jsonl]

Each event of the month is written several times in a row, each copy with its own event id and
its own finding ids (`copy<k>/<Id>`), until at least DELIVERIES finding deliveries are written.
So the stream keeps the month's realism: its findings, their re-imports every 6-24 h, resolves,
reopens, escalations, analyst edits, batched events, EventBridge re-deliveries, and therefore
its share of duplicates; only there are `copies` times as many findings at once, in time order.
ECR image findings keep their images, so examples/ecr-images.jsonl still applies.

Standard library only; deterministic; writes about 2.5 GB per million deliveries.
"""

import argparse
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FINDING_START = '{"SchemaVersion":"2018-10-08","Id":"'
EVENT_START = '{"version":"0","id":"'


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("deliveries", type=int, help="finding deliveries to write (at least)")
    parser.add_argument("out", type=Path, help="JSON lines file to write")
    parser.add_argument("--template", type=Path, default=ROOT / "examples" / "month.jsonl")
    args = parser.parse_args()
    if args.deliveries <= 0:
        parser.error("deliveries must be positive")

    lines = [line for line in args.template.read_text(encoding="utf-8").splitlines() if line.strip()]
    per_copy = sum(line.count(FINDING_START) for line in lines)
    if per_copy == 0 or not all(line.startswith(EVENT_START) for line in lines):
        print(f"{args.template}: not compact Imported events as generate_month.py writes them", file=sys.stderr)
        return 1
    copies = math.ceil(args.deliveries / per_copy)

    events = findings = 0
    with args.out.open("w", encoding="utf-8", newline="\n") as out:
        for line in lines:
            body = line[len(EVENT_START):]
            for k in range(copies):
                out.write(EVENT_START)
                # The event id gets the copy's suffix; EventBridge re-deliveries of an event
                # (the same line twice in the month) stay the same event within a copy.
                end = body.index('"')
                out.write(body[:end])
                out.write(f"-c{k}")
                out.write(body[end:].replace(FINDING_START, f"{FINDING_START}copy{k}/"))
                out.write("\n")
            events += copies
            findings += copies * line.count(FINDING_START)
    print(
        f"{args.out}: {events} events, {findings} finding deliveries "
        f"({copies} copies of {args.template.name}, {per_copy} deliveries each)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
