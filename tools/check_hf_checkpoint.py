#!/usr/bin/env python3
"""Checks a checkpoint r1 wrote the way a user's next step reads it: loads it
with transformers (dtype="auto"), checks the dtype transformers picks is the
one config.json names (both "dtype" and "torch_dtype"), and compares
transformers' log-probs with `r1 score` on the same ids, padded-vocabulary ids
(past the tokenizer, below vocab_size) included.

    tools/check_hf_checkpoint.py build/tools/r1/r1 RUN/checkpoints/step-N

Needs torch and transformers (a venv: pip install torch transformers).
"""
import json
import subprocess
import sys

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

TOLERANCE = 1e-4  # fp32 log-probs of the same bf16 weights, two implementations


def main():
    r1, ckpt = sys.argv[1], sys.argv[2]
    config = json.load(open(f"{ckpt}/config.json"))
    named = {config.get("dtype"), config.get("torch_dtype")}
    assert len(named) == 1, f"config.json names two dtypes: {named}"
    model = AutoModelForCausalLM.from_pretrained(ckpt, dtype="auto")
    want = getattr(torch, named.pop())
    assert model.dtype == want, f"transformers loaded {model.dtype}, config.json says {want}"

    tok = AutoTokenizer.from_pretrained(ckpt)
    vocab = config["vocab_size"]
    text_ids = tok("The answer is \\boxed{42}.")["input_ids"]
    sequences = [text_ids, text_ids[:3] + [len(tok), vocab - 1] + text_ids[3:]]
    lines = "".join(json.dumps({"ids": s}) + "\n" for s in sequences)
    out = subprocess.run([r1, "score", "--model", ckpt], input=lines, capture_output=True,
                         text=True, check=True).stdout.splitlines()
    model = model.float()
    worst = 0.0
    for ids, line in zip(sequences, out):
        ours = torch.tensor(json.loads(line)["logprobs"])
        with torch.no_grad():
            logits = model(torch.tensor([ids])).logits[0, :-1].float()
        theirs = torch.log_softmax(logits, -1).gather(1, torch.tensor(ids[1:])[:, None])[:, 0]
        worst = max(worst, (ours - theirs).abs().max().item())
    print(f"{ckpt}: dtype {model.config.dtype if hasattr(model.config, 'dtype') else want}, "
          f"vocab {vocab} (tokenizer {len(tok)}), max |log-prob difference| {worst:.2e}")
    assert worst < TOLERANCE, f"log-probs differ by {worst} (tolerance {TOLERANCE})"


if __name__ == "__main__":
    main()
