#!/usr/bin/env bash
# kiln check on the cross targets: a few small models built with the target's cross compiler and the board
# stubs, run under QEMU, compared with the expected outputs.
# Usage: check_targets.sh KILN DATA_ROOT REPO_ROOT TARGET...   Exit 77 (skipped) without the cross tools.
set -uo pipefail
kiln=$1 data=$2 repo=$3
shift 3
needs() {  # target -> the programs it runs
  case $1 in
    cortex-m*) echo arm-none-eabi-g++ qemu-system-arm ;;
    cortex-a) echo aarch64-linux-gnu-g++ qemu-aarch64 ;;
  esac
}
for t in "$@"; do
  for p in $(needs "$t"); do
    command -v "$p" >/dev/null || { echo "SKIP: $p is not installed (.ci/install-deps.sh installs it)"; exit 77; }
  done
done
# model [extra flags]: conv, gemm, softmax (single ops); smallcnn (conv/pool/gemm layers with intermediates in
# the arena), also with the arena passed in by the caller.
cases=(
  "$data/node/test_conv_with_strides_padding/model.onnx"
  "$data/node/test_gemm_all_attributes/model.onnx"
  "$data/node/test_softmax_axis_1/model.onnx"
  "$repo/examples/models/smallcnn/model.onnx"
  "$repo/examples/models/smallcnn/model.onnx --arena external"
)
failed=0
gen=$(mktemp -d)
trap 'rm -rf "$gen"' EXIT
for t in "$@"; do
  # kiln compile emits the portable kernels and names the target in the header comment.
  if "$kiln" compile --target "$t" "$repo/examples/models/smallcnn/model.onnx" -o "$gen/$t" >/dev/null &&
     head -1 "$gen/$t/model.h" | grep -q "for target $t\." && grep -q 'namespace kernels' "$gen/$t/model.cpp"; then
    echo "ok   $t: kiln compile names the target"
  else
    echo "FAIL $t: kiln compile --target $t"; failed=1
  fi
  for c in "${cases[@]}"; do
    # shellcheck disable=SC2086  # a case is a model path and its flags
    if out=$("$kiln" check --target "$t" $c 2>&1) && grep -q '^PASS' <<<"$out"; then
      echo "ok   $t: $c"
    else
      echo "FAIL $t: $c"
      sed 's/^/     /' <<<"$out"
      failed=1
    fi
  done
done
exit $failed
