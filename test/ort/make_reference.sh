#!/usr/bin/env bash
# Usage: make_reference.sh MODEL OUTDIR [ort_run.js make options: --sets N --seed S --input-shape NAME=DIMS --uniform LO,HI]
# Writes OUTDIR/test_data_set_K/{input_N,output_N}.pb: seeded random inputs from the model's input shapes
# and ONNX Runtime's outputs for them, so that `kiln check MODEL --data OUTDIR` compares Kiln with ONNX
# Runtime. ONNX Runtime comes from $KILN_ORT_DIR/node_modules (default build/ort; see install_ort.sh).
# Exits 77 when node or onnxruntime-node is missing.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
if [ $# -lt 2 ]; then
    echo "usage: $0 MODEL OUTDIR [--sets N] [--seed S] [--input-shape NAME=DIMS]... [--uniform LO,HI]" >&2
    exit 2
fi
model=$1 outdir=$2
shift 2
command -v node >/dev/null || { echo "make_reference: node is not installed" >&2; exit 77; }
export NODE_PATH=${KILN_ORT_DIR:-$here/../../build/ort}/node_modules${NODE_PATH:+:$NODE_PATH}
exec node "$here/ort_run.js" make "$model" "$outdir" "$@"
