#!/usr/bin/python3
"""R-CONV reference for OnnxAudit (Eltaras et al., WISE 2024; DESIGN.md "R-CONV").

Two jobs, both deterministic:
  fixtures     builds the R-CONV LeNet (3x32x32, K 5, P 2, LeakyReLU 0.2, Gemm 192->10, PyTorch default init,
               seed 0) and exports it to tests/reference/rconv/rconv_lenet.onnx; generates 10 smooth random
               3x32x32 images (uniform 8x8 noise per channel, bicubic-upsampled to 32x32, clipped to [0,1]);
               for it and for the bundled models/lenet5.onnx and models/cnn6.onnx (when present; first 10
               Fashion-MNIST test images) computes single-sample cross-entropy gradients with torch autograd and
               writes tests/reference/rconv/<model>.{images,labels,grads}.npy + <model>.json (gradient index,
               per-image reference PSNR of the reconstruction below).
  reconstruct  re-implements the same reconstruction in PyTorch (same equations, torch.linalg.lstsq) and
               prints per-image time and PSNR as JSON (used by bench/rconv.sh).

Run: /usr/bin/python3 tests/reference/rconv_reference.py fixtures
     /usr/bin/python3 tests/reference/rconv_reference.py reconstruct --model rconv_lenet
Needs Debian python3-torch (1.13), python3-onnx, numpy.
"""
import argparse
import gzip
import json
import os
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "rconv")
torch.set_num_threads(1)


# ---------------------------------------------------------------------------------------------- model (chain)
class Chain:
    """Minimal interpreter of the linear chain ops the bundled CNNs use, with parameters as leaf tensors."""

    def __init__(self, path):
        m = onnx.load(path)
        g = m.graph
        self.params = {t.name: torch.tensor(numpy_helper.to_array(t).copy()) for t in g.initializer}
        self.input = [i.name for i in g.input if i.name not in self.params][0]
        self.nodes = list(g.node)

    @staticmethod
    def attrs(n):
        return {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}

    def forward(self, x, params):
        env = {self.input: x}
        env.update(params)
        conv_out = {}
        for n in self.nodes:
            a = self.attrs(n)
            ins = [env[i] if i else None for i in n.input]
            op = n.op_type
            if op == "Conv":
                pads = a.get("pads", [0, 0, 0, 0])
                h = F.pad(ins[0], (pads[1], pads[3], pads[0], pads[2]))
                y = F.conv2d(h, ins[1], ins[2] if len(ins) > 2 else None, stride=tuple(a.get("strides", [1, 1])),
                             dilation=tuple(a.get("dilations", [1, 1])), groups=a.get("group", 1))
                conv_out[n.name or n.output[0]] = y
            elif op == "Relu":
                y = F.relu(ins[0])
            elif op == "LeakyRelu":
                y = F.leaky_relu(ins[0], a.get("alpha", 0.01))
            elif op == "Sigmoid":
                y = torch.sigmoid(ins[0])
            elif op == "Tanh":
                y = torch.tanh(ins[0])
            elif op == "Elu":
                y = F.elu(ins[0], a.get("alpha", 1.0))
            elif op == "MaxPool":
                p = a.get("pads", [0, 0, 0, 0])
                y = F.max_pool2d(ins[0], tuple(a["kernel_shape"]), tuple(a.get("strides", a["kernel_shape"])), (p[0], p[1]))
            elif op == "Flatten":
                y = ins[0].flatten(a.get("axis", 1))
            elif op == "Reshape":
                y = ins[0].reshape([int(v) if v != 0 else ins[0].shape[i] for i, v in enumerate(ins[1].tolist())])
            elif op == "Gemm":
                w = ins[1].t() if a.get("transB", 0) else ins[1]
                y = a.get("alpha", 1.0) * ins[0] @ w + (a.get("beta", 1.0) * ins[2] if len(ins) > 2 else 0)
            elif op in ("Identity", "Dropout"):
                y = ins[0]
            else:
                raise SystemExit(f"unsupported op {op}")
            env[n.output[0]] = y
        return env[self.nodes[-1].output[0]], conv_out


