#!/usr/bin/python3
"""PyTorch reference of OnnxAudit's white-box rMLE loop (He et al.) for bench/split.sh.

Rebuilds the prefix f1 (graph input -> split tensor) of an ONNX model in torch from its weights (python3-onnx
numpy_helper), then runs the same loop as WhiteBoxAttack: x starts at 0.5, loss = mean((f1(x) - f1(x0))^2) over the
batch + lam * TV(x) with TV normalised per element and per image (sum of squared vertical differences / (C(H-1)W) +
horizontal / (CH(W-1)), averaged over the batch), torch.optim.Adam(amsgrad=True, eps=1e-3), clamp to [0,1].
Gradients are those of per-image losses (the batch loss times B), as in ours.
usage: split_reference.py <model.onnx> <images-idx3.gz> <split tensor or layer label> <batch> <iterations> <threads>
       [lr lam]   (defaults: the depth-class values passed by bench/split.sh)
prints: torch <model> <tensor> <batch> <iterations/s> <mean PSNR> <thread-CPU ms per iteration>"""
import gzip, os, sys, time
import numpy as np
import torch
import torch.nn.functional as F
import onnx
from onnx import numpy_helper


def load_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    nd = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * k: 8 + 4 * k], "big") for k in range(nd)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def prefix_fn(model, tensor):
    """A function x -> value of `tensor`, evaluating only the nodes up to the one that produces it."""
    weights = {t.name: torch.tensor(numpy_helper.to_array(t).copy()) for t in model.graph.initializer}
    nodes = []
    for n in model.graph.node:
        nodes.append(n)
        if tensor in n.output:
            break
    else:
        raise SystemExit(f"split_reference.py: no node produces {tensor}")
    inp = model.graph.input[0].name

    def attr(n, name, default):
        for a in n.attribute:
            if a.name == name:
                return list(a.ints) if a.ints else a.i
        return default

    def f(x):
        env = {inp: x}
        env.update(weights)
        for n in nodes:
            a = [env[i] for i in n.input]
            if n.op_type == "Conv":
                p = attr(n, "pads", [0, 0, 0, 0])
                y = F.conv2d(a[0], a[1], a[2] if len(a) > 2 else None, stride=attr(n, "strides", [1, 1]), padding=(p[0], p[1]))
            elif n.op_type == "Relu":
                y = F.relu(a[0])
            elif n.op_type == "MaxPool":
                k = attr(n, "kernel_shape", None)
                y = F.max_pool2d(a[0], k, stride=attr(n, "strides", k))
            elif n.op_type == "Flatten":
                y = a[0].flatten(1)
            elif n.op_type == "Gemm":
                y = F.linear(a[0], a[1] if attr(n, "transB", 0) else a[1].t(), a[2])
            else:
                raise SystemExit(f"split_reference.py: op {n.op_type} not handled")
            env[n.output[0]] = y
        return env[tensor]
    return f


def main():
    path, images, at, batch, iters, threads = sys.argv[1:7]
    batch, iters, threads = int(batch), int(iters), int(threads)
    lr, lam = (float(sys.argv[7]), float(sys.argv[8])) if len(sys.argv) > 8 else (1e-2, 0.0)
    torch.set_num_threads(threads)
    model = onnx.load(path)
    tensor = at if any(at in n.output for n in model.graph.node) else f"/{at}/" + \
        {"Conv": "Conv", "Relu": "Relu", "MaxPool": "MaxPool", "Gemm": "Gemm", "Flatten": "Flatten"}[
            next(n.op_type for n in model.graph.node if n.name.startswith(f"/{at}/"))] + "_output_0"
    f1 = prefix_fn(model, tensor)
    x0 = torch.tensor(load_idx(images)[:batch].astype(np.float32) / 255.0).unsqueeze(1)
    with torch.no_grad():
        target = f1(x0)
    _, c, h, w = x0.shape

    def run(steps):
        x = torch.full_like(x0, 0.5, requires_grad=True)
        opt = torch.optim.Adam([x], lr=lr, eps=1e-3, amsgrad=True)
        for _ in range(steps):
            opt.zero_grad()
            feat = ((f1(x) - target) ** 2).mean()
            tv = (((x[:, :, 1:, :] - x[:, :, :-1, :]) ** 2).sum() / (c * (h - 1) * w)
                  + ((x[:, :, :, 1:] - x[:, :, :, :-1]) ** 2).sum() / (c * h * (w - 1))) / batch
            loss = (feat + lam * tv) * batch  # per-image gradients, as ours
            loss.backward()
            opt.step()
            with torch.no_grad():
                x.clamp_(0, 1)
        return x.detach()

    run(20)
    t0, c0 = time.perf_counter(), time.thread_time()
    x = run(iters)
    sec = time.perf_counter() - t0
    cpu_ms = (time.thread_time() - c0) * 1000 / iters
    mse = ((x - x0) ** 2).flatten(1).mean(1)
    psnr = (10 * torch.log10(1 / mse)).mean().item()
    print(f"torch {os.path.splitext(os.path.basename(path))[0]} {at} {batch} {iters / sec:.1f} {psnr:.2f} {cpu_ms:.4f}")


if __name__ == "__main__":
    main()
