#!/usr/bin/env bash
# Usage: kiln_vs_ort.sh KILN MODEL WORKDIR [kiln check options...]
# Makes seeded random inputs for MODEL, runs ONNX Runtime on them (make_reference.sh, two data sets) and
# runs `kiln check` against ONNX Runtime's outputs. Exits 77 (a CTest skip) when node or onnxruntime-node
# is missing, otherwise with kiln check's exit code.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
if [ $# -lt 3 ]; then
    echo "usage: $0 KILN MODEL WORKDIR [kiln check options...]" >&2
    exit 2
fi
kiln=$1 model=$2 work=$3
shift 3
[ -x "$kiln" ] || { echo "kiln_vs_ort: $kiln is not an executable" >&2; exit 2; }

rm -rf "$work/ort_reference"
mkdir -p "$work"
status=0
"$here/make_reference.sh" "$model" "$work/ort_reference" --sets 2 --seed 1 || status=$?
if [ "$status" -eq 77 ]; then
    echo "kiln_vs_ort: SKIP: ONNX Runtime is not available (run test/ort/install_ort.sh)"
    exit 77
fi
[ "$status" -eq 0 ] || exit "$status"
exec "$kiln" check "$model" --data "$work/ort_reference" --work-dir "$work/check" "$@"
