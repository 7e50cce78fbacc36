#!/usr/bin/env python3
"""An external reward for r1cpp: a soft overlong penalty (DAPO-style).

r1 starts this once and keeps it running. For each batch it writes one JSON
object per line on stdin -- {"prompt": ..., "completion": ..., plus every field
of the dataset row} -- and reads one score per line from stdout, in the same
order (a number, or {"score": x}). Flush after each line; exit when stdin ends.

    score = 0                                   if len <= max_chars - buffer
          = -(len - (max_chars - buffer)) / buffer   in the buffer zone
          = -1                                  if len >= max_chars

Length is counted in characters here (no tokenizer needed).
Config (a reward's params are keys of its own [[rewards]] table):

    [[rewards]]
    name = "external"
    weight = 1.0
    command = "python3 examples/rewards/length_penalty.py --max-chars 4000"
"""
import argparse
import json
import sys


def penalty(length, max_chars, buffer):
    start = max_chars - buffer
    if length <= start:
        return 0.0
    return -min(1.0, (length - start) / buffer)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-chars", type=int, default=4000)
    parser.add_argument("--buffer", type=int, default=1000)
    args = parser.parse_args()
    for line in sys.stdin:
        row = json.loads(line)
        score = penalty(len(row["completion"]), args.max_chars, args.buffer)
        print(json.dumps({"score": score}), flush=True)


if __name__ == "__main__":
    main()
