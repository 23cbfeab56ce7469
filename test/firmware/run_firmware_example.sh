#!/usr/bin/env bash
# Builds examples/cortex_m_firmware against an installed Kiln for one QEMU board and runs it there.
#
#   run_firmware_example.sh PREFIX WORKDIR BOARD CPU [PYTHON]
#
# Configures the example with PREFIX's arm-none-eabi-gcc toolchain file (a fresh WORKDIR each time), builds it
# with Ninja (export, test vectors, kiln compile, firmware, its flash/RAM printout), checks that building again
# does nothing, then runs it under qemu-system-arm with a timeout (the example's own ctest). Passes when QEMU
# exits with status 0 and the firmware printed PASS.
# Exit 77 (a skip for CTest) when a tool is missing: arm-none-eabi-gcc, qemu-system-arm, ninja, or a Python
# with torch and onnx to export the model with.
set -euo pipefail
prefix=$1 work=$2 board=$3 cpu=$4 python=${5:-/usr/bin/python3}
example=$(cd "$(dirname "$0")/../../examples/cortex_m_firmware" && pwd)

skip() { echo "firmware example: SKIP: $*" >&2; exit 77; }
for tool in arm-none-eabi-gcc qemu-system-arm ninja; do
    command -v "$tool" >/dev/null || skip "$tool is not installed (.ci/install-deps.sh)"
done
"$python" -c 'import torch, onnx' 2>/dev/null || skip "$python has no torch/onnx to export the DS-CNN with"
[ -f "$prefix/lib/cmake/Kiln/KilnConfig.cmake" ] || { echo "firmware example: no Kiln installed in $prefix" >&2; exit 1; }

now() { date +%s.%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

rm -rf "$work"
t0=$(now)
cmake -S "$example" -B "$work" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_TOOLCHAIN_FILE="$prefix/share/kiln/toolchains/arm-none-eabi-gcc.cmake" \
      -DKILN_CPU="$cpu" -DKILN_BOARD="$board" -DKWS_PYTHON="$python"
t1=$(now)
cmake --build "$work" | tee "$work/example-build.log"
t2=$(now)
grep -Eq "flash [0-9]+ bytes.*RAM [0-9]+ bytes" "$work/example-build.log" || { echo "firmware example: no flash/RAM line" >&2; exit 1; }
# A second build must find nothing to do (the model, vectors and firmware are up to date).
again=$(cmake --build "$work")
if ! grep -q "no work to do" <<<"$again"; then
    echo "firmware example: a second build with nothing changed rebuilt something:" >&2
    echo "$again" >&2
    exit 1
fi
# The example's own test: kiln_add_firmware's QEMU command; passes on exit status 0 and a PASS line.
t3=$(now)
ctest --test-dir "$work" --verbose
t4=$(now)
echo "firmware example ($board, $cpu): PASS; configure $(seconds "$t0" "$t1") s, build $(seconds "$t1" "$t2") s," \
     "run in QEMU $(seconds "$t3" "$t4") s"
