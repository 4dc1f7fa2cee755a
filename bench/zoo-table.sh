#!/bin/sh
# Issue 17 acceptance table: for every model of bench/zoo_export.py (torchvision zoo + CIFAR ResNet-20, random weights,
# 10 classes, opset 17), export it with PyTorch float32 reference gradients (once, into the git-ignored bench/models/zoo/),
# then measure wall time and peak RSS (/usr/bin/time -v) of `inspect`, `gradient` (batch = the first 8 samples that pass
# the kink rule of `zoo_export.py reference`, compared with the reference within 1e-5 + 1e-3·|e| on every parameter) and
# `report --quick`, and write bench/zoo-table.md.
#
# usage: bench/zoo-table.sh [PHASE] [MODEL...]
#   PHASE  grad    export + reference batch + inspect + gradient + comparison (default models: all); the reference batch
#                  (<model>/screened.json + screened/) is written once, without re-exporting; a failed comparison is diagnosed
#                  by `zoo_export.py ties` into <model>.ties (TIES=0 skips it)
#          report  report --quick (REPORT_TIMEOUT seconds each, default 1800; a run stopped by it is marked so)
#          memory  inspect / gradient / exclusivity on vgg11_bn_224 (the issue's memory targets)
#          table   write bench/zoo-table.md from the rows measured so far (every phase rewrites it)
#          all     grad, memory, report, table (the default)
# Results: bench/results/zoo/<model>.<verb>.{out,time,rc} (git-ignored). Needs /usr/bin/python3 with torch,
# torchvision 0.14 and onnx; the CLI is built in Release once (BUILD=0 to skip).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PHASE=${1:-all}
[ $# -gt 0 ] && shift
PY=/usr/bin/python3
Z="$ROOT/bench/models/zoo"
R=${ZOO_RESULTS:-"$ROOT/bench/results/zoo"}
REPORT_TIMEOUT=${REPORT_TIMEOUT:-1800}
mkdir -p "$R" "$Z"
if [ "${BUILD:-1}" = 1 ]; then dotnet build -c Release "$ROOT/src/OnnxAudit.Cli" -v q -nologo >/dev/null; fi
BIN=${BIN:-"$ROOT/src/OnnxAudit.Cli/bin/Release/net10.0/onnx-audit"}
MODELS=${*:-$($PY "$ROOT/bench/zoo_export.py" list 2>/dev/null | awk '{print $1}')}

# reference_of NAME: the screened reference batch (written once: `zoo_export.py reference` leaves the .onnx, meta.json and
# ref/ alone) and its indices for `gradient --indices`
reference_of() {
  [ -f "$Z/$1/screened.json" ] || nice $PY "$ROOT/bench/zoo_export.py" reference "$1" 2>"$R/$1.screen" | grep -v -i warn >&2 || true
  [ -f "$Z/$1/screened.json" ] || { echo "zoo-table.sh: $1: no reference batch (see $R/$1.screen)" >&2; exit 3; }
  $PY "$ROOT/bench/zoo_export.py" indices "$1"
}

px_of() { $PY "$ROOT/bench/zoo_export.py" list 2>/dev/null | awk -v m="$1" '$1 == m {print $2}'; }

# run NAME VERB CMD...: runs CMD under /usr/bin/time -v, keeps stdout+stderr, the time report, the exit code and the load
run() {
  name=$1; verb=$2; shift 2
  uptime | sed 's/.*load average: //' | cut -d, -f1 > "$R/$name.$verb.load"
  set +e
  /usr/bin/time -v -o "$R/$name.$verb.time" "$@" > "$R/$name.$verb.out" 2>&1
  echo $? > "$R/$name.$verb.rc"
  set -e
}

# ties_of NAME: when the comparison failed (exit 1), the diagnosis of `zoo_export.py ties` (float64 runs of the model:
# the non-differentiable points the batch comes near and the share with them taken the other way) into
# $R/NAME.ties; TIES=0 skips it. A stale diagnosis of an earlier failing run is removed.
ties_of() {
  rm -f "$R/$1.ties"
  [ "${TIES:-1}" = 1 ] && [ "$(cat "$R/$1.compare.rc")" = 1 ] || return 0
  nice $PY "$ROOT/bench/zoo_export.py" ties "$1" "$R/$1.gradient.dir" 2>&1 | grep -v -i -e warn -e 'assert condition' > "$R/$1.ties" || true
}

grad_phase() {
  for m in $MODELS; do
    px=$(px_of "$m")
    [ -f "$Z/$m/meta.json" ] || nice $PY "$ROOT/bench/zoo_export.py" export "$m" 2>&1 | grep -v -i warn | grep '@' || true
    idx=$(reference_of "$m")
    run "$m" inspect "$BIN" inspect "$Z/$m.onnx" --json
    rm -rf "$R/$m.gradient.dir"
    run "$m" gradient "$BIN" gradient "$Z/$m.onnx" --data "$Z/data$px.npy" -o "$R/$m.gradient.dir" --indices "$idx"
    set +e
    $PY "$ROOT/bench/zoo_export.py" compare "$m" "$R/$m.gradient.dir" > "$R/$m.compare" 2>&1
    echo $? > "$R/$m.compare.rc"
    set -e
    ties_of "$m"
    # the gradients of vgg11_bn are 0.5 GB; keep only the comparison
    rm -rf "$R/$m.gradient.dir"
    echo "$m: inspect rc $(cat "$R/$m.inspect.rc"), gradient rc $(cat "$R/$m.gradient.rc"), compare: $(cat "$R/$m.compare")"
  done
}

memory_phase() {
  m=vgg11_bn_224
  [ -f "$Z/$m/meta.json" ] || nice $PY "$ROOT/bench/zoo_export.py" export "$m" 2>&1 | grep '@' || true
  idx=$(reference_of "$m")
  run "$m" inspect "$BIN" inspect "$Z/$m.onnx" --json
  rm -rf "$R/$m.gradient.dir"
  run "$m" gradient "$BIN" gradient "$Z/$m.onnx" --data "$Z/data224.npy" -o "$R/$m.gradient.dir" --indices "$idx"
  set +e
  $PY "$ROOT/bench/zoo_export.py" compare "$m" "$R/$m.gradient.dir" > "$R/$m.compare" 2>&1
  echo $? > "$R/$m.compare.rc"
  set -e
  ties_of "$m"
  rm -rf "$R/$m.gradient.dir"
  run "$m" exclusivity "$BIN" exclusivity "$Z/$m.onnx" --data "$Z/data224.npy" --batches 100 --json
  echo "$m: inspect rc $(cat "$R/$m.inspect.rc"), gradient rc $(cat "$R/$m.gradient.rc"), exclusivity rc $(cat "$R/$m.exclusivity.rc"), compare: $(cat "$R/$m.compare")"
}

report_phase() {
  for m in $MODELS; do
    [ "$m" = vgg11_bn_224 ] && continue
    px=$(px_of "$m")
    rm -rf "$R/$m.report.dir"
    echo "$REPORT_TIMEOUT" > "$R/$m.report.timeout"
    run "$m" report timeout "$REPORT_TIMEOUT" "$BIN" report "$Z/$m.onnx" --data "$Z/data$px.npy" -o "$R/$m.report.dir" --quick --formats pdf,json
    echo "$m: report rc $(cat "$R/$m.report.rc")"
  done
}

case $PHASE in
  grad) grad_phase ;;
  report) report_phase ;;
  memory) memory_phase ;;
  table) ;;
  all) grad_phase; memory_phase; report_phase ;;
  *) echo "unknown phase $PHASE; use grad, report, memory, table or all" >&2; exit 2 ;;
esac
# written beside and then moved: the table step reads the committed table's "before" cells (see zoo_export.py table)
$PY "$ROOT/bench/zoo_export.py" table "$R" > "$ROOT/bench/zoo-table.md.new"
mv "$ROOT/bench/zoo-table.md.new" "$ROOT/bench/zoo-table.md"
echo "wrote bench/zoo-table.md"
