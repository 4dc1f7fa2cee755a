#!/usr/bin/python3
"""Reference second-order gradients for gradient-matching attacks (tests/OnnxAudit.Tests/Autodiff/SecondOrderGradientTests.cs).

For each model, a fixed "observed" batch x0 (labels y) gives the target gradients t = grad_theta CE(f(x0), y) in float64;
for a fixed dummy batch x (uniform random, seeded) the script writes, for two matching losses,
    cosine (Inverting Gradients):  L = 1 - <g, t> / (|g| |t|) + alpha * TV(x),  TV = mean|dx_h| + mean|dx_w|
    squared L2 (DLG):              L = sum |g - t|^2
with g = grad_theta CE(f(x), y) over all trainable parameters, the value of L and dL/dx computed by PyTorch's double
backward (torch.autograd.grad(..., create_graph=True)), float64.

Models: the bundled fcn-512, lenet5, cnn6, splitnet (run by the ONNX->torch interpreter of make_gradients.py, batch of 2
Fashion-MNIST samples, 1x28x28) and resnet18_w16_32: the torchvision ResNet-18 topology (torchvision BasicBlock, ImageNet
stem: 7x7/2 conv, 3x3/2 max-pool) with base width 16 instead of 64, 10 classes, seeded random weights, random BN running
statistics, eval mode, exported here at opset 17 (dynamic batch, no constant folding, training=PRESERVE) to
tests/reference/second_order/resnet18_w16_32.onnx; its batch is 2 Fashion-MNIST samples padded to 32x32 and given a
per-sample colour (RGB = gray * c, c in [0.4, 1]^3).

Also mobilenet_v2_w025_32: torchvision mobilenet_v2 (width_mult 0.25, 10 classes, random weights, 3x32x32), for the
depthwise-convolution backward, same batch as the ResNet.

Output: tests/reference/second_order/<model>/{meta.json, x0.npy, x.npy, cosine.grad.npy, l2.grad.npy}.
Run: /usr/bin/python3 tests/reference/make_second_order.py   (Debian python3-torch 1.13, python3-torchvision 0.14, python3-onnx)
"""
import hashlib, io, json, os, sys
import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models.resnet import BasicBlock

sys.path.insert(0, os.path.dirname(__file__))
import make_gradients as mg  # noqa: E402

ROOT = mg.ROOT
OUT = os.path.join(ROOT, "tests", "reference", "second_order")
INDICES, TV_WEIGHT = [3, 141], 0.01
BUNDLED = ["fcn-512", "lenet5", "cnn6", "splitnet"]


class ResNet18(nn.Module):
    """torchvision.models.resnet18's layout with a configurable base width."""

    def __init__(self, width=16, classes=10):
        super().__init__()
        self.inplanes = width
        self.conv1 = nn.Conv2d(3, width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make(width, 1)
        self.layer2 = self._make(width * 2, 2)
        self.layer3 = self._make(width * 4, 2)
        self.layer4 = self._make(width * 8, 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(width * 8, classes)

    def _make(self, planes, stride):
        down = None
        if stride != 1 or self.inplanes != planes:
            down = nn.Sequential(nn.Conv2d(self.inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, down), BasicBlock(planes, planes)]
        self.inplanes = planes
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def colour_batch(gray, gen):
    """Fashion-MNIST [N,1,28,28] in [0,1] -> [N,3,32,32]: zero-pad by 2 and tint each sample."""
    x = F.pad(gray, (2, 2, 2, 2))
    c = 0.4 + 0.6 * torch.rand((gray.shape[0], 3, 1, 1), generator=gen, dtype=torch.float64)
    return x * c


def make_resnet(path):
    torch.manual_seed(1212)
    gen = torch.Generator().manual_seed(2121)
    model = ResNet18(16).eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=gen) * 0.1)
                m.running_var.copy_(0.5 + torch.rand(m.running_var.shape, generator=gen))
                m.weight.add_(torch.randn(m.weight.shape, generator=gen) * 0.1)
                m.bias.add_(torch.randn(m.bias.shape, generator=gen) * 0.1)
    buf = io.BytesIO()
    torch.onnx.export(model, torch.rand((2, 3, 32, 32), generator=gen), buf, opset_version=17, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, do_constant_folding=False,
                      training=torch.onnx.TrainingMode.PRESERVE)
    raw = buf.getvalue()
    names = {t.name for t in onnx.load_from_string(raw).graph.initializer}
    for n, _ in model.named_parameters():
        if n not in names:
            raise SystemExit(f"make_second_order.py: parameter {n} was not exported under its own name")
    with open(path, "wb") as f:
        f.write(raw)
    model = model.double()
    params = [p for _, p in model.named_parameters()]
    return (lambda x: model(x)), params, hashlib.sha256(raw).hexdigest()


