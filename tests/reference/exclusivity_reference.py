#!/usr/bin/python3
"""Independent PyTorch reference of the neuron-exclusivity statistic (Pan et al., USENIX Security 2022, §4, §7.4).

Loads the ONNX weights with onnx.numpy_helper, recomputes the head activations in torch (Flatten / Gemm / MatMul /
Add / Relu chains), samples its own batches with torch.randperm and counts ExANs with dense boolean tensors
(no bit packing), then writes tests/reference/exclusivity_reference.json.

Usage:
  python3 tests/reference/exclusivity_reference.py            # regenerate the fixture
  python3 tests/reference/exclusivity_reference.py --bench fcn-512   # time the statistic end-to-end (bench/exclusivity.sh)
"""
import argparse
import gzip
import hashlib
import json
import math
import os
import sys
import time

import numpy as np
import onnx
import torch
from onnx import numpy_helper

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
IMAGES = "samples/fashion-mnist-test-2000-images-idx3-ubyte.gz"
MODELS = ["fcn-512-init", "fcn-512", "fcn-deep"]
BATCH = 8
BATCHES = 1000
SEED = 1234
EXPLICIT_BATCHES = 20


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_images():
    x = read_idx(os.path.join(ROOT, IMAGES)).astype(np.float32) / 255.0
    return torch.from_numpy(x.reshape(-1, 1, 28, 28).copy())


def head_activations(model_path, x):
    """Returns the list of ReLU outputs (n × width) in graph order, computed by torch from the ONNX weights."""
    m = onnx.load(model_path)
    inits = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in m.graph.initializer}
    env = {m.graph.input[0].name: x}
    relus = []
    for node in m.graph.node:
        ins = [env[i] if i in env else inits.get(i) for i in node.input]
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == "Flatten":
            out = ins[0].reshape(ins[0].shape[0], -1)
        elif node.op_type == "Gemm":
            a, b = ins[0], ins[1]
            if attrs.get("transA", 0): a = a.t()
            if attrs.get("transB", 0): b = b.t()
            out = attrs.get("alpha", 1.0) * (a @ b)
            if len(ins) > 2 and ins[2] is not None: out = out + attrs.get("beta", 1.0) * ins[2]
        elif node.op_type == "MatMul":
            out = ins[0] @ ins[1]
        elif node.op_type == "Add":
            out = ins[0] + ins[1]
        elif node.op_type == "Relu":
            out = torch.relu(ins[0])
            relus.append(out)
        elif node.op_type in ("Identity", "Dropout"):
            out = ins[0]
        else:
            raise SystemExit(f"{model_path}: op {node.op_type} not supported by the reference (FCN only)")
        env[node.output[0]] = out
    return relus


def wilson(k, n, z=1.959963984540054):
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, c - h), min(1.0, c + h)


def batch_counts(acts, idx):
    """N_i^m for every layer: Definition 1 with dense tensors (column sums over the batch)."""
    counts = []
    for a in acts:
        sub = a[idx]                     # M × d boolean
        exclusive = sub.sum(0) == 1      # neurons activated by exactly one sample
        counts.append((sub & exclusive).sum(1))
    return counts


def classify(counts, m, d1):
    h = len(counts)
    insecure = bool((counts[-1] >= 2).all()) and all(bool((c >= 1).all()) for c in counts[:-1])
    if insecure:
        return "insecure"
    if m > d1 and bool((counts[0] == 0).all()):
        return "secure"
    return "undetermined"


def statistic(acts, n, m, batches, gen):
    tally = {"insecure": 0, "secure": 0, "undetermined": 0}
    d1 = acts[0].shape[1]
    for _ in range(batches):
        idx = torch.randperm(n, generator=gen)[:m]
        tally[classify(batch_counts(acts, idx), m, d1)] += 1
    return tally


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", help="time the statistic for one model (forward pass included) and print seconds")
    ap.add_argument("--batches", type=int, default=BATCHES)
    ap.add_argument("--root", help="repository root holding models/ and samples/ (default: this checkout)")
    args = ap.parse_args()
    global ROOT
    if args.root:
        ROOT = os.path.abspath(args.root)
    torch.set_num_threads(max(1, os.cpu_count() or 1))

    if args.bench:
        t0 = time.perf_counter()
        x = load_images()
        with torch.no_grad():
            acts = [a > 0 for a in head_activations(os.path.join(ROOT, "models", args.bench + ".onnx"), x)]
        tally = statistic(acts, x.shape[0], BATCH, args.batches, torch.Generator().manual_seed(SEED))
        dt = time.perf_counter() - t0
        print(json.dumps({"model": args.bench, "seconds": dt, "insecure": tally["insecure"], "batches": args.batches}))
        return

    x = load_images()
    n = x.shape[0]
    with open(os.path.join(ROOT, IMAGES), "rb") as f:
        data_sha = hashlib.sha256(f.read()).hexdigest()
    out = {"data_sha256": data_sha, "generator": "tests/reference/exclusivity_reference.py", "torch": torch.__version__, "batch_size": BATCH,
           "batches": args.batches, "seed": SEED, "samples": n, "models": {}}
    for name in MODELS:
        path = os.path.join(ROOT, "models", name + ".onnx")
        if not os.path.exists(path):
            print(f"skip {name}: {path} missing", file=sys.stderr)
            continue
        with torch.no_grad():
            acts = [a > 0 for a in head_activations(path, x)]
        gen = torch.Generator().manual_seed(SEED)
        tally = statistic(acts, n, BATCH, args.batches, gen)
        k = tally["insecure"]
        lo, hi = wilson(k, args.batches)
        explicit = []
        for _ in range(EXPLICIT_BATCHES):
            idx = torch.randperm(n, generator=gen)[:BATCH]
            counts = batch_counts(acts, idx)
            explicit.append({"indices": idx.tolist(), "counts": [c.tolist() for c in counts],
                             "state": classify(counts, BATCH, acts[0].shape[1])})
        with open(path, "rb") as f:
            sha = hashlib.sha256(f.read()).hexdigest()
        out["models"][name] = {
            "sha256": sha,
            "widths": [a.shape[1] for a in acts],
            "insecure": k, "secure": tally["secure"], "undetermined": tally["undetermined"],
            "insecure_proportion": k / args.batches, "insecure_low": lo, "insecure_high": hi,
            "active_counts_first_32": [[int(v) for v in a[:32].sum(1)] for a in acts],
            "explicit_batches": explicit,
        }
        print(f"{name}: insecure {k}/{args.batches} = {k / args.batches:.3f} [{lo:.3f}, {hi:.3f}]", file=sys.stderr)
    with open(os.path.join(os.path.dirname(__file__), "exclusivity_reference.json"), "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
