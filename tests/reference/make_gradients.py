#!/usr/bin/python3
"""Reference gradients for the bundled models (tests/OnnxAudit.Tests/Autodiff/BundledModelGradientTests.cs).

For every models/<name>.onnx: loads the weights with onnx.numpy_helper, runs the graph with a tiny ONNX->torch
interpreter (Flatten, Gemm, Relu, LeakyRelu, Conv, MaxPool, Reshape) in float64, and writes PyTorch autograd
gradients of mean cross-entropy (torch.nn.functional.cross_entropy) w.r.t. every float initializer and the input,
for fixed batches of the bundled Fashion-MNIST samples (pixel/255, no normalisation), batch sizes 1 and 8.
Parameters with more than 65536 elements are stored as a fixed random sample of 8192 entries (<name>.idx.npy holds
the flat indices) to keep the fixtures small. One feature-matching + total-variation case (lenet5) is added.

Run: /usr/bin/python3 tests/reference/make_gradients.py   (Debian python3-torch 1.13, python3-onnx)
"""
import gzip, hashlib, json, os, sys
import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn.functional as F

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODELS = os.environ.get("ONNXAUDIT_MODELS", os.path.join(ROOT, "models"))
SAMPLES = os.environ.get("ONNXAUDIT_SAMPLES", os.path.join(ROOT, "samples"))
OUT = os.path.join(ROOT, "tests", "reference", "gradients")
NAMES = ["fcn-512", "fcn-512-init", "fcn-deep", "lenet5", "cnn6", "splitnet"]
BATCHES = {1: [17], 8: [3, 141, 592, 653, 589, 793, 238, 462]}
SAMPLE_LIMIT, SAMPLE_COUNT = 65536, 8192


def sanitize(name):
    return "".join("_" if c in '/:\\*?"<>|' else c for c in name)


def load_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def run_graph(model, x, params, consts, want=None):
    env = {model.graph.input[0].name: x}
    env.update(params)
    env.update(consts)
    for n in model.graph.node:
        a = attrs(n)
        i = [env[name] if name else None for name in n.input]
        op = n.op_type
        if op == "Flatten":
            ax = a.get("axis", 1)
            y = i[0].reshape(int(np.prod(i[0].shape[:ax])), -1)
        elif op == "Gemm":
            A = i[0].t() if a.get("transA", 0) else i[0]
            B = i[1].t() if a.get("transB", 0) else i[1]
            y = a.get("alpha", 1.0) * (A @ B)
            if len(i) > 2 and i[2] is not None:
                y = y + a.get("beta", 1.0) * i[2]
        elif op == "Relu":
            y = F.relu(i[0])
        elif op == "LeakyRelu":
            y = F.leaky_relu(i[0], a.get("alpha", 0.01))
        elif op == "Conv":
            p = a.get("pads", [0, 0, 0, 0])
            xin = i[0]
            if p[0] != p[2] or p[1] != p[3]:
                xin = F.pad(xin, (p[1], p[3], p[0], p[2]))
                pad = (0, 0)
            else:
                pad = (p[0], p[1])
            y = F.conv2d(xin, i[1], i[2] if len(i) > 2 else None, stride=tuple(a.get("strides", [1, 1])),
                         padding=pad, dilation=tuple(a.get("dilations", [1, 1])), groups=a.get("group", 1))
        elif op == "MaxPool":
            p = a.get("pads", [0, 0, 0, 0])
            assert p[0] == p[2] and p[1] == p[3]
            y = F.max_pool2d(i[0], tuple(a["kernel_shape"]), stride=tuple(a.get("strides", a["kernel_shape"])),
                             padding=(p[0], p[1]), dilation=tuple(a.get("dilations", [1, 1])), ceil_mode=bool(a.get("ceil_mode", 0)))
        elif op == "Reshape":
            y = i[0].reshape([int(v) for v in i[1]])
        else:
            raise SystemExit(f"make_gradients.py: op {op} not handled by the reference interpreter")
        env[n.output[0]] = y
    return env[model.graph.output[0].name] if want is None else env[want]


