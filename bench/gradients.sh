#!/bin/sh
# Batch-gradient benchmark: ours (GradientSession on ONNX Runtime) vs PyTorch autograd on the same ONNX weights and data.
# Mean cross-entropy, gradients of every parameter; warm-up, then the median of REPS runs; one thread each.
# usage: bench/gradients.sh [REPS]   (needs models/ and samples/, /usr/bin/python3 with torch + onnx)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
REPS=${1:-200}
THREADS=${THREADS:-1}
IMG="$ROOT/samples/fashion-mnist-test-2000-images-idx3-ubyte.gz"
LAB="$ROOT/samples/fashion-mnist-test-2000-labels-idx1-ubyte.gz"
dotnet build -c Release "$ROOT/bench/OnnxAudit.Bench" -v q -nologo >/dev/null
BIN=$(find "$ROOT/bench/OnnxAudit.Bench/bin/Release" -name OnnxAudit.Bench.dll | head -1)
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; threads per run: $THREADS; reps: $REPS"
printf '%-10s %5s %12s %12s %8s\n' model batch ours_ms torch_ms ratio
for m in fcn-512 lenet5; do
  for b in 8 64; do
    ours=$(dotnet "$BIN" "$ROOT/models/$m.onnx" "$IMG" "$LAB" "$b" "$REPS" "$THREADS" | awk '{print $4}')
    ref=$(/usr/bin/python3 "$ROOT/bench/torch_gradients.py" "$ROOT/models/$m.onnx" "$IMG" "$LAB" "$b" "$REPS" "$THREADS" | awk '{print $4}')
    printf '%-10s %5s %12s %12s %8s\n' "$m" "$b" "$ours" "$ref" "$(echo "$ours $ref" | awk '{printf "%.2f", $1/$2}')"
  done
done
