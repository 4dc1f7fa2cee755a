#!/usr/bin/python3
"""Train the bundled Fashion-MNIST classifiers and export them to ONNX.

Usage (from the repository root):
    apt-get install python3-torch python3-onnx dataset-fashion-mnist
    python3 models/build_models.py            # all models, samples, README, models.json
    python3 models/build_models.py --only lenet5 cnn6

Writes models/<name>.onnx, models/models.json, models/README.md and the 2,000-image
test subset under samples/. Runs on CPU only, deterministically (fixed seeds, one
torch.manual_seed per model, deterministic algorithms, seeded shuffling).

Conventions every exported model follows (other code and tests rely on them):
  input  `input`  float32 [batch,1,28,28], pixel/255 in [0,1], NO mean/std normalisation;
  output `logits` float32 [batch,10], raw logits (no softmax); `batch` is a dim_param;
  opset 17; Linear layers are Gemm nodes fed by a Flatten node; initializer names are the
  PyTorch parameter names (`fc1.weight`, `conv1.bias`, ...).
"""

import argparse
import copy
import gzip
import hashlib
import io
import json
import os
import struct
import sys
import time

# why: the machine is oversubscribed; OpenMP threads that spin while waiting waste most of the CPU.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import onnx
import onnx.checker
import onnx.numpy_helper
import onnx.shape_inference
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS_DIR = os.path.join(ROOT, "models")
SAMPLES_DIR = os.path.join(ROOT, "samples")
DATA_DIR = "/usr/share/datasets/fashion-mnist"

OPSET = 17
BATCH_SIZE = 128
LEARNING_RATE = 1e-3
SUBSET_SIZE = 2000
REF_CHECK_SIZE = 500          # test images re-evaluated by the numpy ONNX interpreter
DATA_SEED = 20240611          # seeds the shuffling generator (combined with the model seed)
CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


# ---------------------------------------------------------------- IDX files

def read_idx_gz(path):
    """Reads a gzip-compressed IDX file (unsigned byte data) into a numpy array."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    zero, dtype_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file (magic {raw[:4].hex()})")
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: {data.size} bytes of data, header says {dims}")
    return data.reshape(dims)


def write_idx_gz(path, array):
    """Writes a uint8 array as a gzip IDX file; gzip mtime=0 and no file name so bytes are reproducible."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape)
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
            gz.write(header)
            gz.write(array.tobytes())


