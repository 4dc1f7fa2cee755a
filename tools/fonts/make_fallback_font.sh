#!/usr/bin/env bash
# Regenerates the fallback fonts embedded in OnnxAudit.Core (Reporting/Fonts/*.ttf).
#
# The PDF renderer prefers system fonts (DejaVu Sans / Liberation Sans). When none is installed it
# uses these subsets, embedded as resources, so a report can always be rendered.
#
# Needs Debian packages:  apt-get install -y python3-fonttools fonts-dejavu-core
# Usage:                   bash tools/fonts/make_fallback_font.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/../../src/OnnxAudit.Core/Reporting/Fonts"
src="${DEJAVU_DIR:-/usr/share/fonts/truetype/dejavu}"

# why: Debian's python3-fonttools ships the module but not the pyftsubset wrapper; call it as a module
# with the system interpreter (a pyenv python3 on PATH would not see Debian's dist-packages).
py=/usr/bin/python3
"$py" -c "import fontTools.subset" 2>/dev/null || { echo "fontTools not importable by $py: apt-get install -y python3-fonttools" >&2; exit 2; }
for f in DejaVuSans.ttf DejaVuSans-Bold.ttf; do
  [[ -f "$src/$f" ]] || { echo "$src/$f not found: apt-get install -y fonts-dejavu-core" >&2; exit 2; }
done

# Latin (Basic, Latin-1, Extended-A), Greek (λ σ β δ Φ …), general punctuation (– — … ‰ •),
# super/subscripts, letterlike symbols, arrows (→ ←), mathematical operators (≥ ≤ × ± − √ ∞ ≈ ∑ ‖),
# geometric shapes (■ ● ▲), check marks (✓ ✗).
unicodes="U+0020-007E,U+00A0-017F,U+0370-03FF,U+2000-206F,U+2070-209F,U+20AC,U+2100-214F,U+2190-21FF,U+2200-22FF,U+2300-23FF,U+25A0-25FF,U+2713-2717"

mkdir -p "$out"
for f in DejaVuSans DejaVuSans-Bold; do
  "$py" -m fontTools.subset "$src/$f.ttf" \
    --unicodes="$unicodes" \
    --layout-features='kern,liga' \
    --name-IDs='*' --name-legacy --name-languages='*' \
    --notdef-outline --glyph-names \
    --no-hinting \
    --output-file="$out/${f}-Subset.ttf"
  echo "wrote $out/${f}-Subset.ttf ($(stat -c %s "$out/${f}-Subset.ttf") bytes)"
done

# The Bitstream Vera / DejaVu license must travel with the font files.
lic="/usr/share/doc/fonts-dejavu-core/copyright"
[[ -f "$lic" ]] || { echo "$lic not found (fonts-dejavu-core)" >&2; exit 2; }
cp "$lic" "$out/DejaVu-LICENSE.txt"
echo "wrote $out/DejaVu-LICENSE.txt"
