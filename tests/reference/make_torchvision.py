#!/usr/bin/python3
"""Small torchvision classifiers and their PyTorch reference gradients (tests/OnnxAudit.Tests/Autodiff/TorchvisionGradientTests.cs).

Each model is a width-reduced variant of a torchvision architecture (the same module code, so the same exported
operators: channel shuffle, Squeeze-Excitation with HardSigmoid, HardSwish, LayerNorm2d + GELU, multi-head attention,
option-A Slice/Pad shortcuts) with 10 classes on 3x32x32 inputs and seeded random weights (constant parameters such as
zero-initialised heads, class tokens and unit LayerNorm scales are perturbed so every gradient is informative; BN running
statistics are random). It is exported with torch.onnx.export at opset 17 (two also at 13/11, see VARIANTS) with a dynamic batch axis, eval mode without
Conv-BN fusion (training=PRESERVE) and without constant folding, so the ONNX initializers are the PyTorch parameters by
name. The reference is PyTorch autograd in float64 of mean cross-entropy for one fixed batch of 2 (input.npy, labels in
meta.json) w.r.t. every parameter and the input. Parameters with more than 16384 elements are stored as a fixed random
sample of 2048 entries (<name>.idx.npy holds the flat indices), as in make_gradients.py
(with smaller limits here).

Output: tests/reference/torchvision/<name>.onnx and tests/reference/torchvision/<name>/{meta.json,input.npy,*.npy}.
Run: /usr/bin/python3 tests/reference/make_torchvision.py   (Debian python3-torch 1.13, python3-torchvision 0.14, python3-onnx)

With --full DIR [NAME...] it writes the same files for the full-size torchvision architectures (shufflenet_v2_x0_5, mnasnet0_5,
mobilenet_v3_small, convnext_tiny, resnet18 at 64x64, vit_b_16 at 224x224; 10 classes) into DIR instead: too large to
commit, for a local or CI check of the same comparison.
"""
import hashlib, io, json, os, sys
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision.models import convnext, mnasnet, mobilenetv3, shufflenetv2, vision_transformer

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "tests", "reference", "torchvision")
OPSET, BATCH, SIZE, CLASSES = 17, 2, 32, 10
LABELS = [3, 7]
SAMPLE_LIMIT, SAMPLE_COUNT = 16384, 2048


# --- CIFAR ResNet-20 with option-A shortcuts (He et al. 2016, sec. 4.2: identity with zero-padded channels) ---
class LambdaLayer(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


class BasicBlock(nn.Module):
    def __init__(self, cin, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Identity()
        if stride != 1 or cin != planes:
            pad = planes // 4
            self.shortcut = LambdaLayer(lambda x: F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, pad, pad), "constant", 0))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet20(nn.Module):
    def __init__(self, num_classes=10, n=3):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        layers, cin = [], 16
        for planes, stride in [(16, 1), (32, 2), (64, 2)]:
            for i in range(n):
                layers.append(BasicBlock(cin, planes, stride if i == 0 else 1))
                cin = planes
        self.layers = nn.Sequential(*layers)
        self.linear = nn.Linear(64, num_classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layers(out)
        out = F.avg_pool2d(out, out.shape[3] if not torch.jit.is_tracing() else SIZE // 4)
        return self.linear(out.view(out.size(0), -1))


def mnasnet_small():
    # MNASNet at alpha 0.25 with its fixed 1280-channel head conv narrowed to 256 (same operators, 4x fewer weights)
    m = mnasnet.MNASNet(0.25, num_classes=CLASSES)
    cin = m.layers[14].in_channels
    m.layers[14] = nn.Conv2d(cin, 256, 1, 1, 0, bias=False)
    m.layers[15] = nn.BatchNorm2d(256, momentum=1 - 0.9997)
    m.classifier[1] = nn.Linear(256, CLASSES)
    return m


def make_models():
    mv3_setting, _ = mobilenetv3._mobilenet_v3_conf("mobilenet_v3_small", width_mult=0.25)
    cn = convnext.CNBlockConfig
    return {
        # ShuffleNetV2 x0.5 layout (repeats 4/8/4) with a quarter of the channels
        "shufflenet_v2_small": lambda: shufflenetv2.ShuffleNetV2([2, 2, 2], [8, 16, 32, 64, 128], num_classes=CLASSES),
        "mnasnet_small": mnasnet_small,
        "mobilenet_v3_small_w025": lambda: mobilenetv3.MobileNetV3(mv3_setting, 128, num_classes=CLASSES),
        "convnext_small": lambda: convnext.ConvNeXt([cn(16, 32, 1), cn(32, 64, 1), cn(64, None, 1)], stochastic_depth_prob=0.0,
                                                    layer_scale=0.5, num_classes=CLASSES),
        "vit_tiny": lambda: vision_transformer.VisionTransformer(image_size=SIZE, patch_size=8, num_layers=2, num_heads=2,
                                                                 hidden_dim=32, mlp_dim=64, num_classes=CLASSES),
        "resnet20_cifar": lambda: ResNet20(CLASSES),
    }


# (model, opset): opset 17 for all, plus older opsets whose exports differ (opset 13: LayerNorm and GELU decomposed into
# ReduceMean/Sub/Pow/Sqrt/Div/Erf, axes as attributes; opset 11: Split/Squeeze/Unsqueeze axes as attributes)
VARIANTS = [(m, OPSET) for m in ["shufflenet_v2_small", "mnasnet_small", "mobilenet_v3_small_w025", "convnext_small", "vit_tiny", "resnet20_cifar"]] \
    + [("vit_tiny", 13), ("shufflenet_v2_small", 11)]


FULL = {
    "shufflenet_v2_x0_5": (lambda: torchvision.models.shufflenet_v2_x0_5(num_classes=CLASSES), 64),
    "mnasnet0_5": (lambda: torchvision.models.mnasnet0_5(num_classes=CLASSES), 64),
    "mobilenet_v3_small": (lambda: torchvision.models.mobilenet_v3_small(num_classes=CLASSES), 64),
    "convnext_tiny": (lambda: torchvision.models.convnext_tiny(num_classes=CLASSES), 64),
    "resnet18": (lambda: torchvision.models.resnet18(num_classes=CLASSES), 64),
    "vit_b_16": (lambda: torchvision.models.vit_b_16(num_classes=CLASSES), 224),
}


def perturb(model, gen):
    with torch.no_grad():
        for p in model.parameters():
            # why: constant tensors (zero heads, unit scales, layer_scale = 1e-6) would also be deduplicated by the exporter
            if float(p.max() - p.min()) == 0:
                p.add_(torch.randn(p.shape, generator=gen) * 0.1)
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=gen) * 0.1)
                m.running_var.copy_(0.5 + torch.rand(m.running_var.shape, generator=gen))