def rconv_lenet_onnx(path):
    torch.manual_seed(0)
    act = lambda: torch.nn.LeakyReLU(0.2)  # noqa: E731
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 12, 5, 2, 2), act(), torch.nn.Conv2d(12, 16, 5, 2, 2), act(),
        torch.nn.Conv2d(16, 12, 5, 1, 2), act(), torch.nn.Conv2d(12, 3, 5, 1, 2), act(),
        torch.nn.Flatten(), torch.nn.Linear(192, 10))
    torch.onnx.export(net, torch.zeros(1, 3, 32, 32), path, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17)


def smooth_images(n, seed=1):
    g = torch.Generator().manual_seed(seed)
    low = torch.rand(n, 3, 8, 8, generator=g)
    return F.interpolate(low, size=(32, 32), mode="bicubic", align_corners=False).clamp(0, 1)


def fashion_mnist(n):
    for p in (os.path.join(ROOT, "samples", "fashion-mnist-test-2000-images-idx3-ubyte.gz"),
              "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"):
        if os.path.exists(p):
            with gzip.open(p) as f:
                img = np.frombuffer(f.read(), np.uint8, offset=16)[: n * 784].reshape(n, 1, 28, 28)
            with gzip.open(p.replace("images-idx3", "labels-idx1")) as f:
                lab = np.frombuffer(f.read(), np.uint8, offset=8)[:n]
            return torch.tensor(img.astype(np.float32) / 255.0), torch.tensor(lab.astype(np.int64))
    raise SystemExit("no Fashion-MNIST test images found")


# ---------------------------------------------------------------------------------------------- reconstruction
def stages(chain):
    """(op, node, attrs) from the input to the first Gemm."""
    out = []
    for n in chain.nodes:
        out.append((n.op_type, n, Chain.attrs(n)))
        if n.op_type == "Gemm":
            break
    return out


def deriv_from_output(op, a, y):
    if op == "Relu":
        return (y > 0).to(y.dtype)
    if op == "LeakyRelu":
        return torch.where(y >= 0, torch.ones_like(y), torch.full_like(y, a.get("alpha", 0.01)))
    if op == "Sigmoid":
        return y * (1 - y)
    if op == "Tanh":
        return 1 - y * y
    if op == "Elu":
        return torch.where(y >= 0, torch.ones_like(y), y + a.get("alpha", 1.0))
    raise ValueError(op)


def inverse(op, a, y):
    if op == "LeakyRelu":
        return torch.where(y >= 0, y, y / a.get("alpha", 0.01))
    if op == "Sigmoid":
        y = y.clamp(1e-12, 1 - 1e-12)
        return torch.log(y / (1 - y))
    if op == "Tanh":
        return torch.atanh(y.clamp(-1 + 1e-12, 1 - 1e-12))
    if op == "Elu":
        return torch.where(y >= 0, y, torch.log(y / a.get("alpha", 1.0) + 1))
    return None


def gradient_matrix(dO, N, H, W, k, s, p):
    """A[(f,kh,kw), (i,j)] = dO[f,p,q] with i = s*p + kh - p_top (square kernel/stride/pad, groups 1)."""
    Fo, Oh, Ow = dO.shape
    A = torch.zeros(Fo, k, k, H + 2 * p, W + 2 * p, dtype=dO.dtype)
    for kh in range(k):
        for kw in range(k):
            A[:, kh, kw, kh:kh + s * (Oh - 1) + 1:s, kw:kw + s * (Ow - 1) + 1:s] = dO
    return A[:, :, :, p:p + H, p:p + W].reshape(Fo * k * k, H * W)  # crop: padding pixels are known zeros


