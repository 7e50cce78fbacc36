#!/usr/bin/env python3
"""Reference fixtures for the model tests, made with Hugging Face transformers.

For each family it builds a tiny random model (every parameter random, so
biases and norm weights are exercised), saves it with save_pretrained, runs it
on a fixed left-padded batch and stores the inputs and logits next to it in
expected.safetensors. The C++ tests must reproduce every logit within 1e-4.

  python3 -m venv .venv && .venv/bin/pip install torch transformers safetensors
  .venv/bin/python tools/make_model_fixtures.py            # writes tests/fixtures/models
  .venv/bin/python tools/make_model_fixtures.py --check-r1 build/tools/r1/r1
      # the reverse direction: models made by `r1 init` load in transformers and
      # give the log-probs `r1 score` prints.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import torch
from safetensors.torch import save_file
import transformers
from transformers import AutoModelForCausalLM, LlamaConfig, MistralConfig, Qwen2Config, Qwen3Config

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "models")
VOCAB = 128

COMMON = dict(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
              num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
              rms_norm_eps=1e-6, attn_implementation="eager")

MODELS = {
    # Qwen2: q/k/v bias, GQA with 2 KV heads, untied LM head.
    "qwen2-gqa": (Qwen2Config, dict(COMMON, tie_word_embeddings=False, rope_theta=1e6), {}),
    # The same family stored in bf16 (the loader must upcast).
    "qwen2-bf16": (Qwen2Config, dict(COMMON, tie_word_embeddings=True, rope_theta=1e6),
                   dict(dtype=torch.bfloat16)),
    # Qwen3: per-head q/k RMSNorm, explicit head_dim (16 x 4 heads != hidden 32), tied.
    "qwen3-qknorm": (Qwen3Config, dict(COMMON, head_dim=16, tie_word_embeddings=True,
                                        rope_theta=1e6), {}),
    # Llama 3: llama3 RoPE scaling hitting all three frequency bands, untied,
    # saved in small shards (model.safetensors.index.json).
    "llama3-rope": (LlamaConfig, dict(COMMON, tie_word_embeddings=False, rope_theta=500000.0,
                                       rope_scaling=dict(rope_type="llama3", factor=8.0,
                                                         low_freq_factor=1.0, high_freq_factor=4.0,
                                                         original_max_position_embeddings=64)),
                    dict(max_shard_size="40KB")),
    # YaRN RoPE (Qwen2.5 / Qwen3 long-context configs): factor 4 over an original 64
    # positions, theta 1e4 so the ramp between kept and interpolated frequencies
    # has a partial step; cos/sin scaled by 0.1 ln 4 + 1.
    "qwen2-yarn": (Qwen2Config, dict(COMMON, tie_word_embeddings=True, rope_theta=1e4,
                                     rope_scaling=dict(rope_type="yarn", factor=4.0,
                                                       original_max_position_embeddings=64)),
                   {}),
    # Mistral (7B v0.2 / v0.3 layout): Llama's body under MistralForCausalLM,
    # sliding_window null, rope_theta 1e6, untied.
    "mistral": (MistralConfig, dict(COMMON, tie_word_embeddings=False, rope_theta=1e6,
                                    sliding_window=None), {}),
}


def batch():
    """Three sequences of lengths 9, 6 and 2, left-padded with id 0."""
    g = torch.Generator().manual_seed(1234)
    lengths = [9, 6, 2]
    T = max(lengths)
    ids = torch.zeros(len(lengths), T, dtype=torch.long)
    mask = torch.zeros(len(lengths), T, dtype=torch.long)
    for b, n in enumerate(lengths):
        ids[b, T - n:] = torch.randint(1, VOCAB, (n,), generator=g)
        mask[b, T - n:] = 1
    positions = (mask.cumsum(1) - 1).clamp(min=0)
    return ids, mask, positions


def randomize(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=g)
            if "norm" in name:
                p.copy_(1.0 + 0.1 * noise)
            else:
                p.copy_(0.2 * noise)


def make(name, config_cls, kwargs, save_kwargs):
    torch.manual_seed(0)
    config = config_cls(**kwargs)
    model = AutoModelForCausalLM.from_config(config).float().eval()
    randomize(model, seed=len(name))
    out = os.path.join(OUT, name)
    dtype = save_kwargs.pop("dtype", None)
    if dtype is not None:
        model = model.to(dtype)
    model.save_pretrained(out, **save_kwargs)
    # Reference logits from the saved files, computed in fp32.
    model = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32,
                                                 attn_implementation="eager").eval()
    ids, mask, positions = batch()
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=mask, position_ids=positions).logits
    save_file({"input_ids": ids, "attention_mask": mask, "position_ids": positions,
               "logits": logits.float().contiguous()}, os.path.join(out, "expected.safetensors"))
    print(f"{name}: {sum(p.numel() for p in model.parameters())} params, logits {tuple(logits.shape)}")


def check_r1(r1):
    """Reverse direction: r1 init -> transformers from_pretrained -> same log-probs as r1 score."""
    worst = 0.0
    for family, extra in [("qwen2", []), ("qwen3", ["--head-dim", "16"]),
                          ("llama", ["--untied"]), ("mistral", ["--untied"])]:
        with tempfile.TemporaryDirectory() as d:
            model_dir = os.path.join(d, "m")
            subprocess.run([r1, "init", "--family", family, "--out", model_dir, "--vocab", "300",
                            "--seed", "3"] + extra, check=True, stdout=subprocess.DEVNULL)
            ids = torch.randint(0, 300, (1, 24), generator=torch.Generator().manual_seed(5))
            lines = json.dumps({"ids": ids[0].tolist()}) + "\n"
            res = subprocess.run([r1, "score", "--model", model_dir], input=lines, text=True,
                                 capture_output=True, check=True)
            ours = torch.tensor(json.loads(res.stdout)["logprobs"])
            model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
            with torch.no_grad():
                logp = model(input_ids=ids).logits.log_softmax(-1)[0, :-1]
            theirs = logp.gather(1, ids[0, 1:, None])[:, 0]
            diff = (ours - theirs).abs().max().item()
            worst = max(worst, diff)
            print(f"r1 init --family {family}: transformers loads it, max |logprob diff| = {diff:.2e}")
    print(f"transformers {transformers.__version__}, torch {torch.__version__}: worst {worst:.2e}")
    return worst < 1e-4


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--check-r1", metavar="R1_BINARY")
    ap.add_argument("--only", nargs="+", choices=sorted(MODELS), help="write only these fixtures")
    args = ap.parse_args()
    if args.check_r1:
        sys.exit(0 if check_r1(args.check_r1) else 1)
    for name, (cls, kw, save_kw) in MODELS.items():
        if not args.only or name in args.only:
            make(name, cls, kw, dict(save_kw))
