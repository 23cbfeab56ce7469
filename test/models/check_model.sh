#!/usr/bin/env bash
# Usage: check_model.sh KILN OUTDIR NAME [--target T] [--awaiting-op OP]...
# One `models` test: the model OUTDIR/exported/NAME (made by setup_models.sh) is
#  1. run by ONNX Runtime on PyTorch's input: ONNX Runtime must agree with the model's author (else the
#     reference, not Kiln, is in question and the test fails saying so);
#  2. compiled, built and run by `kiln check` against ONNX Runtime's outputs on seeded inputs, rtol 1e-3,
#     atol 1e-4, for --target T (default portable; x86-avx2/x86-avx512 skip on a CPU without the ISA). The
#     generated code is kept in OUTDIR/check/NAME[-T] when the check fails.
# Exits 77 (a CTest skip) when the set-up skipped or left this model out (NAME.skipped: no torchvision).
# --awaiting-op OP: while Kiln has no operator OP at all, the test skips saying so instead of failing; once
# OP exists the model is checked like any other.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [ $# -lt 3 ]; then
    echo "usage: $0 KILN OUTDIR NAME [--target T] [--awaiting-op OP]..." >&2
    exit 2
fi
kiln=$1 out=$2 name=$3
shift 3
awaiting=()
target=portable
while [ $# -gt 0 ]; do
    case $1 in
        --awaiting-op) awaiting+=("$2"); shift 2 ;;
        --target) target=$2; shift 2 ;;
        *) echo "check_model: unknown option $1" >&2; exit 2 ;;
    esac
done
case $target in
    x86-avx2) need="avx2 fma" ;;
    x86-avx512) need="avx512f avx512bw avx512vl avx512dq fma" ;;
    *) need="" ;;
esac
for f in $need; do
    grep -qw "$f" /proc/cpuinfo || { echo "check_model: SKIP: this CPU lacks $f for $target"; exit 77; }
done
if [ -f "$out/SKIPPED" ]; then
    cat "$out/SKIPPED"
    exit 77
fi
model_dir=$out/exported/$name
if [ -f "$model_dir.skipped" ]; then
    echo "check_model: SKIP: $(cat "$model_dir.skipped")"
    exit 77
fi
[ -f "$model_dir/model.onnx" ] && [ -d "$model_dir/ort" ] ||
    { echo "check_model: $model_dir has no model.onnx or ort/ (did models.setup run?)" >&2; exit 2; }

# Each target's test has its own folders: the tests of one model run in parallel.
suffix=$([ "$target" = portable ] || echo "-$target")
echo "== $name: ONNX Runtime against PyTorch"
export NODE_PATH=${KILN_ORT_DIR:-$root/build/ort}/node_modules${NODE_PATH:+:$NODE_PATH}
if ! "$root/test/ort/ort_vs_reference.sh" "$model_dir/model.onnx" "$model_dir/pytorch" "$out/ort_vs_pytorch/$name$suffix" \
        --rtol 1e-3 --atol 1e-4; then
    echo "check_model: $name: ONNX Runtime disagrees with PyTorch: the reference itself is in question" >&2
    exit 1
fi

echo "== $name: kiln check --target $target against ONNX Runtime"
work=$out/check/$name$suffix
rm -rf "$work"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$(date +%s.%N)
status=0
"$kiln" check "$model_dir/model.onnx" --target "$target" --data "$model_dir/ort" --rtol 1e-3 --atol 1e-4 --work-dir "$work" 2>&1 |
    tee "$log" || status=${PIPESTATUS[0]}
echo "check_model: $name: kiln check took $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s, exit $status"
if [ "$status" -eq 0 ]; then
    rm -rf "$work"  # the generated source of a big model is hundreds of MB
    exit 0
fi
for op in "${awaiting[@]}"; do
    if grep -q "($op, opset [0-9]*): operator is not supported" "$log"; then
        echo "check_model: SKIP: $name needs $op, which Kiln does not have yet"
        exit 77
    fi
done
exit "$status"