class Reconstructor:
    def __init__(self, chain, image_shape):
        self.chain = chain
        self.st = stages(chain)
        self.P = {k: v.double() for k, v in chain.params.items()}
        self.fwd = {}  # per-model forward matrices (weights only)
        # shapes along the chain
        self.shapes = []
        with torch.no_grad():
            x = torch.zeros(1, *image_shape)
            env = {chain.input: x}
            env.update(chain.params)
            for op, n, a in self.st:
                self.shapes.append(tuple(env[n.input[0]].shape[1:]))
                if op == "Gemm":
                    break
                sub = Chain.__new__(Chain)
                sub.params, sub.input, sub.nodes = chain.params, n.input[0], [n]
                env[n.output[0]], _ = sub.forward(env[n.input[0]], chain.params)

    def forward_matrix(self, n, a, in_shape):
        if n.name not in self.fwd:
            N, H, W = in_shape
            basis = torch.eye(N * H * W, dtype=torch.float64).reshape(N * H * W, N, H, W)
            p = a.get("pads", [0, 0, 0, 0])
            out = F.conv2d(F.pad(basis, (p[1], p[3], p[0], p[2])), self.P[n.input[1]], None, stride=tuple(a.get("strides", [1, 1])))
            self.fwd[n.name] = out.reshape(N * H * W, -1).t().contiguous()
        return self.fwd[n.name]

    def run(self, grads):
        g = {k: torch.tensor(v, dtype=torch.float64) for k, v in grads.items()}
        op, n, a = self.st[-1]
        if op != "Gemm":
            return None, f"{op} '{n.name}': no Gemm"
        dW, db = g[n.input[1]], g[n.input[2]]
        if not a.get("transB", 0):
            dW = dW.t()
        k = int(torch.argmax(db.abs()))
        value = dW[k] / db[k]
        Wfc = self.P[n.input[1]] if a.get("transB", 0) else self.P[n.input[1]].t()
        grad = Wfc.t() @ db
        known = True
        for idx in range(len(self.st) - 2, -1, -1):
            op, n, a = self.st[idx]
            shape = self.shapes[idx + 1]
            value, grad = value.reshape(shape), grad.reshape(shape)
            if op in ("Flatten", "Reshape", "Identity", "Dropout"):
                continue
            if op in ("MaxPool", "AveragePool"):
                return None, f"{op} '{n.name}': not invertible"
            if op in ("Relu", "LeakyRelu", "Sigmoid", "Tanh", "Elu"):
                grad = grad * deriv_from_output(op, a, value)
                inv = inverse(op, a, value)
                known, value = inv is not None, inv
                continue
            if op == "Conv":
                N, H, Wd = self.shapes[idx]
                w = self.P[n.input[1]]
                Fo, _, kk, _ = w.shape
                s, p = a.get("strides", [1, 1])[0], a.get("pads", [0, 0, 0, 0])[0]
                if Fo * kk * kk >= H * Wd:
                    A = gradient_matrix(grad, N, H, Wd, kk, s, p)
                    B = g[n.input[1]].permute(0, 2, 3, 1).reshape(Fo * kk * kk, N)
                    X = torch.linalg.lstsq(A, B).solution.t().reshape(N, H, Wd)
                elif known:
                    A = self.forward_matrix(n, a, (N, H, Wd))
                    b = self.P[n.input[2]] if len(n.input) > 2 else torch.zeros(Fo, dtype=torch.float64)
                    rhs = (value - b[:, None, None]).reshape(-1, 1)
                    X = torch.linalg.lstsq(A, rhs).solution.reshape(N, H, Wd)
                else:
                    return None, f"Conv '{n.name}': short gradient constraints and unknown output"
                grad = torch.nn.grad.conv2d_input((1, N, H, Wd), w, grad[None], stride=s, padding=p)[0]
                value, known = X, True
                continue
            return None, f"unsupported {op}"
        return value, None


def psnr(x, y):
    mse = float(((x - y) ** 2).mean())
    return 10 * np.log10(1.0 / mse) if mse > 0 else float("inf")


# ---------------------------------------------------------------------------------------------- jobs
def model_path(name):
    return os.path.join(OUT, "rconv_lenet.onnx") if name == "rconv_lenet" else os.path.join(ROOT, "models", name + ".onnx")


def data_for(name, n=10):
    if name == "rconv_lenet":
        x = smooth_images(n)
        y = torch.tensor(np.random.default_rng(2).integers(0, 10, n), dtype=torch.int64)
        return x, y
    return fashion_mnist(n)