def load_split(prefix):
    images = read_idx_gz(os.path.join(DATA_DIR, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx_gz(os.path.join(DATA_DIR, f"{prefix}-labels-idx1-ubyte.gz"))
    # why: the audit tool feeds pixel/255 without mean/std normalisation, so the models are trained that way.
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)   # [N,1,28,28]
    y = torch.from_numpy(labels.astype(np.int64))
    return images, labels, x, y


# ---------------------------------------------------------------- models
# Module attribute names are part of the contract: they become the ONNX initializer names.

class Linear(nn.Linear):
    """nn.Linear whose training-mode forward runs as a 1x1 convolution.

    why: Debian's python3-torch uses the reference (netlib) BLAS for addmm, which is ~7x slower here
    than oneDNN's convolution for the same affine map. The parameters (names, shapes [out,in]) are
    nn.Linear's; in eval mode (evaluation and ONNX export) the forward is F.linear, exported as Gemm.
    """

    def forward(self, x):
        if self.training and x.dim() == 2:
            y = F.conv2d(x[:, :, None, None], self.weight[:, :, None, None], self.bias)
            return y.flatten(1)
        return F.linear(x, self.weight, self.bias)


class Fcn512(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc1 = Linear(784, 512)
        self.relu1 = nn.ReLU()
        self.fc2 = Linear(512, 10)

    def forward(self, x):
        return self.fc2(self.relu1(self.fc1(self.flatten(x))))


class FcnDeep(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc1 = Linear(784, 512)
        self.fc2 = Linear(512, 512)
        self.fc3 = Linear(512, 512)
        self.fc4 = Linear(512, 10)
        self.relu = nn.ReLU()

    def forward(self, x):
        x = self.flatten(x)
        x = self.relu(self.fc1(x))
        x = self.relu(self.fc2(x))
        x = self.relu(self.fc3(x))
        return self.fc4(x)


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)    # 28x28 -> 28x28
        self.conv2 = nn.Conv2d(6, 16, 5)              # 14x14 -> 10x10
        self.pool = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()                   # 16*5*5 = 400
        self.fc1 = Linear(400, 120)
        self.fc2 = Linear(120, 84)
        self.fc3 = Linear(84, 10)
        self.relu = nn.ReLU()

    def forward(self, x):
        x = self.pool(self.relu(self.conv1(x)))
        x = self.pool(self.relu(self.conv2(x)))
        x = self.flatten(x)
        x = self.relu(self.fc1(x))
        x = self.relu(self.fc2(x))
        return self.fc3(x)


class Cnn6(nn.Module):
    # why: R-GAP / R-CONV's CNN6 uses an invertible activation (LeakyReLU 0.2) and no pooling,
    # so every layer's input can in principle be recovered from its output.
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, stride=2, padding=1)   # 28 -> 14
        self.conv2 = nn.Conv2d(16, 32, 3, stride=2, padding=1)  # 14 -> 7
        self.conv3 = nn.Conv2d(32, 32, 3, stride=1, padding=1)
        self.conv4 = nn.Conv2d(32, 32, 3, stride=1, padding=1)
        self.conv5 = nn.Conv2d(32, 32, 3, stride=1, padding=1)
        self.conv6 = nn.Conv2d(32, 32, 3, stride=1, padding=1)
        self.act = nn.LeakyReLU(0.2)
        self.flatten = nn.Flatten()                             # 32*7*7 = 1568
        self.fc = Linear(1568, 10)

    def forward(self, x):
        for conv in (self.conv1, self.conv2, self.conv3, self.conv4, self.conv5, self.conv6):
            x = self.act(conv(x))
        return self.fc(self.flatten(x))


class SplitNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 16, 3, padding=1)
        self.conv3 = nn.Conv2d(16, 32, 3, padding=1)
        self.conv4 = nn.Conv2d(32, 32, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()                   # 32*7*7 = 1568
        self.fc1 = Linear(1568, 128)
        self.fc2 = Linear(128, 10)
        self.relu = nn.ReLU()

    def forward(self, x):
        x = self.relu(self.conv1(x))
        x = self.pool(self.relu(self.conv2(x)))       # 28 -> 14
        x = self.relu(self.conv3(x))
        x = self.pool(self.relu(self.conv4(x)))       # 14 -> 7
        x = self.flatten(x)
        x = self.relu(self.fc1(x))
        return self.fc2(x)


# name -> (class, seed, epochs, human-readable architecture, layer list)
SPECS = {
    "fcn-512": (Fcn512, 1001, 4,
                "Flatten → fc1 Linear(784,512) → ReLU → fc2 Linear(512,10)",
                ["Flatten(784)", "fc1 Gemm 784→512", "ReLU", "fc2 Gemm 512→10"]),
    "fcn-512-init": (Fcn512, 1001, 0,
                     "fcn-512 at its untrained initialisation (same seed, no training)",
                     ["Flatten(784)", "fc1 Gemm 784→512", "ReLU", "fc2 Gemm 512→10"]),
    "fcn-deep": (FcnDeep, 1002, 3,
                 "Flatten → fc1 784→512 → ReLU → fc2 512→512 → ReLU → fc3 512→512 → ReLU → fc4 512→10",
                 ["Flatten(784)", "fc1 Gemm 784→512", "ReLU", "fc2 Gemm 512→512", "ReLU",
                  "fc3 Gemm 512→512", "ReLU", "fc4 Gemm 512→10"]),
    "lenet5": (LeNet5, 1003, 3,
               "conv1 5×5 1→6 p2 → ReLU → MaxPool2 → conv2 5×5 6→16 → ReLU → MaxPool2 → Flatten(400) → "
               "fc1 400→120 → ReLU → fc2 120→84 → ReLU → fc3 84→10",
               ["conv1 Conv 1→6 k5 s1 p2 (28×28)", "ReLU", "MaxPool k2 s2 (14×14)",
                "conv2 Conv 6→16 k5 s1 p0 (10×10)", "ReLU", "MaxPool k2 s2 (5×5)", "Flatten(400)",
                "fc1 Gemm 400→120", "ReLU", "fc2 Gemm 120→84", "ReLU", "fc3 Gemm 84→10"]),
    "cnn6": (Cnn6, 1004, 2,
             "six 3×3 convs with LeakyReLU(0.2): conv1 1→16 s2 (14×14), conv2 16→32 s2 (7×7), "
             "conv3..conv6 32→32 s1 (7×7), all p1 → Flatten(1568) → fc 1568→10",
             ["conv1 Conv 1→16 k3 s2 p1 (14×14)", "LeakyReLU 0.2", "conv2 Conv 16→32 k3 s2 p1 (7×7)",
              "LeakyReLU 0.2", "conv3 Conv 32→32 k3 s1 p1 (7×7)", "LeakyReLU 0.2",
              "conv4 Conv 32→32 k3 s1 p1 (7×7)", "LeakyReLU 0.2", "conv5 Conv 32→32 k3 s1 p1 (7×7)",
              "LeakyReLU 0.2", "conv6 Conv 32→32 k3 s1 p1 (7×7)", "LeakyReLU 0.2", "Flatten(1568)",
              "fc Gemm 1568→10"]),
    "splitnet": (SplitNet, 1005, 2,
                 "conv1 3×3 1→16 → ReLU → conv2 3×3 16→16 → ReLU → MaxPool2 (14×14) → conv3 3×3 16→32 → ReLU → "
                 "conv4 3×3 32→32 → ReLU → MaxPool2 (7×7) → Flatten(1568) → fc1 1568→128 → ReLU → fc2 128→10",
                 ["conv1 Conv 1→16 k3 s1 p1 (28×28)", "ReLU", "conv2 Conv 16→16 k3 s1 p1 (28×28)", "ReLU",
                  "MaxPool k2 s2 (14×14)", "conv3 Conv 16→32 k3 s1 p1 (14×14)", "ReLU",
                  "conv4 Conv 32→32 k3 s1 p1 (14×14)", "ReLU", "MaxPool k2 s2 (7×7)", "Flatten(1568)",
                  "fc1 Gemm 1568→128", "ReLU", "fc2 Gemm 128→10"]),
}


# ---------------------------------------------------------------- training / evaluation

def train(model, x, y, epochs, seed):
    gen = torch.Generator()
    gen.manual_seed(DATA_SEED + seed)
    opt = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_fn = nn.CrossEntropyLoss()
    n = x.shape[0]
    model.train()
    for epoch in range(epochs):
        perm = torch.randperm(n, generator=gen)
        total = 0.0
        t0 = time.time()
        for start in range(0, n, BATCH_SIZE):
            idx = perm[start:start + BATCH_SIZE]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            total += loss.item() * idx.numel()
        print(f"    epoch {epoch + 1}/{epochs}: mean loss {total / n:.4f} ({time.time() - t0:.0f} s)", flush=True)
    model.eval()


@torch.no_grad()
def predict(model, x):
    model.eval()
    return torch.cat([model(x[i:i + 1000]) for i in range(0, x.shape[0], 1000)])


# ---------------------------------------------------------------- independent ONNX check
# python3-onnx 1.12 (Debian) has no onnx.reference.ReferenceEvaluator, and there is no onnxruntime
# for Python here, so the exported graph is evaluated by this small numpy interpreter, which
# covers exactly the ops the exporter emits for these models.

def _conv2d(x, w, b, strides, pads, dilations, group):
    if group != 1 or any(d != 1 for d in dilations):
        raise NotImplementedError("numpy reference: group/dilation not supported")
    n, c, h, wd = x.shape
    m, _, kh, kw = w.shape
    sh, sw = strides
    pt, pl, pb, pr = pads
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    oh = (h + pt + pb - kh) // sh + 1
    ow = (wd + pl + pr - kw) // sw + 1
    out = np.zeros((n, m, oh, ow), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw]          # [n,c,oh,ow]
            out += np.einsum("nchw,mc->nmhw", patch, w[:, :, i, j], optimize=True)
    if b is not None:
        out += b.reshape(1, m, 1, 1)
    return out


def _maxpool2d(x, kernel, strides, pads):
    if any(pads):
        raise NotImplementedError("numpy reference: padded MaxPool not supported")
    kh, kw = kernel
    sh, sw = strides
    n, c, h, w = x.shape
    oh = (h - kh) // sh + 1
    ow = (w - kw) // sw + 1
    out = np.full((n, c, oh, ow), -np.inf)
    for i in range(kh):
        for j in range(kw):
            out = np.maximum(out, x[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw])
    return out


def numpy_reference_run(model_proto, x):
    """Evaluates the ONNX graph in float64 numpy; raises on any op it does not know."""
    g = model_proto.graph
    env = {t.name: onnx.numpy_helper.to_array(t).astype(np.float64) for t in g.initializer}
    env[g.input[0].name] = x.astype(np.float64)
    for node in g.node:
        a = {at.name: onnx.helper.get_attribute_value(at) for at in node.attribute}
        ins = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Gemm":
            A, B = ins[0], ins[1]
            if a.get("transA", 0):
                A = A.T
            if a.get("transB", 0):
                B = B.T
            y = a.get("alpha", 1.0) * (A @ B)
            if len(ins) > 2 and ins[2] is not None:
                y = y + a.get("beta", 1.0) * ins[2]
        elif op == "Conv":
            k = len(ins[1].shape) - 2
            y = _conv2d(ins[0], ins[1], ins[2] if len(ins) > 2 else None,
                        a.get("strides", [1] * k), a.get("pads", [0] * 2 * k),
                        a.get("dilations", [1] * k), a.get("group", 1))
            if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
                raise NotImplementedError("numpy reference: auto_pad")
        elif op == "Relu":
            y = np.maximum(ins[0], 0.0)
        elif op == "LeakyRelu":
            alpha = a.get("alpha", 0.01)
            y = np.where(ins[0] >= 0, ins[0], alpha * ins[0])
        elif op == "MaxPool":
            y = _maxpool2d(ins[0], a["kernel_shape"], a.get("strides", [1, 1]), a.get("pads", [0, 0, 0, 0]))
        elif op == "Flatten":
            axis = a.get("axis", 1)
            s = ins[0].shape
            y = ins[0].reshape(int(np.prod(s[:axis])), -1)
        else:
            raise NotImplementedError(f"numpy reference: op {op}")
        env[node.output[0]] = y
    return env[g.output[0].name]


# ---------------------------------------------------------------- export

def export_onnx(model, path):
    model.eval()
    dummy = torch.zeros(1, 1, 28, 28)
    buf = io.BytesIO()
    torch.onnx.export(model, dummy, buf, export_params=True, opset_version=OPSET,
                      do_constant_folding=True, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      training=torch.onnx.TrainingMode.EVAL)
    proto = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(proto, full_check=True)
    # Contract checks: names, dynamic batch, Gemm for every Linear, readable initializer names.
    assert [i.name for i in proto.graph.input] == ["input"], [i.name for i in proto.graph.input]
    assert [o.name for o in proto.graph.output] == ["logits"]
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert proto.graph.output[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    ops = [n.op_type for n in proto.graph.node]
    assert "MatMul" not in ops and "Add" not in ops, f"Linear exported as MatMul+Add: {ops}"
    state_names = set(model.state_dict().keys())
    init_names = {t.name for t in proto.graph.initializer}
    assert init_names == state_names, f"initializer names {sorted(init_names)} != {sorted(state_names)}"
    with open(path, "wb") as f:
        f.write(buf.getvalue())
    return proto


def _shape_of(value_info):
    dims = value_info.type.tensor_type.shape.dim
    return [d.dim_param if d.dim_param else int(d.dim_value) for d in dims]


def node_list(proto):
    """Nodes in graph order with attributes and the shapes onnx shape inference gives their outputs."""
    inferred = onnx.shape_inference.infer_shapes(proto)
    shapes = {vi.name: _shape_of(vi) for vi in list(inferred.graph.value_info) + list(inferred.graph.output)}
    nodes = []
    for n in proto.graph.node:
        attrs = {}
        for at in n.attribute:
            v = onnx.helper.get_attribute_value(at)
            attrs[at.name] = v.decode() if isinstance(v, bytes) else (list(v) if isinstance(v, (list, tuple)) else v)
        nodes.append({"name": n.name, "op_type": n.op_type, "inputs": list(n.input),
                      "outputs": list(n.output), "attributes": attrs,
                      "output_shapes": [shapes.get(o) for o in n.output]})
    return nodes


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


# ---------------------------------------------------------------- samples

def write_samples(test_images, test_labels):
    os.makedirs(SAMPLES_DIR, exist_ok=True)
    img_path = os.path.join(SAMPLES_DIR, "fashion-mnist-test-2000-images-idx3-ubyte.gz")
    lbl_path = os.path.join(SAMPLES_DIR, "fashion-mnist-test-2000-labels-idx1-ubyte.gz")
    write_idx_gz(img_path, test_images[:SUBSET_SIZE])
    write_idx_gz(lbl_path, test_labels[:SUBSET_SIZE])
    # Round-trip check with the same reader used for the source data.
    assert np.array_equal(read_idx_gz(img_path), test_images[:SUBSET_SIZE])
    assert np.array_equal(read_idx_gz(lbl_path), test_labels[:SUBSET_SIZE])
    counts = np.bincount(test_labels[:SUBSET_SIZE], minlength=10)
    return {"images": os.path.relpath(img_path, ROOT), "labels": os.path.relpath(lbl_path, ROOT),
            "images_sha256": sha256_file(img_path), "labels_sha256": sha256_file(lbl_path),
            "count": SUBSET_SIZE, "per_class": [int(c) for c in counts]}


def write_samples_readme(info):
    rows = "\n".join(f"| {k} | {CLASS_NAMES[k]} | {info['per_class'][k]} |" for k in range(10))
    text = f"""# Sample data: Fashion-MNIST test subset

The first {info['count']:,} images (and labels) of the Fashion-MNIST **test** set (`t10k`), in
the original order, so the tool and the tests run on a fresh clone without the full data set.

| File | Content | SHA-256 |
| --- | --- | --- |
| `fashion-mnist-test-2000-images-idx3-ubyte.gz` | IDX3 uint8 [{info['count']},28,28] (magic 0x00000803) | `{info['images_sha256']}` |
| `fashion-mnist-test-2000-labels-idx1-ubyte.gz` | IDX1 uint8 [{info['count']}] (magic 0x00000801) | `{info['labels_sha256']}` |

- **Source:** Fashion-MNIST by Zalando Research (Xiao, Rasul, Vollgraf 2017),
  <https://github.com/zalandoresearch/fashion-mnist>, read from Debian's `dataset-fashion-mnist`
  (`/usr/share/datasets/fashion-mnist/t10k-{{images-idx3,labels-idx1}}-ubyte.gz`).
- **License:** MIT (Expat), Copyright 2017 Zalando SE — see `/usr/share/doc/dataset-fashion-mnist/copyright`.
- **How made:** `python3 models/build_models.py` (function `write_samples`): the t10k files are read
  with gzip + numpy, the first {info['count']} records are written back with standard big-endian IDX
  headers and gzip (level 9, `mtime=0`, no embedded file name), so the bytes are reproducible.
  Pixels are uint8 0..255; the models expect pixel/255 with no mean/std normalisation.

## Classes and counts in this subset

| Label | Class | Count |
| --- | --- | --- |
{rows}
"""
    with open(os.path.join(SAMPLES_DIR, "README.md"), "w") as f:
        f.write(text)


def write_models_readme(entries):
    lines = []
    for e in entries:
        acc10 = f"{100 * e['accuracy_test10k']:.2f}%"
        acc2 = f"{100 * e['accuracy_subset2000']:.2f}%"
        lines.append(f"| `{e['file']}` | {e['architecture']} | {e['parameters']:,} | {acc10} | {acc2} | "
                     f"{e['opset']} | {e['size_bytes']:,} | `{e['sha256']}` |")
    seeds = "\n".join(f"- `{e['name']}`: torch.manual_seed({e['seed']}), shuffling generator seed "
                      f"{DATA_SEED + e['seed']}, {e['epochs']} epoch(s), training {e['train_seconds']:.0f} s"
                      for e in entries)
    text = f"""# Bundled models

Small Fashion-MNIST classifiers trained and exported by `models/build_models.py`
(PyTorch {torch.__version__}, onnx {onnx.__version__}). All of them:

- input `input`: float32 `[batch,1,28,28]` (NCHW), pixel/255 in [0,1], **no** mean/std normalisation;
- output `logits`: float32 `[batch,10]`, raw logits (no softmax); `batch` is a symbolic dim (`dim_param`);
- ONNX opset {OPSET}, exported with `do_constant_folding=True`; every `nn.Linear` is a `Gemm`
  (`transB=1`) after a `Flatten` (`axis=1`); initializer names are the PyTorch parameter names
  (`fc1.weight`, `conv1.bias`, ...);
- trained with Adam (lr {LEARNING_RATE}), batch {BATCH_SIZE}, cross-entropy, on the 60,000 training images;
  accuracy measured on the full 10,000-image test set and on the 2,000-image subset in `samples/`.

`models.json` holds the same facts machine-readably (plus the layer list and every ONNX node).

| File | Architecture | Parameters | Test acc. (10k) | Test acc. (2k subset) | Opset | Size (bytes) | SHA-256 |
| --- | --- | --- | --- | --- | --- | --- | --- |
{chr(10).join(lines)}

## Rebuild

```sh
sudo apt-get install python3-torch python3-onnx dataset-fashion-mnist
python3 models/build_models.py
```

CPU only, 2 threads (`OMP_WAIT_POLICY=PASSIVE`), deterministic algorithms. During training each
`Linear` runs as a 1×1 convolution (oneDNN) because Debian's torch uses the reference BLAS; in eval
mode and in the export it is `F.linear` → `Gemm`. Training times are wall-clock seconds on a
shared, heavily loaded 2-core machine. Seeds:

{seeds}

`fcn-512-init` is `fcn-512` right after `torch.manual_seed({SPECS['fcn-512'][1]})` and construction, before any training step.
The script checks each export with `onnx.checker` (full check) and re-evaluates the ONNX graph with a
small numpy interpreter (float64) against PyTorch on the first {REF_CHECK_SIZE} test images (python3-onnx 1.12 has no
`onnx.reference`); the largest absolute logit difference is recorded in `models.json` as
`max_abs_diff_vs_torch`. Bit-identical files are expected only with the same PyTorch build.
"""
    with open(os.path.join(MODELS_DIR, "README.md"), "w") as f:
        f.write(text)


# ---------------------------------------------------------------- main

# ---------------------------------------------------------------- normnet (issue 11)
# A 3×64×64 classifier trained on bilinearly upsampled, grey→RGB Fashion-MNIST with ImageNet mean/std
# normalisation, plus a JPEG ImageFolder sample (class-named folders) to audit it from. Built with --normnet;
# it is not part of models.json (its input contract differs from the 1×28×28 models above).
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
NORMNET_SEED = 1011
NORMNET_TRAIN = 12000          # first training images used (keeps training to a few minutes here)
NORMNET_EPOCHS = 3
JPEG_PER_CLASS = 20            # test images per class in samples/fashion-mnist-jpeg (first ones in t10k order)
JPEG_QUALITY = 95


class NormNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, stride=2, padding=1)    # 32×32
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)   # 16×16
        self.pool = nn.MaxPool2d(2)                             # 8×8
        self.fc1 = Linear(16 * 8 * 8, 64)
        self.fc2 = Linear(64, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv2(F.relu(self.conv1(x)))))
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))


