#!/bin/sh
# R-CONV reconstruction: time per reconstructed image, ours (RConvReconstructor, Release, warm) vs the PyTorch
# re-implementation of the same algorithm (tests/reference/rconv_reference.py), on the same torch single-sample
# gradients: the committed R-CONV LeNet fixture (10 smooth 3x32x32 images) and cnn6 on the first 10 bundled
# Fashion-MNIST test images (fixture generated into a temp dir). Prints per-image seconds and PSNR of both sides and
# the ratio ours/reference (lower is better). Usage: bench/rconv.sh [REPEATS]  (best of REPEATS per image, default 1)
set -e
cd "$(dirname "$0")/.."
REPEATS=${1:-1}
PY=/usr/bin/python3
REF=tests/reference/rconv_reference.py
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
dotnet build -c Release bench/OnnxAudit.Bench -v q >/dev/null
BIN=bench/OnnxAudit.Bench/bin/Release/net10.0/OnnxAudit.Bench
$PY $REF fixtures --model cnn6 --out "$TMP" 2>/dev/null
for spec in "rconv_lenet tests/reference/rconv" "cnn6 $TMP"; do
  set -- $spec
  NAME=$1; DIR=$2
  DOTNET_TieredPGO=0 OMP_NUM_THREADS=1 $BIN rconv "$DIR" "$NAME" "$REPEATS" > "$TMP/ours.txt"
  OMP_NUM_THREADS=1 $PY $REF reconstruct --model "$NAME" --out "$DIR" --repeats "$REPEATS" > "$TMP/ref.json"
  $PY - "$NAME" "$TMP/ours.txt" "$TMP/ref.json" <<'PYEOF'
import json, sys
name, ours_path, ref_path = sys.argv[1:]
ours = [l.split(maxsplit=4) for l in open(ours_path) if l.startswith("image ")]
ref = json.load(open(ref_path))
print(f"== {name}: per image (seconds, PSNR dB)")
print("image   ours_s  ref_s   ours_dB  ref_dB")
for (_, i, t, p, _), rt, rp in zip(ours, ref["seconds_per_image"], ref["psnr_db"]):
    print(f"{int(i):5d}  {float(t):7.3f} {rt:7.3f}  {float(p):7.1f} {rp if rp is None else round(rp, 1):>7}")
mo = sum(float(o[2]) for o in ours) / len(ours)
mr = ref["mean_seconds_per_image"]
print(f"mean   {mo:7.3f} {mr:7.3f}   ratio ours/reference = {mo / mr:.2f}")
print("ours:", ours[-1][4].strip())
print("reference:", "; ".join(ref["methods"]))
PYEOF
done
