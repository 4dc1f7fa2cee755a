#!/bin/sh
# LibTorch anchor: ours ÷ TorchSharp-cpu 0.107.0 (LibTorch 2.10) for every row of issue 16's table, interleaved A/B blocks,
# thread-CPU time per step (median) and wall p10, one thread each. Both sides are checked to compute the same numbers
# first (the verb aborts otherwise). LEGACY=1 adds ours with the pre-issue-16 gradient graphs as a third side.
# usage: bench/torch.sh [ROWS...]   rows: fcn lenet resnet whitebox decoder inverting exclusivity threads adam (default: all)
# COPY=1 adds ours with the pre-change copying loop (white-box, Inverting) as a third side.
# needs: models/, samples/, /usr/bin/python3 with torch + torchvision (resnet18 export, once, into bench/models/).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${BLOCKS:-6}
PROJ="$ROOT/bench/OnnxAudit.TorchBench"
# BENCH_DLL set (bench/gpu.sh): a bench built elsewhere (the GPU build), run as it is, with DEVICE passed on.
if [ -z "${BENCH_DLL:-}" ]; then
  dotnet build -c Release "$PROJ" -v q -nologo >/dev/null
  # why: libLibTorchSharp.so asks for GLIBCXX_3.4.32, Debian 12's libstdc++6 has 3.4.30; the one symbol bound to that
  # version is never called here, so the requirement is marked weak in the copies in bench's output (never the product).
  for so in $(find "$PROJ/bin/Release" -name libLibTorchSharp.so); do python3 "$ROOT/bench/patch-libtorchsharp.py" "$so" >/dev/null; done
  BENCH_DLL="$PROJ/bin/Release/net10.0/OnnxAudit.TorchBench.dll"
fi
run() { ONNXAUDIT_ROOT="$ROOT" DEVICE="${DEVICE:-cpu}" dotnet "$BENCH_DLL" "$@"; }
echo "machine: ${MACHINE_GPU:+$MACHINE_GPU; }CPU $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; ours on ${DEVICE:-cpu}, 1 CPU thread per side; blocks: $B; load: $(cut -d' ' -f1-3 /proc/loadavg)"
ROWS=${*:-fcn lenet resnet whitebox decoder inverting exclusivity threads adam}
for row in $ROWS; do
  case $row in
    fcn) for b in 8 64; do run grad "$ROOT/models/fcn-512.onnx" $b $B 20; done ;;
    lenet) for b in 1 8 64 256; do run grad "$ROOT/models/lenet5.onnx" $b $B $((b >= 64 ? 4 : 20)); done ;;
    resnet)
      [ -f "$ROOT/bench/models/resnet18-224.onnx" ] || /usr/bin/python3 "$ROOT/bench/export_resnet18.py" >/dev/null
      for px in 32 64 128 224; do run grad "$ROOT/bench/models/resnet18-$px.onnx" 8 $B $((px >= 128 ? 1 : 3)); done ;;
    whitebox)
      run whitebox "$ROOT/models/lenet5.onnx" conv1 8 $B 50
      run whitebox "$ROOT/models/lenet5.onnx" relu_1 8 $B 50
      run whitebox "$ROOT/models/splitnet.onnx" relu_3 8 $B 20 ;;
    decoder) run decoder "$ROOT/models/lenet5.onnx" conv1 64 $B 5 ;;
    inverting)
      run inverting "$ROOT/models/lenet5.onnx" 1 $B 10
      run inverting "$ROOT/tests/reference/second_order/resnet18_w16_32.onnx" 1 $B 5 ;;
    exclusivity) for m in fcn-512 fcn-deep; do run exclusivity "$ROOT/models/$m.onnx" 8 $B 1000; done ;;
    threads)
      run threads grad "$ROOT/models/lenet5.onnx" - 64 $B
      run threads grad "$ROOT/models/fcn-512.onnx" - 64 $B
      run threads whitebox "$ROOT/models/splitnet.onnx" relu_3 8 $B
      run threads decoder "$ROOT/models/lenet5.onnx" conv1 64 $B ;;
    adam) run adam 1000000 $B 5 ;;
  esac
  echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
done
