#!/usr/bin/python3
"""Reference accuracy of models/normnet64.onnx on samples/fashion-mnist-jpeg, with torchvision's own transforms.

Usage (from the repository root):  python3 models/eval_normnet_torchvision.py
Writes models/normnet64-reference.json. The images are read by torchvision.datasets.ImageFolder (PIL), transformed
with Resize(64) (bilinear, antialiased), ToTensor() and Normalize(ImageNet mean/std) — what a PyTorch user would run —
and the exported ONNX graph is evaluated by build_models.numpy_reference_run (float64; there is no onnxruntime for
Python here). Labels: folder name → index via samples/fashion-mnist-jpeg.classes.txt (same map as `--classes`).
onnx-audit must reproduce this accuracy within 0.5 % with `--resize 64 --normalize imagenet --classes ...`.
"""
import json
import os
import sys

import numpy as np
import onnx
import torch
import torchvision
from torchvision import transforms

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from build_models import IMAGENET_MEAN, IMAGENET_STD, ROOT, numpy_reference_run  # noqa: E402


def main():
    root = os.path.join(ROOT, "samples", "fashion-mnist-jpeg")
    with open(os.path.join(ROOT, "samples", "fashion-mnist-jpeg.classes.txt")) as f:
        classes = [line.strip() for line in f if line.strip()]
    tf = transforms.Compose([transforms.Resize(64), transforms.ToTensor(), transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
    ds = torchvision.datasets.ImageFolder(root, transform=tf)
    remap = {ds.class_to_idx[name]: classes.index(name) for name in ds.classes}
    xs, ys = [], []
    for x, y in ds:
        xs.append(x)
        ys.append(remap[y])
    x = torch.stack(xs).numpy()
    y = np.array(ys)
    proto = onnx.load(os.path.join(ROOT, "models", "normnet64.onnx"))
    logits = numpy_reference_run(proto, x)
    correct = int((logits.argmax(1) == y).sum())
    result = {
        "model": "models/normnet64.onnx", "data": "samples/fashion-mnist-jpeg", "images": int(len(y)),
        "transforms": "ImageFolder(PIL RGB) → Resize(64) → ToTensor() → Normalize(imagenet)",
        "correct": correct, "accuracy": round(correct / len(y), 4),
        "torch": torch.__version__, "torchvision": torchvision.__version__,
    }
    with open(os.path.join(ROOT, "models", "normnet64-reference.json"), "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(result)


if __name__ == "__main__":
    main()
