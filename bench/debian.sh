#!/bin/sh
# Ours ÷ Debian's PyTorch 1.13 (python3-torch) on the rows that have a Debian reference today (bench/torch_gradients.py,
# bench/split_reference.py), thread-CPU time on both sides, one thread each. The processes alternate (ours+LibTorch run,
# then Debian, BLOCKS times) and the medians over the blocks are compared; the LibTorch ratio of the same runs is shown.
# usage: bench/debian.sh [ROWS...]   rows: grad whitebox (default both)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${BLOCKS:-3}
PROJ="$ROOT/bench/OnnxAudit.TorchBench"
IMG="$ROOT/samples/fashion-mnist-test-2000-images-idx3-ubyte.gz"
LAB="$ROOT/samples/fashion-mnist-test-2000-labels-idx1-ubyte.gz"
dotnet build -c Release "$PROJ" -v q -nologo >/dev/null
for so in $(find "$PROJ/bin/Release" -name libLibTorchSharp.so); do python3 "$ROOT/bench/patch-libtorchsharp.py" "$so" >/dev/null; done
BIN="$PROJ/bin/Release/net10.0/OnnxAudit.TorchBench.dll"
med() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; 1 thread per side; blocks: $B; load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-28s %10s %10s %10s %10s %10s\n' case ours_cpu_ms libtorch debian ours/debian ours/libtorch
ROWS=${*:-grad whitebox}
for row in $ROWS; do
  case $row in
    grad) SPECS="fcn-512:8 fcn-512:64 lenet5:1 lenet5:8 lenet5:64 lenet5:256" ;;
    whitebox) SPECS="lenet5:conv1:1e-2:0 lenet5:relu_1:1e-2:10 splitnet:relu_3:1e-2:1e3" ;;
  esac
  for spec in $SPECS; do
    IFS=: read -r m a lr lam <<EOS
$spec
EOS
    o=""; t=""; d=""
    for _ in $(seq "$B"); do
      if [ "$row" = grad ]; then
        line=$(dotnet "$BIN" grad "$ROOT/models/$m.onnx" "$a" 2 $((a >= 64 ? 3 : 10)))
        ref=$(/usr/bin/python3 "$ROOT/bench/torch_gradients.py" "$ROOT/models/$m.onnx" "$IMG" "$LAB" "$a" $((a >= 64 ? 10 : 50)) 1 | awk '{print $5}')
      else
        line=$(dotnet "$BIN" whitebox "$ROOT/models/$m.onnx" "$a" 8 2 50)
        ref=$(/usr/bin/python3 "$ROOT/bench/split_reference.py" "$ROOT/models/$m.onnx" "$IMG" "$a" 8 200 1 "$lr" "$lam" | awk '{print $7}')
      fi
      o="$o $(echo "$line" | sed 's/.*ours \([0-9.]*\)\/.*/\1/')"
      t="$t $(echo "$line" | sed 's/.*libtorch \([0-9.]*\)\/.*/\1/')"
      d="$d $ref"
    done
    om=$(echo $o | tr ' ' '\n' | med); tm=$(echo $t | tr ' ' '\n' | med); dm=$(echo $d | tr ' ' '\n' | med)
    printf '%-28s %10s %10s %10s %10s %10s\n' "$row $m $a" "$om" "$tm" "$dm" "$(echo "$om $dm" | awk '{printf "%.3f", $1/$2}')" "$(echo "$om $tm" | awk '{printf "%.2f", $1/$2}')"
  done
  echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
done
