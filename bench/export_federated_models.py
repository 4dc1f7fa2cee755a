#!/usr/bin/python3
"""Exports the full-size models the federated report acceptance runs on (not committed: too large):
torchvision resnet18 and mobilenet_v2 with 10 classes at 3x64x64, seeded random weights, eval mode, opset 17, dynamic
batch, no constant folding (training=PRESERVE), like tests/reference/make_torchvision.py --full.
usage: /usr/bin/python3 bench/export_federated_models.py OUTDIR
"""
import os, sys
import torch
import torchvision

out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/fed-models"
os.makedirs(out, exist_ok=True)
for name, ctor in [("resnet18", torchvision.models.resnet18), ("mobilenet_v2", torchvision.models.mobilenet_v2)]:
    torch.manual_seed(12)
    m = ctor(num_classes=10).eval()
    x = torch.rand(2, 3, 64, 64)
    torch.onnx.export(m, x, os.path.join(out, f"{name}-64.onnx"), opset_version=17, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE)
    print(out, name)