def load(name):
    path = os.path.join(MODELS, name + ".onnx")
    raw = open(path, "rb").read()
    model = onnx.load_from_string(raw)
    params, consts = {}, {}
    for t in model.graph.initializer:
        arr = numpy_helper.to_array(t)
        if arr.dtype == np.float32:
            params[t.name] = torch.tensor(arr.astype(np.float64), requires_grad=True)
        else:
            consts[t.name] = arr
    return model, params, consts, hashlib.sha256(raw).hexdigest()


def save(path, arr):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.save(path, arr)


def write_param(folder, name, grad):
    g = grad.detach().numpy().astype(np.float32)
    base = os.path.join(folder, sanitize(name))
    if g.size > SAMPLE_LIMIT:
        rng = np.random.default_rng(int(hashlib.sha256(name.encode()).hexdigest()[:8], 16))
        idx = np.sort(rng.choice(g.size, SAMPLE_COUNT, replace=False)).astype(np.int64)
        save(base + ".idx.npy", idx)
        save(base + ".npy", g.reshape(-1)[idx])
        return {"shape": list(g.shape), "sampled": True}
    save(base + ".npy", g)
    return {"shape": list(g.shape), "sampled": False}


def main():
    images = load_idx(os.path.join(SAMPLES, "fashion-mnist-test-2000-images-idx3-ubyte.gz"))
    labels = load_idx(os.path.join(SAMPLES, "fashion-mnist-test-2000-labels-idx1-ubyte.gz"))
    torch.set_grad_enabled(True)
    for name in NAMES:
        if not os.path.exists(os.path.join(MODELS, name + ".onnx")):
            raise SystemExit(f"make_gradients.py: {MODELS}/{name}.onnx is missing; merge the models branch first")
        model, params, consts, sha = load(name)
        for b, indices in BATCHES.items():
            x = torch.tensor(images[indices].astype(np.float64) / 255.0).unsqueeze(1).requires_grad_(True)
            y = torch.tensor(labels[indices].astype(np.int64))
            for p in params.values():
                p.grad = None
            logits = run_graph(model, x, params, consts)
            loss = F.cross_entropy(logits, y)
            loss.backward()
            folder = os.path.join(OUT, name, f"b{b}")
            meta = {"model": name, "model_sha256": sha, "indices": indices, "labels": y.tolist(), "loss": loss.item(),
                    "input": model.graph.input[0].name, "params": {}}
            for pname, p in params.items():
                meta["params"][pname] = write_param(folder, pname, p.grad)
            save(os.path.join(folder, "input.grad.npy"), x.grad.numpy().astype(np.float32))
            with open(os.path.join(folder, "meta.json"), "w") as f:
                json.dump(meta, f, indent=1)
            print(f"{name} b{b}: loss {loss.item():.6f}")
    # feature matching at lenet5's second ReLU + total variation, gradient w.r.t. the input (batch 1)
    model, params, consts, sha = load("lenet5")
    relus = [n.output[0] for n in model.graph.node if n.op_type == "Relu"]
    tensor, lam = relus[1], 0.05
    x0 = torch.tensor(images[[3]].astype(np.float64) / 255.0).unsqueeze(1)
    with torch.no_grad():
        target = run_graph(model, x0, params, consts, want=tensor)
    x = torch.tensor(images[[17]].astype(np.float64) / 255.0).unsqueeze(1).requires_grad_(True)
    feat = run_graph(model, x, params, consts, want=tensor)
    tv = ((x[:, :, 1:, :] - x[:, :, :-1, :]) ** 2).sum() + ((x[:, :, :, 1:] - x[:, :, :, :-1]) ** 2).sum()
    loss = F.mse_loss(feat, target) + lam * tv
    loss.backward()
    folder = os.path.join(OUT, "lenet5-feature-tv")
    save(os.path.join(folder, "target.npy"), target.numpy().astype(np.float32))
    save(os.path.join(folder, "input.grad.npy"), x.grad.numpy().astype(np.float32))
    with open(os.path.join(folder, "meta.json"), "w") as f:
        json.dump({"model": "lenet5", "model_sha256": sha, "tensor": tensor, "tv_weight": lam, "input_index": 17,
                   "target_index": 3, "loss": loss.item()}, f, indent=1)
    print(f"lenet5 feature+TV at {tensor}: loss {loss.item():.6f}")


if __name__ == "__main__":
    main()
