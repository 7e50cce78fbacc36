#!/usr/bin/env python3
"""Writes tests/fixtures/rl/trl_loss.json: TRL's own GRPO loss on fixed inputs, for
tests/rl/test_trl_parity.cpp (issue 22).

What is called: `trl.GRPOTrainer._compute_loss(stub, None, inputs)` of the installed TRL,
unbound, with `stub` a plain object that holds the attributes the method reads (loss_type,
epsilon_low / epsilon_high, beta, importance_sampling_level, top_entropy_quantile,
entropy_coef, args.delta, args.sapo_temperature_*, ...), a one-process accelerator whose
gather / reduce / pad return their input, and TRL's own `get_high_entropy_mask` bound to it.
The stub's `_get_per_token_logps_and_entropies` returns fixed leaf tensors in place of a
model's forward, so the gradient TRL's loss sends to the log-probs and the entropies is
read off those leaves. Everything after the forward (ratios, clipping, CISPO, SAPO, delta,
KL, entropy mask and bonus, aggregation) is TRL's code. One process, one accumulation step,
training mode.

    python3 -m venv .venv && .venv/bin/pip install trl==1.16.0
    .venv/bin/python tools/make_trl_loss_fixture.py
"""

import json
import math
import os
import types
from collections import defaultdict

import torch
import trl
from trl import GRPOTrainer

B, T = 3, 5
OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "rl", "trl_loss.json")


class OneProcess:
    """accelerate's Accelerator for a single process: collectives are the identity."""

    num_processes = 1
    sync_gradients = True

    def gather(self, x):
        return x

    def gather_for_metrics(self, x):
        return x

    def reduce(self, x, reduction="sum"):
        return x

    def pad_across_processes(self, x, dim=0, pad_index=0):
        return x


def fixed_inputs():
    g = torch.Generator().manual_seed(22)
    old = -0.5 - 2.0 * torch.rand(B, T, generator=g, dtype=torch.float64)
    # log-ratios up to +-0.9: some tokens clip at 0.8 / 1.2, some pass delta = 1.5, cispo's 1.3
    logps = old + 1.8 * (torch.rand(B, T, generator=g, dtype=torch.float64) - 0.5)
    ref = old + 0.6 * (torch.rand(B, T, generator=g, dtype=torch.float64) - 0.5)
    # distinct entropies, so a quantile never lands on a tie, and exact in fp32: TRL takes
    # the quantile of .float() entropies, so with rho = 0 an fp64 maximum that rounds up
    # in fp32 would fail its own ">= threshold" and no token would be kept
    entropies = (0.05 + 2.0 * torch.rand(B, T, generator=g, dtype=torch.float64)).float().double()
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0]], dtype=torch.float64)
    # padding holds finite garbage: TRL multiplies it by the mask, r1 replaces it
    logps = torch.where(mask.bool(), logps, torch.full_like(logps, -3.0))
    advantages = torch.tensor([0.8, -1.1, 0.3], dtype=torch.float64)
    return dict(logps=logps, old=old, ref=ref, entropies=entropies, mask=mask, advantages=advantages)


CASES = [
    dict(name="grpo", loss_type="grpo"),
    dict(name="bnpo", loss_type="bnpo"),
    dict(name="dr_grpo", loss_type="dr_grpo", max_completion_length=8),
    dict(name="dapo", loss_type="dapo"),
    dict(name="dapo_clip_higher", loss_type="dapo", epsilon_high=0.28),
    dict(name="grpo_sequence", loss_type="grpo", importance_sampling_level="sequence"),
    dict(name="grpo_beta", loss_type="grpo", beta=0.04),
    dict(name="cispo", loss_type="cispo", epsilon_high=1.3),
    dict(name="cispo_5", loss_type="cispo", epsilon_high=5.0, beta=0.04),
    dict(name="sapo", loss_type="sapo"),
    dict(name="sapo_temperatures", loss_type="sapo", sapo_temperature_pos=0.5,
         sapo_temperature_neg=2.0),
    dict(name="grpo_delta", loss_type="grpo", delta=1.5),
    dict(name="dapo_delta", loss_type="dapo", delta=1.3, epsilon_high=0.28),
    dict(name="dapo_top_entropy", loss_type="dapo", top_entropy_quantile=0.4),
    dict(name="grpo_top_entropy_0", loss_type="grpo", top_entropy_quantile=0.0),
    dict(name="grpo_entropy_coef", loss_type="grpo", entropy_coef=0.01),
    dict(name="dapo_entropy_top", loss_type="dapo", entropy_coef=0.05, top_entropy_quantile=0.5,
         beta=0.04),
    dict(name="cispo_entropy", loss_type="cispo", epsilon_high=1.3, entropy_coef=0.02),
]

