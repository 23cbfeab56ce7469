#!/usr/bin/env bash
# Usage: ort_vs_reference.sh MODEL DATASET WORKDIR [--rtol R --atol A]
# Runs ONNX Runtime on DATASET/input_N.pb and compares its outputs with DATASET/output_N.pb (made by
# another framework, e.g. PyTorch for examples/models/smallcnn): checks that the reference runner agrees
# with the model's author before Kiln is compared with it. Exits 77 when node or onnxruntime-node is missing.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
if [ $# -lt 3 ]; then
    echo "usage: $0 MODEL DATASET WORKDIR [--rtol R --atol A]" >&2
    exit 2
fi
model=$1 data=$2 work=$3
shift 3
command -v node >/dev/null || { echo "ort_vs_reference: SKIP: node is not installed"; exit 77; }
export NODE_PATH=${KILN_ORT_DIR:-$here/../../build/ort}/node_modules${NODE_PATH:+:$NODE_PATH}

rm -rf "$work"
mkdir -p "$work"
node "$here/ort_run.js" run "$model" "$data" --out "$work"
status=0
for want in "$data"/output_*.pb; do
    node "$here/ort_run.js" compare "$work/$(basename "$want")" "$want" "$@" || status=1
done
exit "$status"
