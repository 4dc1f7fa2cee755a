#!/usr/bin/python3
"""The Inverting Gradients loop in PyTorch (double backward), the reference for bench/inverting.sh.
Same loop as OnnxAudit's GradientInversion.RunInverting: one victim sample (seeded uniform pixels, label 1), cosine
distance over all trainable parameter gradients + 0.01 * TV (mean |diff|), torch.autograd.grad(create_graph=True),
Adam(lr 0.1) on the sign of the gradient, MultiStepLR at 3/8, 5/8, 7/8, clamp to [0,1]; float32.
usage: /usr/bin/python3 bench/torch_inverting.py <lenet5.onnx | resnet18_w16_32.onnx> ITERATIONS THREADS
prints "torch <model> <ms per iteration>" (after 3 warm-up iterations)."""
import os, sys, time
import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn.functional as F

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
import make_gradients as mg  # noqa: E402
import make_second_order as so  # noqa: E402

path, iters, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
name = os.path.splitext(os.path.basename(path))[0]
proto = onnx.load(path)
inits = {t.name: numpy_helper.to_array(t) for t in proto.graph.initializer}
if name.startswith("resnet18"):
    model = so.ResNet18(16).eval()
    state = {k: torch.tensor(inits[k]) for k in model.state_dict() if k in inits}
    model.load_state_dict(state, strict=False)
    params = [p for _, p in model.named_parameters()]
    fn = model
    shape = (1, 3, 32, 32)
else:
    m, p, c, _ = mg.load(name)
    p = {k: v.detach().float().requires_grad_(True) for k, v in p.items()}
    params = list(p.values())
    fn = lambda x: mg.run_graph(m, x, p, c)
    shape = (1, 1, 28, 28)
gen = torch.Generator().manual_seed(1)
x0 = torch.rand(shape, generator=gen)
y = torch.tensor([1])
target = [t.detach() for t in torch.autograd.grad(F.cross_entropy(fn(x0), y), params)]
tn = sum((t * t).sum() for t in target).sqrt()


def run(n):
    x = torch.rand(shape, generator=gen).requires_grad_(True)
    opt = torch.optim.Adam([x], lr=0.1)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[n * 3 // 8, n * 5 // 8, n * 7 // 8], gamma=0.1)
    for _ in range(n):
        opt.zero_grad()
        g = torch.autograd.grad(F.cross_entropy(fn(x), y), params, create_graph=True)
        dot = sum((a * b).sum() for a, b in zip(g, target))
        gn = sum((a * a).sum() for a in g).sqrt()
        tv = (x[:, :, 1:, :] - x[:, :, :-1, :]).abs().mean() + (x[:, :, :, 1:] - x[:, :, :, :-1]).abs().mean()
        loss = 1 - dot / (gn * tn) + 0.01 * tv
        gx, = torch.autograd.grad(loss, x)
        x.grad = gx.sign()
        opt.step()
        sched.step()
        with torch.no_grad():
            x.clamp_(0, 1)


run(3)
t0 = time.perf_counter()
run(iters)
print(f"torch {name} {(time.perf_counter() - t0) * 1000 / iters:.2f}")