def sanitize(name):
    return "".join("_" if c in '/:\\*?"<>|' else c for c in name)


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
    import onnx
    import onnx.numpy_helper
    out = OUT
    ctors = {name: (ctor, SIZE) for name, ctor in make_models().items()}
    variants = VARIANTS
    if len(sys.argv) >= 3 and sys.argv[1] == "--full":
        out, ctors = sys.argv[2], FULL
        variants = [(m, OPSET) for m in FULL if len(sys.argv) == 3 or m in sys.argv[3:]]
    os.makedirs(out, exist_ok=True)
    for base, opset in variants:
        k = list(ctors).index(base)
        name = base if opset == OPSET else f"{base}_opset{opset}"
        torch.manual_seed(1000 + k)
        gen = torch.Generator().manual_seed(2000 + k)
        ctor, size = ctors[base]
        model = ctor().eval()
        perturb(model, gen)
        x32 = torch.rand((BATCH, 3, size, size), generator=gen)
        buf = io.BytesIO()
        torch.onnx.export(model, x32, buf, opset_version=opset, input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, do_constant_folding=False,
                          training=torch.onnx.TrainingMode.PRESERVE)
        raw = buf.getvalue()
        proto = onnx.load_from_string(raw)
        inits = {t.name: t for t in proto.graph.initializer}
        params = dict(model.named_parameters())
        # why: the exporter may store a parameter under another name (e.g. "onnx::Mul_123"); find it by its exact value
        onnx_name = {}
        for pname, p in params.items():
            if pname in inits:
                onnx_name[pname] = pname
                continue
            arr = p.detach().numpy()
            hits = [t.name for t in inits.values() if tuple(t.dims) == arr.shape and np.array_equal(onnx.numpy_helper.to_array(t), arr)]
            if len(hits) != 1:
                raise SystemExit(f"make_torchvision.py: {name}: parameter {pname} is not exported as an initializer")
            onnx_name[pname] = hits[0]
        with open(os.path.join(out, name + ".onnx"), "wb") as f:
            f.write(raw)
        # float64 reference on the same weights and input
        ref = model.double()
        x = x32.double().requires_grad_(True)
        y = torch.tensor(LABELS, dtype=torch.int64)
        loss = F.cross_entropy(ref(x), y)
        loss.backward()
        folder = os.path.join(out, name)
        save(os.path.join(folder, "input.npy"), x32.numpy())
        meta = {"model": name, "model_sha256": hashlib.sha256(raw).hexdigest(), "opset": opset, "labels": LABELS,
                "input": "input", "input_shape": list(x32.shape), "loss": loss.item(), "params": {},
                "ops": sorted({n.op_type for n in proto.graph.node})}
        for pname, p in ref.named_parameters():
            meta["params"][onnx_name[pname]] = write_param(folder, onnx_name[pname], p.grad)
        save(os.path.join(folder, "input.grad.npy"), x.grad.numpy().astype(np.float32))
        with open(os.path.join(folder, "meta.json"), "w") as f:
            json.dump(meta, f, indent=1)
        count = sum(p.numel() for p in params.values())
        print(f"{name}: {count} parameters, {len(raw)} bytes, loss {loss.item():.6f}, ops {' '.join(meta['ops'])}")


if __name__ == "__main__":
    main()
