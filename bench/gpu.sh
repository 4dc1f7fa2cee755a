#!/bin/sh
# The LibTorch-anchor tables of bench/torch.sh with our sessions on the CUDA execution provider (issue 16 item 5): the GPU
# build of ONNX Runtime (-p:OnnxRuntimePackage=Microsoft.ML.OnnxRuntime.Gpu), DEVICE=cuda in the bench, IoBinding with the
# model's weights on the device and the loop's changing inputs re-bound (uploaded) before each run. GPU work is asynchronous
# to the calling thread, so read the wall-clock columns (p10), not thread-CPU time. The LibTorch side stays on the CPU:
# TorchSharp's CUDA package is not served to this project (see bench/README.md, "CUDA").
# usage: bench/gpu.sh [ROWS...]   rows as bench/torch.sh: fcn lenet resnet whitebox decoder inverting (default: all but adam)
# needs: an NVIDIA GPU with its driver, CUDA 13 and cuDNN 9 libraries on LD_LIBRARY_PATH.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo "bench/gpu.sh: no NVIDIA GPU on this machine (nvidia-smi not found); run it on a machine with an NVIDIA GPU, its driver, CUDA 13 and cuDNN 9 (bench/torch.sh measures the CPU)." >&2
  exit 2
fi
if ! nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then
  echo "bench/gpu.sh: nvidia-smi lists no GPU ($(nvidia-smi -L 2>&1 | head -1)); check the driver, or use bench/torch.sh for the CPU." >&2
  exit 2
fi
B=${BLOCKS:-6}
PROJ="$ROOT/bench/OnnxAudit.TorchBench"
OUT="$ROOT/bench/models/gpu-build"
# a separate artifacts folder: the CPU build of the bench (bench/torch.sh) keeps its own output and restore
dotnet build -c Release "$PROJ" -p:OnnxRuntimePackage=Microsoft.ML.OnnxRuntime.Gpu --artifacts-path "$OUT" -v q -nologo >/dev/null
for so in $(find "$OUT" -name libLibTorchSharp.so); do python3 "$ROOT/bench/patch-libtorchsharp.py" "$so" >/dev/null; done
BIN=$(find "$OUT/bin" -name OnnxAudit.TorchBench.dll | head -1)
ROWS=${*:-fcn lenet resnet whitebox decoder inverting}
for row in $ROWS; do
  case $row in
    fcn|lenet|resnet|whitebox|decoder|inverting) ;;
    *) echo "bench/gpu.sh: unknown row '$row'; use fcn lenet resnet whitebox decoder inverting." >&2; exit 2 ;;
  esac
done
# the rows themselves are bench/torch.sh's, run on the GPU build with our side on CUDA
BENCH_DLL="$BIN" DEVICE=cuda MACHINE_GPU="$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -1)" \
  exec sh "$ROOT/bench/torch.sh" $ROWS
