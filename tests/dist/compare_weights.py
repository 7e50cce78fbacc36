#!/usr/bin/env python3
"""Largest absolute difference between the float32 tensors of two
model.safetensors files (same names and shapes required); exits 1 above TOL.
Tensors whose names contain `self_attn.k_proj.bias` are held to NOISE_TOL
instead: softmax ignores a shift shared by every key, so their true gradient
is zero and what they get is rounding noise, which Adam divides by its own
size into steps of about lr, in whatever direction the summation order gives.
Usage: compare_weights.py A.safetensors B.safetensors TOL [NOISE_TOL]"""
import array
import json
import struct
import sys

NOISE = "self_attn.k_proj.bias"


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            sys.exit(f"{path}: tensor {name} is {info['dtype']}, expected F32")
        begin, end = info["data_offsets"]
        out[name] = (info["shape"], array.array("f", body[begin:end]))
    return out


a, b, tol = load(sys.argv[1]), load(sys.argv[2]), float(sys.argv[3])
noise_tol = float(sys.argv[4]) if len(sys.argv) > 4 else tol
if sorted(a) != sorted(b):
    sys.exit("the files hold different tensor names")
worst, where, noise = 0.0, "", 0.0
for name in a:
    if a[name][0] != b[name][0]:
        sys.exit(f"{name}: shape {a[name][0]} vs {b[name][0]}")
    d = max((abs(x - y) for x, y in zip(a[name][1], b[name][1])), default=0.0)
    if NOISE in name:
        noise = max(noise, d)
    elif d > worst:
        worst, where = d, name
print(f"max |difference| {worst:.3g} (in {where or '-'}), tolerance {tol:g}; "
      f"{NOISE} (zero true gradient) {noise:.3g}, tolerance {noise_tol:g}")
sys.exit(0 if worst <= tol and noise <= noise_tol else 1)