def normnet_inputs(images):
    """uint8 [N,28,28] → float [N,3,64,64]: /255, bilinear upsample (as PIL/torchvision Resize(64)), grey→RGB,
    ImageNet normalisation."""
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    x = F.interpolate(x, size=(64, 64), mode="bilinear", align_corners=False).clamp(0, 1)
    x = x.repeat(1, 3, 1, 1)
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (x - mean) / std


def write_jpeg_samples(test_images, test_labels):
    from PIL import Image
    root = os.path.join(SAMPLES_DIR, "fashion-mnist-jpeg")
    if os.path.isdir(root):
        import shutil
        shutil.rmtree(root)
    counts = [0] * 10
    folders = [n.replace("/", "_").replace(" ", "_") for n in CLASS_NAMES]
    for i, (img, lab) in enumerate(zip(test_images, test_labels)):
        if counts[lab] >= JPEG_PER_CLASS:
            continue
        counts[lab] += 1
        d = os.path.join(root, folders[lab])
        os.makedirs(d, exist_ok=True)
        # why: users hold RGB JPEGs; 28×28 RGB so that --resize 64 does the upsampling the model was trained with.
        Image.fromarray(img, mode="L").convert("RGB").save(os.path.join(d, f"{i:05d}.jpg"), quality=JPEG_QUALITY)
        if sum(counts) == 10 * JPEG_PER_CLASS:
            break
    with open(os.path.join(SAMPLES_DIR, "fashion-mnist-jpeg.classes.txt"), "w") as f:
        f.write("\n".join(folders) + "\n")
    return root


