#!/usr/bin/env python3
"""Writes tests/fixtures/rl/trl_tis.json: TRL's own vLLM importance-sampling weights on fixed
inputs, for tests/rl/test_rollout_correction.cpp (issue 19).

What runs: the block of `GRPOTrainer._generate_and_score_completions` that TRL 1.16 guards with
`if self.use_vllm and self.vllm_importance_sampling_correction:` (the token / sequence ratio
exp(old - sampling) and its truncation or masking), cut out of TRL's source by its syntax tree
and executed as it stands on fixed tensors, with `self` a plain object holding
vllm_importance_sampling_mode / _clip_max / _clip_min. Nothing is transcribed: the statements
are TRL's. Only torch is needed, so TRL is read from its wheel rather than installed:

    pip download trl==1.16.0 --no-deps -d /tmp/trl
    python3 tools/make_trl_tis_fixture.py /tmp/trl/trl-1.16.0-py3-none-any.whl
"""

import ast
import json
import math
import os
import sys
import types
import zipfile

import torch

B, T = 3, 5
OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "rl", "trl_tis.json")
SOURCE = "trl/trainer/grpo_trainer.py"


def importance_sampling_block(wheel):
    """The body of TRL's `if self.use_vllm and self.vllm_importance_sampling_correction:` that
    computes the ratio (the one assigning per_token_logps_diff), compiled."""
    with zipfile.ZipFile(wheel) as z:
        source = z.read(SOURCE).decode()
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "_generate_and_score_completions":
            for inner in ast.walk(node):
                if isinstance(inner, ast.If) and any(
                    isinstance(s, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == "per_token_logps_diff" for t in s.targets)
                    for s in inner.body
                ):
                    module = ast.Module(body=inner.body, type_ignores=[])
                    return compile(module, f"{wheel}:{SOURCE}", "exec"), ast.get_source_segment(
                        source, inner
                    )
    sys.exit(f"{wheel}: no importance-sampling block in _generate_and_score_completions")


def fixed_inputs():
    g = torch.Generator().manual_seed(19)
    lengths = [5, 3, 1]
    mask = torch.zeros(B, T)
    for i, n in enumerate(lengths):
        mask[i, :n] = 1
    sampling = -0.3 - 2.0 * torch.rand(B, T, generator=g)
    # token log-ratios in [-0.7, 0.7]: some tokens beyond a cap of 1.3 or below 0.75; the
    # first sequence's product beyond 2.0
    old = sampling + 1.4 * (torch.rand(B, T, generator=g) - 0.5)
    old[0, :] = sampling[0, :] + torch.tensor([0.5, 0.4, 0.3, -0.1, 0.2])
    # padding: TRL pads the sampling log-probs with 0; the trainer's old log-probs hold
    # whatever its forward gave there (finite)
    sampling = sampling * mask
    return old, sampling, mask


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    code, text = importance_sampling_block(sys.argv[1])
    old, sampling, mask = fixed_inputs()
    cases = []
    for mode in ["token_truncate", "token_mask", "sequence_truncate", "sequence_mask"]:
        for clip_max, clip_min in [(2.0, None), (1.3, 0.75)]:
            stub = types.SimpleNamespace(
                use_vllm=True,
                vllm_importance_sampling_correction=True,
                vllm_importance_sampling_mode=mode,
                vllm_importance_sampling_clip_max=clip_max,
                vllm_importance_sampling_clip_min=clip_min,
                tools=None,
            )
            scope = {
                "self": stub,
                "torch": torch,
                "math": math,
                "completion_mask": mask,
                "tool_mask": None,
                "loss_mask": mask,
                "old_per_token_logps": old,
                "sampling_per_token_logps": sampling,
            }
            exec(code, scope)
            ratio = scope["vllm_importance_sampling_ratio"]
            cases.append(
                {
                    "mode": mode,
                    "cap": clip_max,
                    "min": 0.0 if clip_min is None else clip_min,
                    "weights": ratio.tolist(),
                }
            )
    fixture = {
        "source": f"{os.path.basename(sys.argv[1])}:{SOURCE} _generate_and_score_completions",
        "old_logprobs": old.tolist(),
        "sampling_logprobs": sampling.tolist(),
        "mask": mask.tolist(),
        "cases": cases,
    }
    with open(OUT, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print(text)
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
