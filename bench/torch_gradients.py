#!/usr/bin/python3
"""PyTorch autograd reference timing for bench/gradients.sh: same ONNX weights (float32), same data, same loss.
usage: torch_gradients.py <model.onnx> <images.gz> <labels.gz> <batch> <reps> <threads>"""
import os, sys, time
import numpy as np
import torch
import torch.nn.functional as F
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "reference"))
import make_gradients as mg

path, imgs, labs, batch, reps, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
torch.set_num_threads(threads)

import onnx
from onnx import numpy_helper
model = onnx.load(path)
params = {t.name: torch.tensor(numpy_helper.to_array(t), requires_grad=True) for t in model.graph.initializer if numpy_helper.to_array(t).dtype == np.float32}
consts = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer if t.name not in params}
x = torch.tensor(mg.load_idx(imgs)[:batch].astype(np.float32) / 255.0).unsqueeze(1)
y = torch.tensor(mg.load_idx(labs)[:batch].astype(np.int64))
plist = list(params.values())

def step():
    loss = F.cross_entropy(mg.run_graph(model, x, params, consts), y)
    return torch.autograd.grad(loss, plist)

for _ in range(max(10, reps // 10)):
    step()
times, cpu = [], []
for _ in range(reps):
    t0, c0 = time.perf_counter(), time.thread_time()
    step()
    times.append((time.perf_counter() - t0) * 1000)
    cpu.append((time.thread_time() - c0) * 1000)
# columns: wall median (ms), then thread-CPU median (ms; bench/debian.sh) and wall p10 (ms)
print(f"torch {os.path.splitext(os.path.basename(path))[0]} {batch} {sorted(times)[reps // 2]:.4f} {sorted(cpu)[reps // 2]:.4f} {sorted(times)[reps // 10]:.4f}")
