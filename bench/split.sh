#!/bin/sh
# White-box rMLE loop (He et al.): ours (WhiteBoxAttack: GradientSession + AMSGrad + clamp) vs the same loop in PyTorch
# (bench/split_reference.py rebuilds f1 from the ONNX weights). Iterations per second after a 20-iteration warm-up,
# first BATCH bundled images, depth-class defaults, one intra-op thread each. Ratio = ours it/s ÷ PyTorch it/s (higher is
# better for us; the issue's "ratio ≤ 1.0" target is PyTorch time ÷ ours = the inverse).
# usage: bench/split.sh [ITERATIONS] [BATCH]   (needs models/, samples/, /usr/bin/python3 with torch + onnx)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ITERS=${1:-500}
BATCH=${2:-8}
THREADS=${THREADS:-1}
IMG="$ROOT/samples/fashion-mnist-test-2000-images-idx3-ubyte.gz"
dotnet build -c Release "$ROOT/bench/OnnxAudit.Bench" -v q -nologo >/dev/null
BIN=$(find "$ROOT/bench/OnnxAudit.Bench/bin/Release" -name OnnxAudit.Bench.dll | head -1)
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; threads: $THREADS; iterations: $ITERS; batch: $BATCH"
printf '%-9s %-7s %10s %10s %9s %9s %8s\n' model split ours_it/s torch_it/s ours_psnr torch_psnr ours/torch
# model split-layer lr lambda (the depth-class defaults the C# side picks for that split)
for spec in "lenet5 conv1 1e-2 0" "lenet5 relu_1 1e-2 10" "lenet5 fc1 1e-3 1e4" "splitnet conv1 1e-2 0" "splitnet relu_3 1e-2 1e3"; do
  set -- $spec
  ours=$(dotnet "$BIN" split "$ROOT/models/$1.onnx" "$IMG" "$2" "$BATCH" "$ITERS" "$THREADS")
  ref=$(/usr/bin/python3 "$ROOT/bench/split_reference.py" "$ROOT/models/$1.onnx" "$IMG" "$2" "$BATCH" "$ITERS" "$THREADS" "$3" "$4")
  echo "$ours $ref" | awk '{printf "%-9s %-7s %10s %10s %9s %9s %8.2f\n", $2, $3, $5, $11, $6, $12, $5/$11}'
done