def build_normnet():
    train_images, train_labels, _, _ = load_split("train")
    test_images, test_labels, _, _ = load_split("t10k")
    torch.manual_seed(NORMNET_SEED)
    model = NormNet()
    x = normnet_inputs(train_images[:NORMNET_TRAIN])
    y = torch.from_numpy(train_labels[:NORMNET_TRAIN].astype(np.int64))
    t0 = time.time()
    train(model, x, y, NORMNET_EPOCHS, NORMNET_SEED)
    model.eval()
    xt = normnet_inputs(test_images)
    acc = (predict(model, xt).argmax(1).numpy() == test_labels).mean()
    path = os.path.join(MODELS_DIR, "normnet64.onnx")
    dummy = torch.zeros(1, 3, 64, 64)
    torch.onnx.export(model, dummy, path, export_params=True, opset_version=OPSET, do_constant_folding=True,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      training=torch.onnx.TrainingMode.EVAL)
    onnx.checker.check_model(onnx.load(path), full_check=True)
    root = write_jpeg_samples(test_images, test_labels)
    print(f"normnet64: {sum(p.numel() for p in model.parameters())} parameters, {NORMNET_EPOCHS} epochs on "
          f"{NORMNET_TRAIN} images in {time.time() - t0:.0f} s, test accuracy (10k, torch tensors) {acc:.4f}, "
          f"{os.path.getsize(path)} bytes, sha256 {sha256_file(path)}; JPEG sample in {root}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="*", help="build only these models (others kept from models.json)")
    ap.add_argument("--epochs", type=int, help="override the epochs of every trained model")
    ap.add_argument("--normnet", action="store_true", help="build only models/normnet64.onnx and samples/fashion-mnist-jpeg")
    args = ap.parse_args()

    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    np.random.seed(0)
    if args.normnet:
        build_normnet()
        return 0

    train_images, train_labels, x_train, y_train = load_split("train")
    test_images, test_labels, x_test, y_test = load_split("t10k")
    print(f"train {tuple(x_train.shape)}, test {tuple(x_test.shape)}", flush=True)

    sample_info = write_samples(test_images, test_labels)
    write_samples_readme(sample_info)

    json_path = os.path.join(MODELS_DIR, "models.json")
    previous = {}
    if args.only and os.path.exists(json_path):
        with open(json_path) as f:
            previous = {m["name"]: m for m in json.load(f)["models"]}

    entries = []
    trained = {}
    for name, (cls, seed, epochs, arch, layers) in SPECS.items():
        if args.only and name not in args.only and not (name == "fcn-512-init" and "fcn-512" in args.only):
            if name in previous:
                entries.append(previous[name])
            continue
        if args.epochs is not None and epochs > 0:
            epochs = args.epochs
        print(f"== {name} (seed {seed}, {epochs} epochs)", flush=True)
        torch.manual_seed(seed)
        model = cls()
        t0 = time.time()
        if epochs > 0:
            train(model, x_train, y_train, epochs, seed)
        train_seconds = time.time() - t0
        model.eval()

        path = os.path.join(MODELS_DIR, f"{name}.onnx")
        proto = export_onnx(model, path)
        logits = predict(model, x_test)
        pred = logits.argmax(1)
        acc10 = (pred == y_test).float().mean().item()
        acc2 = (pred[:SUBSET_SIZE] == y_test[:SUBSET_SIZE]).float().mean().item()

        ref = numpy_reference_run(proto, x_test[:REF_CHECK_SIZE].numpy())
        max_diff = float(np.max(np.abs(ref - logits[:REF_CHECK_SIZE].numpy().astype(np.float64))))
        ref_agree = float(np.mean(ref.argmax(1) == pred[:REF_CHECK_SIZE].numpy()))
        assert ref_agree == 1.0, f"{name}: ONNX (numpy reference) and torch disagree on argmax"
        assert max_diff < 1e-3, f"{name}: ONNX (numpy reference) vs torch max |diff| {max_diff}"
        print(f"    acc10k {acc10:.4f} acc2k {acc2:.4f} (onnx-ref argmax agreement {ref_agree:.3f} on {REF_CHECK_SIZE}), "
              f"max|onnx-torch| {max_diff:.2e}, train {train_seconds:.1f}s", flush=True)

        params = sum(p.numel() for p in model.parameters())
        size = os.path.getsize(path)
        assert size < 8 * 1024 * 1024, f"{name}.onnx is {size} bytes"
        entries.append({
            "name": name, "file": f"models/{name}.onnx", "architecture": arch, "layers": layers,
            "parameters": int(params),
            "parameter_tensors": {k: list(v.shape) for k, v in model.state_dict().items()},
            "accuracy_test10k": round(acc10, 4), "accuracy_subset2000": round(acc2, 4),
            "correct_test10k": int((pred == y_test).sum()),
            "correct_subset2000": int((pred[:SUBSET_SIZE] == y_test[:SUBSET_SIZE]).sum()),
            "input": {"name": "input", "dtype": "float32", "shape": ["batch", 1, 28, 28],
                      "scaling": "pixel/255, no mean/std"},
            "output": {"name": "logits", "dtype": "float32", "shape": ["batch", 10], "kind": "raw logits"},
            "opset": OPSET, "size_bytes": size, "sha256": sha256_file(path),
            "seed": seed, "epochs": epochs, "train_seconds": round(train_seconds, 1),
            "max_abs_diff_vs_torch": max_diff, "reference_check_images": REF_CHECK_SIZE,
            "nodes": node_list(proto),
        })
        trained[name] = model

    order = list(SPECS.keys())
    entries.sort(key=lambda e: order.index(e["name"]))
    meta = {
        "generator": "models/build_models.py", "torch": torch.__version__, "onnx": onnx.__version__,
        "optimizer": {"name": "Adam", "lr": LEARNING_RATE, "batch_size": BATCH_SIZE},
        "data_seed_base": DATA_SEED, "class_names": CLASS_NAMES, "samples": sample_info,
        "models": entries,
    }
    with open(json_path, "w") as f:
        json.dump(meta, f, indent=1, ensure_ascii=False)
        f.write("\n")
    write_models_readme(entries)
    print("done", flush=True)


if __name__ == "__main__":
    sys.exit(main())
