"""Reads a run's TensorBoard event files back with TensorBoard's own readers
(the `tensorboard` PyPI package's EventAccumulator, and the plugin
accumulator its UI reads through) and checks them against
the run's metrics.jsonl: every number of every line (nested objects as
"a/b") is a scalar at that line's step, equal up to float32 rounding, and
nothing else is; each step of samples.jsonl is a "samples" text holding its
completions.

usage: tensorboard_check.py RUN_DIR   (exit 1 with the first difference)
"""
import json
import os
import sys

import numpy as np
from tensorboard.backend.event_processing import event_accumulator, plugin_event_accumulator


def flatten(obj, prefix=""):
    for k, v in obj.items():
        tag = f"{prefix}/{k}" if prefix else k
        if isinstance(v, dict):
            yield from flatten(v, tag)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            yield tag, v


def main(run_dir):
    logdir = os.path.join(run_dir, "tensorboard")
    acc = event_accumulator.EventAccumulator(
        logdir, size_guidance={event_accumulator.SCALARS: 0, event_accumulator.TENSORS: 0})
    acc.Reload()
    got = {}
    for tag in acc.Tags()["scalars"]:
        for e in acc.Scalars(tag):
            if (tag, e.step) in got:
                sys.exit(f"{tag} at step {e.step}: logged twice (a resumed run's leftovers?)")
            got[(tag, e.step)] = e.value
    want = {}
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        for line in f:
            m = json.loads(line)
            for tag, v in flatten(m):
                if tag != "step":
                    want[(tag, m["step"])] = v
    if not want:
        sys.exit(f"{run_dir}/metrics.jsonl: no metrics")
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    if missing or extra:
        sys.exit(f"scalars differ: missing {missing[:5]}, extra {extra[:5]}")
    for key, v in want.items():
        if np.float32(v) != np.float32(got[key]):
            sys.exit(f"{key}: metrics.jsonl {v}, TensorBoard {got[key]}")

    samples_path = os.path.join(run_dir, "samples.jsonl")
    texts = 0
    if os.path.exists(samples_path) and os.path.getsize(samples_path):
        by_step = {}
        for e in acc.Tensors("samples"):
            by_step[e.step] = e.tensor_proto.string_val[0].decode()
        with open(samples_path) as f:
            for line in f:
                s = json.loads(line)
                text = by_step.get(s["step"])
                if text is None or s["completion"] not in text:
                    sys.exit(f"step {s['step']}: sample text missing from TensorBoard")
        texts = len(by_step)
    # What TensorBoard's UI reads (the plugin accumulator, scalars migrated to
    # tensors): the same scalar tags, and the samples under the text plugin.
    ui = plugin_event_accumulator.EventAccumulator(logdir, size_guidance={"tensors": 0})
    ui.Reload()
    if set(ui.PluginTagToContent("scalars")) != {tag for tag, _ in want}:
        sys.exit(f"TensorBoard's scalars plugin sees {sorted(ui.PluginTagToContent('scalars'))}")
    if texts and list(ui.PluginTagToContent("text")) != ["samples"]:
        sys.exit(f"TensorBoard's text plugin sees {list(ui.PluginTagToContent('text'))}")
    steps = len({step for _, step in want})
    print(f"tensorboard: {len(want)} scalars over {steps} steps equal metrics.jsonl, "
          f"{texts} sample texts")


if __name__ == "__main__":
    main(sys.argv[1])