def make_torchvision(path, ctor, seed):
    """A torchvision classifier (random weights, random BN statistics) exported like make_resnet."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed + 1)
    model = ctor().eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=gen) * 0.1)
                m.running_var.copy_(0.5 + torch.rand(m.running_var.shape, generator=gen))
    buf = io.BytesIO()
    torch.onnx.export(model, torch.rand((2, 3, 32, 32), generator=gen), buf, opset_version=17, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, do_constant_folding=False,
                      training=torch.onnx.TrainingMode.PRESERVE)
    raw = buf.getvalue()
    with open(path, "wb") as f:
        f.write(raw)
    model = model.double()
    return (lambda x: model(x)), [p for _, p in model.named_parameters()], hashlib.sha256(raw).hexdigest()


def tv(x):
    return (x[:, :, 1:, :] - x[:, :, :-1, :]).abs().mean() + (x[:, :, :, 1:] - x[:, :, :, :-1]).abs().mean()


def matching(fn, params, x, y, target, kind):
    g = torch.autograd.grad(F.cross_entropy(fn(x), y), params, create_graph=True)
    if kind == "cosine":
        dot = sum((a * b).sum() for a, b in zip(g, target))
        n1 = sum((a * a).sum() for a in g)
        n2 = sum((b * b).sum() for b in target)
        return 1 - dot / (n1.sqrt() * n2.sqrt()) + TV_WEIGHT * tv(x)
    return sum(((a - b) ** 2).sum() for a, b in zip(g, target))


def write(name, fn, params, sha, x0, y, gen):
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    loss0 = F.cross_entropy(fn(x0), y)
    target = [t.detach() for t in torch.autograd.grad(loss0, params)]
    x = torch.rand(x0.shape, generator=gen, dtype=torch.float64).requires_grad_(True)
    meta = {"model": name, "model_sha256": sha, "indices": INDICES, "labels": y.tolist(), "tv_weight": TV_WEIGHT,
            "input_shape": list(x0.shape)}
    for kind in ["cosine", "l2"]:
        loss = matching(fn, params, x, y, target, kind)
        gx, = torch.autograd.grad(loss, x)
        meta[kind + "_loss"] = loss.item()
        mg.save(os.path.join(folder, kind + ".grad.npy"), gx.numpy().astype(np.float32))
        print(f"{name} {kind}: loss {loss.item():.6g}, |dL/dx|max {gx.abs().max().item():.3g}")
    mg.save(os.path.join(folder, "x0.npy"), x0.numpy().astype(np.float32))
    mg.save(os.path.join(folder, "x.npy"), x.detach().numpy().astype(np.float32))
    with open(os.path.join(folder, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)


def main():
    images = mg.load_idx(os.path.join(mg.SAMPLES, "fashion-mnist-test-2000-images-idx3-ubyte.gz"))
    labels = mg.load_idx(os.path.join(mg.SAMPLES, "fashion-mnist-test-2000-labels-idx1-ubyte.gz"))
    gray = torch.tensor(images[INDICES].astype(np.float64) / 255.0).unsqueeze(1)
    # why: float32 storage of x0 is what the C# test feeds; compute the reference from exactly those values.
    gray = gray.float().double()
    y = torch.tensor(labels[INDICES].astype(np.int64))
    for i, name in enumerate(BUNDLED):
        model, params, consts, sha = mg.load(name)
        plist = list(params.values())
        fn = (lambda m, p, c: (lambda x: mg.run_graph(m, x, p, c)))(model, params, consts)
        write(name, fn, plist, sha, gray, y, torch.Generator().manual_seed(300 + i))
    gen = torch.Generator().manual_seed(400)
    fn, params, sha = make_resnet(os.path.join(OUT, "resnet18_w16_32.onnx"))
    x0 = colour_batch(gray, gen).float().double()
    write("resnet18_w16_32", fn, params, sha, x0, y, gen)
    # depthwise (grouped) convolutions: their weight-gradient Conv has the batch in the channel axis in the second pass
    import torchvision
    fn, params, sha = make_torchvision(os.path.join(OUT, "mobilenet_v2_w025_32.onnx"),
                                       lambda: torchvision.models.mobilenet_v2(num_classes=10, width_mult=0.25), 1313)
    write("mobilenet_v2_w025_32", fn, params, sha, x0, y, torch.Generator().manual_seed(500))


if __name__ == "__main__":
    main()
