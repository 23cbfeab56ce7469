#!/usr/bin/env bash
# Usage: setup_models.sh PYTHON OUTDIR
# The set-up of the `models` tests (a CTest fixture, so it runs once): exports every model of
# examples/models/export_models.py into OUTDIR/exported/NAME/ (model.onnx; pytorch/ = PyTorch's output on
# one input) and makes OUTDIR/exported/NAME/ort/test_data_set_{0,1}: seeded random inputs and ONNX
# Runtime's outputs for them. The export (about 10 s of CPU) is redone only when the script or the
# torch/onnx/torchvision versions changed: OUTDIR/export.stamp records what the present export was made with.
# Without torch/onnx in PYTHON, or without node/onnxruntime-node (KILN_ORT_DIR), it writes the reason to
# OUTDIR/SKIPPED and exits 77; the per-model tests read that file and skip too. Without torchvision only
# the torchvision models are left out (OUTDIR/exported/NAME.skipped says why; their tests skip).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [ $# -ne 2 ]; then
    echo "usage: $0 PYTHON OUTDIR" >&2
    exit 2
fi
python=$1 out=$2
export_script=$root/examples/models/export_models.py

mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out/SKIPPED"
skip() {
    echo "models: SKIP: $1" | tee "$out/SKIPPED"
    exit 77
}

[ -n "$python" ] && [ -x "$python" ] || skip "no python3 with torch (CMake found none)"
versions=$("$python" -c 'import torch, onnx; print(torch.__version__, onnx.__version__)' 2>/dev/null) ||
    skip "$python lacks torch or onnx (apt-get install python3-torch python3-onnx)"
versions="$versions $("$python" -c 'import torchvision; print(torchvision.__version__)' 2>/dev/null || echo none)"
command -v node >/dev/null || skip "node is not installed (ONNX Runtime runs in node; apt-get install nodejs)"
export NODE_PATH=${KILN_ORT_DIR:-$root/build/ort}/node_modules${NODE_PATH:+:$NODE_PATH}
ort_version=$(node -p "require('onnxruntime-node/package.json').version" 2>/dev/null) ||
    skip "onnxruntime-node is not in ${KILN_ORT_DIR:-$root/build/ort} (run test/ort/install_ort.sh)"

stamp="export_models.py $(sha256sum "$export_script" | cut -d' ' -f1); torch/onnx/torchvision $versions"
if [ -f "$out/export.stamp" ] && [ "$(cat "$out/export.stamp")" = "$stamp" ] && [ -d "$out/exported" ]; then
    echo "models: export is up to date ($stamp)"
else
    echo "models: exporting ($stamp)"
    rm -rf "$out/exported" "$out/exported.partial" "$out/export.stamp"
    start=$SECONDS
    # The exporter's UserWarnings (GRU batch size, prim::Constant shape inference) are noise here.
    "$python" -W ignore::UserWarning "$export_script" "$out/exported.partial" --skip-unavailable
    mv "$out/exported.partial" "$out/exported"  # only a complete export counts as present next time
    echo "$stamp" >"$out/export.stamp"
    echo "models: export took $((SECONDS - start)) s"
fi

# ONNX Runtime's outputs on seeded inputs: two data sets per model, remade each time (under a second each).
for dir in "$out"/exported/*/; do
    dir=${dir%/}
    rm -rf "$dir/ort"
    "$root/test/ort/make_reference.sh" "$dir/model.onnx" "$dir/ort" --sets 2 --seed 1 >/dev/null
    echo "models: $(basename "$dir"): ONNX Runtime $ort_version reference in $dir/ort"
done
