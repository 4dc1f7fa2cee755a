#!/usr/bin/python3
"""Exports torchvision's resnet18 (random weights, seed 0, 10 classes, eval mode so BatchNorm folds into the Conv
weights) at 32/64/128/224 px to bench/models/resnet18-<px>.onnx (git-ignored: ~45 MB each) for bench/torch.sh.
Debian python3-torch 1.13 + python3-torchvision 0.14. usage: bench/export_resnet18.py [PX...]"""
import os
import sys
import torch
import torchvision

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "models")
os.makedirs(out, exist_ok=True)
for px in [int(v) for v in sys.argv[1:]] or [32, 64, 128, 224]:
    path = os.path.join(out, f"resnet18-{px}.onnx")
    if os.path.exists(path):
        print(f"{path}: exists")
        continue
    torch.manual_seed(0)
    m = torchvision.models.resnet18(num_classes=10).eval()
    torch.onnx.export(m, torch.zeros(1, 3, px, px), path, opset_version=17, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, do_constant_folding=True)
    print(f"{path}: written")
