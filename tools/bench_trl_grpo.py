#!/usr/bin/env python3
"""GRPO step time: r1cpp `r1 train` against Hugging Face TRL's GRPOTrainer on
the same model files, dataset, group size, lengths and loss, one after the
other in the same run, on CPU.

  .venv/bin/pip install trl
  .venv/bin/python tools/bench_trl_grpo.py --r1 build/tools/r1/r1 [--steps 5] [--hidden 64]
      [--r1-baseline OLD_BUILD/tools/r1/r1] [--repeat N] [--precision fp32|bf16[,...]]

Each trainer's step is split into rollout (generation), the rest of the
scoring phase (rewards, and log-prob passes where run) and the update pass.
--r1-baseline also runs an older r1 binary in the same run (before/after).

The model is a tiny Qwen2 made by `r1 init` with the tiny test tokenizer; the
task is 2-digit addition ({"prompt": "a+b=", "answer": "c"}) with an
exact-answer reward; G = 8, 8 questions per step, 64 new tokens, mu = 1, beta = 0.

--precision runs each listed precision in every round (fp32,bf16: both, same
run). bf16 is each trainer's own bf16 mode: r1 with model.precision = "bf16"
(bf16 working weights, fp32 master weights and optimizer state); TRL as its
users run it, the model loaded with dtype=torch.bfloat16 and GRPOConfig(bf16=True)
(bf16 weights, gradients and AdamW state; autocast where the Trainer applies it).
"""
import argparse
import json
import os
import random
import re
import subprocess
import tempfile
import time

TOKENIZER = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "tokenizer", "tiny")


def make_data(path, n=512):
    rng = random.Random(0)
    with open(path, "w") as f:
        for _ in range(n):
            a, b = rng.randint(10, 99), rng.randint(10, 99)
            f.write(json.dumps({"prompt": f"{a}+{b}=", "answer": str(a + b)}) + "\n")


def run_r1(r1, d, args, precision):
    cfg = f"""
[model]
path = "{d}/model"
precision = "{precision}"
[data]
path = "{d}/train.jsonl"
template = "raw"
shuffle = false
[rollout]
group_size = {args.group}
questions_per_step = {args.questions}
max_new_tokens = {args.new_tokens}
max_batch = 64
[rl]
loss_type = "grpo"
beta = 0.0
[optim]
lr = 1e-5
micro_batch_size = 64
[train]
steps = {args.steps}
output_dir = "{d}/r1-run"
[[rewards]]
name = "arithmetic"
"""
    open(f"{d}/run.toml", "w").write(cfg)
    subprocess.run([r1, "train", f"{d}/run.toml"], check=True, stderr=subprocess.DEVNULL)
    steps = [json.loads(l) for l in open(f"{d}/r1-run/metrics.jsonl")][1:]  # first step warms up
    mean = lambda key: sum(s["time"][key] for s in steps) / len(steps)
    return {"total": mean("total"), "rollout": mean("rollout"),
            "score": mean("reward") + mean("logprobs"), "update": mean("update")}


