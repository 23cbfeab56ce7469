#!/usr/bin/env bash
# Kiln quickstart: a PyTorch model -> ONNX -> dependency-free C++ -> a host program that runs it.
#
#   examples/quickstart.sh [KILN] [WORKDIR]     defaults: build/compiler/kiln, build/quickstart
#
# 1. exports examples/models/export_smallcnn.py's model into WORKDIR/smallcnn (once; without PyTorch it
#    copies the checked-in export, examples/models/smallcnn), 2. `kiln compile` -> WORKDIR/generated,
# 3. `kiln check` against PyTorch's own output, 4. builds examples/host_demo with the generated code under
# -std=c++14 -Wall -Wextra -Werror -pedantic, 5. runs it. Any failing step stops the script with its
# exit code. Exit 77 means there is no model to use (CTest reads it as a skip).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
kiln=${1:-$root/build/compiler/kiln}
work=${2:-$root/build/quickstart}
python=${PYTHON:-/usr/bin/python3}
cxx=${CXX:-c++}

current="start"
trap 'echo "quickstart: FAILED at step: $current" >&2' ERR
step() {
    current=$1
    echo
    echo "== quickstart: $current"
}

[ -x "$kiln" ] || { echo "quickstart: $kiln is not an executable (build Kiln first, or pass its path)" >&2; exit 1; }
mkdir -p "$work"
model_dir=$work/smallcnn
model=$model_dir/model.onnx

if [ ! -f "$model" ]; then
    rm -rf "$model_dir.partial"
    if "$python" -c 'import torch, onnx' 2>/dev/null; then
        step "export the PyTorch model to ONNX (trains for about 20 s)"
        "$python" "$root/examples/models/export_smallcnn.py" "$model_dir.partial"
    elif [ -f "$root/examples/models/smallcnn/model.onnx" ]; then
        step "copy the checked-in ONNX export ($python has no torch/onnx: apt-get install python3-torch python3-onnx)"
        cp -r "$root/examples/models/smallcnn" "$model_dir.partial"
    else
        echo "quickstart: SKIP: no PyTorch to export the model with and no checked-in export" >&2
        exit 77
    fi
    mv "$model_dir.partial" "$model_dir"  # only a complete export counts as present next time
fi

step "kiln compile"
"$kiln" compile "$model" --name smallcnn -o "$work/generated"

step "kiln check (generated code against PyTorch's output)"
"$kiln" check "$model" --data "$model_dir" --work-dir "$work/check"

step "build host_demo"
build=("$cxx" -std=c++14 -Wall -Wextra -Werror -pedantic -O2 -I"$work/generated"
       "$root/examples/host_demo/main.cpp" "$work/generated/smallcnn.cpp" -o "$work/host_demo")
echo "${build[*]}"
"${build[@]}"

step "run host_demo"
"$work/host_demo"

step "run host_demo on every built-in pattern"
"$work/host_demo" --all

if "$python" -c 'import onnx, numpy' 2>/dev/null; then
    step "run host_demo on the test input (raw float32 file)"
    "$python" -c 'import sys, onnx; from onnx import numpy_helper as nh
nh.to_array(onnx.load_tensor(sys.argv[1])).astype("<f4").tofile(sys.argv[2])' \
        "$model_dir/test_data_set_0/input_0.pb" "$work/input_0.raw"
    "$work/host_demo" --raw "$work/input_0.raw"
fi

echo
echo "quickstart: OK (generated code in $work/generated)"
