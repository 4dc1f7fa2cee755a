#!/usr/bin/python3
"""Tiny DAG classifiers for the graph analyzer's block and split-point tests (tests/OnnxAudit.Tests/Graph/DagAnalysisTests.cs).

Built from torchvision's own module classes (ResNet BasicBlock and Bottleneck, GoogLeNet Inception and BasicConv2d,
DenseNet) at a few channels, so the exported node names and operators are those of the real architectures, on
3x32x32 inputs with 10 classes and seeded random weights. Exported with torch.onnx.export at opset 17 with a dynamic
batch axis, eval mode (training=PRESERVE), no constant folding: the same settings as make_torchvision.py.
No reference gradients: the tests check the analysis (blocks, split points, head), not gradients.

Output: tests/reference/dag/<name>.onnx (each well under 1 MB).
Run: /usr/bin/python3 tests/reference/make_dag_fixtures.py   (Debian python3-torch 1.13, python3-torchvision 0.14)
"""
import importlib
import os
import torch
import torch.nn as nn

# why: torchvision.models.googlenet and .densenet are also names of functions there; import the modules themselves
densenet = importlib.import_module("torchvision.models.densenet")
googlenet = importlib.import_module("torchvision.models.googlenet")
resnet = importlib.import_module("torchvision.models.resnet")

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "tests", "reference", "dag")
SIZE, CLASSES, OPSET = 32, 10, 17


class TinyResNet(nn.Module):
    """The torchvision ResNet layout (conv1, bn1, relu, maxpool, layer1..3, avgpool, fc) with 8-16 channels:
    two BasicBlocks, a strided BasicBlock with a 1x1 downsample, and a Bottleneck with a downsample."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = nn.Sequential(resnet.BasicBlock(8, 8), resnet.BasicBlock(8, 8))
        down2 = nn.Sequential(nn.Conv2d(8, 16, 1, 2, bias=False), nn.BatchNorm2d(16))
        self.layer2 = nn.Sequential(resnet.BasicBlock(8, 16, 2, down2))
        down3 = nn.Sequential(nn.Conv2d(16, 32, 1, 2, bias=False), nn.BatchNorm2d(32))
        self.layer3 = nn.Sequential(resnet.Bottleneck(16, 8, 2, down3))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(32, CLASSES)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class TinyGoogLeNet(nn.Module):
    """The torchvision GoogLeNet layout (BasicConv2d stem, two Inception modules, pools, dropout, fc) at a few channels."""

    def __init__(self):
        super().__init__()
        self.conv1 = googlenet.BasicConv2d(3, 8, kernel_size=3, padding=1)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception3a = googlenet.Inception(8, 4, 4, 8, 2, 4, 4)
        self.inception3b = googlenet.Inception(20, 4, 4, 8, 2, 4, 4)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(0.2)
        self.fc = nn.Linear(20, CLASSES)

    def forward(self, x):
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        return self.fc(self.dropout(torch.flatten(self.avgpool(x), 1)))


def models():
    yield "resnet_tiny", TinyResNet()
    yield "googlenet_tiny", TinyGoogLeNet()
    yield "densenet_tiny", densenet.DenseNet(growth_rate=4, block_config=(2, 2), num_init_features=8, bn_size=2, num_classes=CLASSES)


def main():
    os.makedirs(OUT, exist_ok=True)
    for i, (name, model) in enumerate(models()):
        torch.manual_seed(100 + i)
        for p in model.parameters():
            with torch.no_grad():
                p.copy_(torch.randn_like(p) * 0.2)
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
        model.eval()
        x = torch.rand(1, 3, SIZE, SIZE)
        path = os.path.join(OUT, name + ".onnx")
        torch.onnx.export(model, x, path, opset_version=OPSET, input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, do_constant_folding=False,
                          training=torch.onnx.TrainingMode.PRESERVE)
        print(f"{path}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