def run_trl(d, args, precision):
    # r1 runs its OpenMP threads passive (util/system.h); torch's default spin-waiting
    # made transformers generate ~38x slower on this shared 2-core machine under load
    # (measured 17.3 s vs 0.46 s for 16 tokens x 64 sequences), so TRL gets the same.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch
    from datasets import load_dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    torch.set_num_threads(2)
    tok = AutoTokenizer.from_pretrained(f"{d}/model")
    bf16 = precision == "bf16"
    model = AutoModelForCausalLM.from_pretrained(f"{d}/model",
                                                 dtype=torch.bfloat16 if bf16 else torch.float32)

    def exact(completions, answer, **_):
        out = []
        for c, a in zip(completions, answer):
            m = re.findall(r"-?\d+", c)
            out.append(1.0 if m and m[-1] == a else 0.0)
        return out

    step_times, gen_times, prep_times = [], [], []

    from transformers import TrainerCallback

    class Timer(TrainerCallback):
        def on_step_begin(self, *_, **__):
            self.t = time.perf_counter()

        def on_step_end(self, *_, **__):
            step_times.append(time.perf_counter() - self.t)

    config = GRPOConfig(output_dir=f"{d}/trl-run", per_device_train_batch_size=args.group * args.questions,
                        num_generations=args.group, max_completion_length=args.new_tokens,
                        learning_rate=1e-5, beta=0.0, loss_type="grpo", max_steps=args.steps,
                        temperature=1.0, logging_steps=1, report_to="none", use_cpu=True,
                        save_strategy="no", bf16=bf16, seed=0)
    trainer = GRPOTrainer(model=model, reward_funcs=exact, args=config,
                          train_dataset=load_dataset("json", data_files=f"{d}/train.jsonl")["train"],
                          processing_class=tok, callbacks=[Timer()])
    def timed(fn, sink):
        def wrapper(*a, **k):
            t = time.perf_counter()
            out = fn(*a, **k)
            sink.append(time.perf_counter() - t)
            return out
        return wrapper

    trainer._generate = timed(trainer._generate, gen_times)
    trainer._generate_and_score_completions = timed(trainer._generate_and_score_completions, prep_times)
    trainer.train()
    mean = lambda xs: sum(xs[1:]) / len(xs[1:])
    return {"total": mean(step_times), "rollout": mean(gen_times),
            "score": mean(prep_times) - mean(gen_times),
            "update": mean(step_times) - mean(prep_times)}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--r1", required=True)
    ap.add_argument("--r1-baseline")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--group", type=int, default=8)
    ap.add_argument("--questions", type=int, default=8)
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1,
                    help="rounds of r1 [, baseline], TRL one after the other; on a shared machine "
                         "the per-round ratios and their median are what to report")
    ap.add_argument("--precision", default="fp32",
                    help="comma-separated list of fp32, bf16: each runs in every round")
    args = ap.parse_args()
    precisions = args.precision.split(",")
    for p in precisions:
        if p not in ("fp32", "bf16"):
            ap.error(f"--precision: unknown precision '{p}' (fp32, bf16)")
    rounds = []
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([args.r1, "init", "--family", "qwen2", "--tokenizer", TOKENIZER, "--out",
                        f"{d}/model", "--hidden", str(args.hidden), "--layers", str(args.layers)],
                       check=True, stdout=subprocess.DEVNULL)
        make_data(f"{d}/train.jsonl")
        for _ in range(args.repeat):
            for p in precisions:
                subprocess.run(["rm", "-rf", f"{d}/r1-run", f"{d}/trl-run"], check=True)
                rows = [("r1cpp", run_r1(args.r1, d, args, p))]
                if args.r1_baseline:
                    subprocess.run(["rm", "-rf", f"{d}/r1-run"], check=True)
                    rows.append(("r1cpp baseline", run_r1(args.r1_baseline, d, args, p)))
                rows.append(("TRL GRPOTrainer", run_trl(d, args, p)))
                rounds.append((p, rows))
    import trl
    print(f"TRL {trl.__version__}; G={args.group}, {args.questions} questions/step, "
          f"{args.new_tokens} new tokens, hidden {args.hidden} x {args.layers} layers")
    print("| round | precision | trainer | s/step | rollout | rewards + logprobs | update | "
          "TRL time / this |")
    print("|---|---|---|---|---|---|---|---|")
    for i, (p, rows) in enumerate(rounds):
        trl_total = rows[-1][1]["total"]
        for name, t in rows:
            print(f"| {i // len(precisions) + 1} | {p} | {name} | {t['total']:.3f} | "
                  f"{t['rollout']:.3f} | {t['score']:.3f} | {t['update']:.3f} | "
                  f"{trl_total / t['total']:.2f}x |")
    for p in precisions:
        ratios = sorted(rows[-1][1]["total"] / rows[0][1]["total"] for q, rows in rounds if q == p)
        print(f"{p}: TRL time / r1cpp per round: {', '.join(f'{r:.2f}x' for r in ratios)}; "
              f"median {ratios[len(ratios) // 2]:.2f}x")
    if len(precisions) > 1:
        for name, k in (("r1cpp", 0), ("TRL", -1)):
            per = {p: [rows[k][1]["total"] for q, rows in rounds if q == p] for p in precisions}
            speedups = ([a / b for a, b in zip(per["fp32"], per["bf16"])]
                        if "fp32" in per and "bf16" in per else [])
            if speedups:
                print(f"{name}: fp32 time / bf16 time per round: "
                      f"{', '.join(f'{r:.2f}x' for r in speedups)}")