def single_sample_grads(chain, x, y):
    params = {k: v.clone().requires_grad_(True) for k, v in chain.params.items() if v.dtype == torch.float32}
    logits, conv_out = chain.forward(x[None], params)
    for t in conv_out.values():
        t.retain_grad()
    loss = F.cross_entropy(logits, y[None])
    loss.backward()
    grads = {k: v.grad.detach().numpy().copy() for k, v in params.items() if v.grad is not None}
    outg = {"dO:" + k: v.grad[0].detach().numpy().copy() for k, v in conv_out.items()}
    return grads, outg


def fixtures(names):
    os.makedirs(OUT, exist_ok=True)
    rconv_lenet_onnx(model_path("rconv_lenet"))
    for name in names:
        path = model_path(name)
        if not os.path.exists(path):
            print(f"skip {name}: {path} not found", file=sys.stderr)
            continue
        chain = Chain(path)
        x, y = data_for(name)
        rec = Reconstructor(chain, tuple(x.shape[1:]))
        rows, index, psnrs, reasons = [], None, [], []
        for i in range(x.shape[0]):
            grads, outg = single_sample_grads(chain, x[i], y[i])
            allg = {**grads, **outg}
            if index is None:
                index, off = [], 0
                for k, v in allg.items():
                    index.append({"name": k, "offset": off, "shape": list(v.shape)})
                    off += v.size
            rows.append(np.concatenate([allg[e["name"]].ravel() for e in index]).astype(np.float32))
            img, why = rec.run(grads)
            psnrs.append(psnr(img.numpy(), x[i].double().numpy()) if img is not None else None)
            reasons.append(why)
        np.save(os.path.join(OUT, name + ".images.npy"), x.numpy().astype(np.float32))
        np.save(os.path.join(OUT, name + ".labels.npy"), y.numpy().astype(np.int64))
        np.save(os.path.join(OUT, name + ".grads.npy"), np.stack(rows))
        meta = {"model": os.path.relpath(path, ROOT), "images": "smooth random 3x32x32 (8x8 uniform noise, bicubic x4, clip)"
                if name == "rconv_lenet" else "first 10 Fashion-MNIST test images",
                "loss": "cross-entropy, single sample", "index": index,
                "reference_psnr_db": psnrs, "reference_failure": reasons}
        with open(os.path.join(OUT, name + ".json"), "w") as f:
            json.dump(meta, f, indent=1)
        print(name, "psnr", psnrs, reasons[0])


def reconstruct(name, repeats):
    chain = Chain(model_path(name))
    x = torch.tensor(np.load(os.path.join(OUT, name + ".images.npy")))
    allg = np.load(os.path.join(OUT, name + ".grads.npy"))
    meta = json.load(open(os.path.join(OUT, name + ".json")))
    rec = Reconstructor(chain, tuple(x.shape[1:]))
    times, psnrs = [], []
    t0 = time.perf_counter()
    for i in range(x.shape[0]):
        grads = {e["name"]: allg[i, e["offset"]:e["offset"] + int(np.prod(e["shape"]))].reshape(e["shape"])
                 for e in meta["index"] if not e["name"].startswith("dO:")}
        best = None
        for _ in range(repeats):
            t = time.perf_counter()
            img, why = rec.run(grads)
            dt = time.perf_counter() - t
            best = dt if best is None else min(best, dt)
        times.append(best)
        psnrs.append(psnr(img.numpy(), x[i].double().numpy()) if img is not None else None)
    print(json.dumps({"model": name, "impl": "pytorch", "threads": torch.get_num_threads(), "seconds_per_image": times,
                      "mean_seconds_per_image": float(np.mean(times)), "total_seconds_incl_setup": time.perf_counter() - t0,
                      "psnr_db": psnrs}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("job", choices=["fixtures", "reconstruct"])
    ap.add_argument("--model", default="rconv_lenet")
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()
    if args.job == "fixtures":
        fixtures(["rconv_lenet", "cnn6", "lenet5"])
    else:
        reconstruct(args.model, args.repeats)


if __name__ == "__main__":
    main()