DEFAULTS = dict(epsilon=0.2, epsilon_high=None, delta=None, beta=0.0, importance_sampling_level="token",
                max_completion_length=16, top_entropy_quantile=1.0, entropy_coef=0.0,
                sapo_temperature_pos=1.0, sapo_temperature_neg=1.05)


def trl_loss(case, x):
    c = {**DEFAULTS, **case}
    eps_high = c["epsilon"] if c["epsilon_high"] is None else c["epsilon_high"]
    logps = x["logps"].clone().requires_grad_(True)
    entropies = x["entropies"].clone().requires_grad_(True)
    stub = types.SimpleNamespace(
        loss_type=c["loss_type"], epsilon_low=c["epsilon"], epsilon_high=eps_high, beta=c["beta"],
        importance_sampling_level=c["importance_sampling_level"],
        max_completion_length=c["max_completion_length"], top_entropy_quantile=c["top_entropy_quantile"],
        entropy_coef=c["entropy_coef"], _entropy_bonus_enabled=c["entropy_coef"] != 0.0,
        use_adaptive_entropy=False, off_policy_mask_threshold=None, use_vllm=False,
        vllm_importance_sampling_correction=False, aux_loss_enabled=False,
        current_gradient_accumulation_steps=1, model=types.SimpleNamespace(training=True),
        accelerator=OneProcess(), _metrics=defaultdict(lambda: defaultdict(list)),
        args=types.SimpleNamespace(delta=c["delta"], sapo_temperature_pos=c["sapo_temperature_pos"],
                                   sapo_temperature_neg=c["sapo_temperature_neg"],
                                   use_bias_correction_kl=False, steps_per_generation=1))
    stub.get_high_entropy_mask = types.MethodType(GRPOTrainer.get_high_entropy_mask, stub)
    stub._get_per_token_logps_and_entropies = lambda *a, **k: (logps, entropies, None)
    inputs = dict(
        prompt_ids=torch.zeros(B, 2, dtype=torch.long), prompt_mask=torch.ones(B, 2, dtype=torch.long),
        completion_ids=torch.zeros(B, T, dtype=torch.long), completion_mask=x["mask"],
        advantages=x["advantages"], old_per_token_logps=x["old"], ref_per_token_logps=x["ref"],
        num_items_in_batch=x["mask"].sum())
    loss = GRPOTrainer._compute_loss(stub, None, inputs)
    loss.backward()
    grad_h = entropies.grad if entropies.grad is not None else torch.zeros_like(entropies)
    out = dict(name=case["name"], config={k: v for k, v in c.items() if v is not None},
               loss=loss.item(), grad_logprobs=logps.grad.tolist(), grad_entropy=grad_h.tolist())
    out["config"]["epsilon_high"] = eps_high
    return out


def main():
    x = fixed_inputs()
    fixture = dict(
        source=f"trl {trl.__version__} (torch {torch.__version__}): GRPOTrainer._compute_loss, "
        "called unbound on a stub trainer by tools/make_trl_loss_fixture.py",
        inputs={k: v.tolist() for k, v in x.items()},
        cases=[trl_loss(case, x) for case in CASES])
    for case in fixture["cases"]:
        assert math.isfinite(case["loss"]), case["name"]
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print(f"wrote {len(fixture['cases'])} cases to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
