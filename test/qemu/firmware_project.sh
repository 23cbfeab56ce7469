#!/usr/bin/env bash
# Builds test/qemu/firmware_project for one board (kiln_add_firmware + the firmware harness + a kiln-compiled
# model), runs <exe>-run and <exe>-size, and checks the harness's verdict.
# Usage: firmware_project.sh KILN REPO_ROOT WORK_DIR BOARD CPU PYTHON    Exit 77 without the cross tools.
set -euo pipefail
kiln=$(realpath "$1") repo=$(realpath "$2") work=$3 board=$4 cpu=$5 python=$6
for p in arm-none-eabi-g++ qemu-system-arm; do
  command -v "$p" >/dev/null || { echo "SKIP: $p is not installed (.ci/install-deps.sh installs it)"; exit 77; }
done
rm -rf "$work"
cmake -S "$repo/test/qemu/firmware_project" -B "$work" -G Ninja \
  -DCMAKE_SYSTEM_NAME=Generic -DCMAKE_SYSTEM_PROCESSOR=arm -DCMAKE_CXX_COMPILER=arm-none-eabi-g++ \
  -DCMAKE_TRY_COMPILE_TARGET_TYPE=STATIC_LIBRARY \
  "-DCMAKE_CXX_FLAGS=-mcpu=$cpu -mthumb -mfloat-abi=hard -fno-exceptions -fno-rtti" -DCMAKE_BUILD_TYPE=Release \
  "-DCMAKE_EXE_LINKER_FLAGS=--specs=rdimon.specs" \
  -DKILN="$kiln" -DKILN_BOARDS_CMAKE="$repo/runtime-stubs/cmake/KilnBoards.cmake" \
  -DMODEL_DIR="$repo/examples/models/smallcnn" -DBOARD="$board" -DKILN_CPU="$cpu" -DPYTHON="$python" >/dev/null
cmake --build "$work" >/dev/null
out=$(cmake --build "$work" --target net_fw-run 2>&1) || { echo "$out"; echo "FAIL: net_fw-run"; exit 1; }
echo "$out" | grep -E "^(kiln firmware|set |PASS|FAIL)"
grep -q "^PASS" <<<"$out" || { echo "FAIL: no PASS line"; exit 1; }
cmake --build "$work" --target net_fw-size 2>&1 | grep "flash"
cmake --build "$work" --target net_fw-status >/dev/null || { echo "FAIL: KILN_QEMU_COMMAND"; exit 1; }
# Nothing to do on a second build.
if cmake --build "$work" -- -n -d explain 2>&1 | grep -q "dirty"; then echo "FAIL: a rebuild with no change"; exit 1; fi
