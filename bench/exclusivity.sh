#!/bin/sh
# Exclusivity audit (1000 batches of M = 8 on the 2,000 bundled images, forward pass included) vs the PyTorch
# reference of the same statistic (tests/reference/exclusivity_reference.py --bench). Prints both and the ratio.
set -e
cd "$(dirname "$0")/.."
MODEL=${1:-fcn-512}
dotnet build -c Release bench/OnnxAudit.Bench -v q >/dev/null
BIN=bench/OnnxAudit.Bench/bin/Release/net10.0/OnnxAudit.Bench
IMG=samples/fashion-mnist-test-2000-images-idx3-ubyte.gz
OURS=$($BIN exclusivity models/$MODEL.onnx $IMG 1000 | awk '/^ours/ {print $3}')
REF=$(/usr/bin/python3 tests/reference/exclusivity_reference.py --bench "$MODEL" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["seconds"])')
echo "ours $MODEL ${OURS}s (in-process wall from model load: data load, forward pass, 1000 batches at M=8 + 1000 sweep batches + 1000 same-class batches)"
echo "torch $MODEL ${REF}s (data load, forward pass, 1000 batches at M=8; excludes interpreter start-up)"
/usr/bin/python3 -c "print('ratio torch/ours = %.1f' % ($REF/$OURS))"
