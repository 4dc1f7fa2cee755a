#!/bin/sh
# Inverting Gradients loop: ours (second-order ONNX graph on ONNX Runtime, GradientInversion.RunInverting) vs the same
# loop in PyTorch 1.13 with double backward (bench/torch_inverting.py). One sample, cosine + TV, signed Adam.
# usage: bench/inverting.sh [ITERATIONS]   (THREADS=n, default 2)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
IT=${1:-50}
THREADS=${THREADS:-2}
dotnet build -c Release "$ROOT/bench/OnnxAudit.Bench" -v q -nologo >/dev/null
BIN=$(find "$ROOT/bench/OnnxAudit.Bench/bin/Release" -name OnnxAudit.Bench.dll | head -1)
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; threads: $THREADS; iterations: $IT"
printf '%-18s %14s %14s %8s\n' model ours_ms/it torch_ms/it ratio
for m in "$ROOT/models/lenet5.onnx" "$ROOT/tests/reference/second_order/resnet18_w16_32.onnx"; do
  ours=$(dotnet "$BIN" inverting "$m" "$IT" "$THREADS" | awk '{print $3}')
  ref=$(/usr/bin/python3 "$ROOT/bench/torch_inverting.py" "$m" "$IT" "$THREADS" | awk '{print $3}')
  printf '%-18s %14s %14s %8s\n' "$(basename "$m" .onnx)" "$ours" "$ref" "$(echo "$ours $ref" | awk '{printf "%.2f", $1/$2}')"
done
