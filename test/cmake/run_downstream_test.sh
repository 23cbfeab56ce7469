#!/usr/bin/env bash
# Tests of Kiln's CMake package with test/cmake/downstream, a downstream project.
#   run_downstream_test.sh host  KILN_BUILD_DIR WORK   install into WORK/prefix; find_package; build, run; rebuilds
#   run_downstream_test.sh subdir KILN_SOURCE_DIR WORK add_subdirectory of the source tree; build the model library
#   run_downstream_test.sh cross KILN_BUILD_DIR WORK   each toolchain file builds the model library
# Exit 0 on success, 77 when a tool is missing (ctest SKIP_RETURN_CODE).
set -euo pipefail
mode=$1
kiln_dir=$(cd "$2" && pwd)
work=$3
here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
smallcnn=$source_dir/examples/models/smallcnn
rm -rf "$work"
mkdir -p "$work"
command -v ninja >/dev/null || { echo "SKIP: no ninja"; exit 77; }

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $* ($(date +%T))"; }

install_kiln() {
  step "cmake --install into $work/prefix"
  cmake --install "$kiln_dir" --prefix "$work/prefix" >"$work/install.log"
  [ -x "$work/prefix/bin/kiln" ] || fail "no bin/kiln in the prefix"
  for f in KilnConfig.cmake KilnConfigVersion.cmake KilnAddModel.cmake; do
    [ -f "$work/prefix/lib/cmake/Kiln/$f" ] || fail "no lib/cmake/Kiln/$f in the prefix"
  done
  for t in arm-none-eabi-gcc arm-none-eabi-clang aarch64-linux-gnu-gcc aarch64-linux-gnu-clang; do
    [ -f "$work/prefix/share/kiln/toolchains/$t.cmake" ] || fail "no share/kiln/toolchains/$t.cmake"
  done
  for f in KilnBoards.cmake; do
    [ -f "$work/prefix/lib/cmake/Kiln/$f" ] || fail "no lib/cmake/Kiln/$f in the prefix"
  done
  [ -f "$work/prefix/share/kiln/runtime-stubs/boards/common/firmware_harness.h" ] || fail "no board files in the prefix"
  # Headers belong only to the board stubs (firmware sources); no tests, no libraries, no Kiln headers.
  extra=$(cd "$work/prefix" && find . -path ./share/kiln/runtime-stubs -prune -o \( -path '*test*' -o -iname '*catch*' \
          -o -name '*.a' -o -name '*.h' \) -print)
  [ -z "$extra" ] || fail "tests, libraries or headers were installed: $extra"

  "$work/prefix/bin/kiln" --version >/dev/null || fail "the installed kiln does not run"
}

# The build edges one `ninja` run executed, one description per line ("Building CXX object ...").
edges() { sed -n 's/^\[[0-9]*\/[0-9]*\] //p' "$1"; }

case $mode in
host)
  install_kiln
  step "expected outputs from the reference evaluator (kiln run)"
  cp "$smallcnn/model.onnx" "$work/model.onnx"
  "$work/prefix/bin/kiln" run "$work/model.onnx" --data "$smallcnn/test_data_set_0" --out "$work/expected" >/dev/null
  vectors=("$smallcnn/test_data_set_0/input_0.pb" "$work/expected/output_0.pb")
  b=$work/build
  step "configure (find_package(Kiln 0.1))"
  cmake -S "$here/downstream" -B "$b" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$work/prefix" \
        -DMODEL="$work/model.onnx" >"$work/configure.log" || { cat "$work/configure.log"; fail "configure"; }
  step "build"
  ninja -C "$b" >"$work/build1.log" || { cat "$work/build1.log"; fail "first build"; }
  gen=$b/kiln/model_lib
  for f in smallcnn.h smallcnn.cpp smallcnn-weights-0.cpp smallcnn-weights-1.cpp; do
    [ -f "$gen/$f" ] || fail "no $f in $gen"
  done
  [ -f "$b/model_report.json" ] || fail "REPORT: no model_report.json"
  step "run"
  "$b/downstream" "${vectors[@]}" || fail "the downstream program's outputs differ"

  step "nothing changed: nothing rebuilds"
  ninja -C "$b" >"$work/build2.log"
  grep -q "ninja: no work to do" "$work/build2.log" || { cat "$work/build2.log"; fail "a second build did work"; }
  step "the same configure again: nothing rebuilds (the flags file is unchanged)"
  cmake "$b" >/dev/null
  ninja -C "$b" >"$work/build3.log"
  grep -q "ninja: no work to do" "$work/build3.log" || { cat "$work/build3.log"; fail "a reconfigure rebuilt"; }

  step "touch the model: regeneration, the model library's objects, main.o (it includes the header), relink"
  sleep 1
  touch "$work/model.onnx"
  ninja -C "$b" -d explain >"$work/build4.log" 2>"$work/explain4.log"
  edges "$work/build4.log" | sort >"$work/edges4.txt"
  cat >"$work/edges4.expected" <<EOT
Building CXX object CMakeFiles/downstream.dir/main.cpp.o
Building CXX object CMakeFiles/model_lib.dir/kiln/model_lib/smallcnn-weights-0.cpp.o
Building CXX object CMakeFiles/model_lib.dir/kiln/model_lib/smallcnn-weights-1.cpp.o
Building CXX object CMakeFiles/model_lib.dir/kiln/model_lib/smallcnn.cpp.o
Kiln: compiling $work/model.onnx into smallcnn.h/.cpp
Linking CXX executable downstream
Linking CXX static library libmodel_lib.a
EOT
  sort -o "$work/edges4.expected" "$work/edges4.expected"
  diff "$work/edges4.expected" "$work/edges4.txt" ||
    { cat "$work/explain4.log"; fail "touching the model rebuilt other edges than these"; }
  ninja -C "$b" >"$work/build5.log"
  grep -q "ninja: no work to do" "$work/build5.log" || { cat "$work/build5.log"; fail "build after the touch not clean"; }
  "$b/downstream" "${vectors[@]}" >/dev/null || fail "outputs differ after the regeneration"

  step "a newer kiln (reinstalled): kiln reruns"
  touch "$work/prefix/bin/kiln"
  ninja -C "$b" >"$work/build4k.log"
  edges "$work/build4k.log" | grep -q "^Kiln: compiling" || { cat "$work/build4k.log"; fail "kiln did not rerun"; }

  step "an option changes (ARENA external): kiln reruns"
  cmake "$b" -DMODEL_ARENA=external >/dev/null
  grep -qx -- "--arena" "$b/kiln/model_lib.flags" || fail "the flags file lacks --arena"
  ninja -C "$b" >"$work/build6.log" || { cat "$work/build6.log"; fail "build with ARENA external"; }
  edges "$work/build6.log" | grep -q "^Kiln: compiling" || { cat "$work/build6.log"; fail "kiln did not rerun"; }
  grep -q "int run(uint8_t\* arena" "$gen/smallcnn.h" || fail "ARENA external: run() takes no arena"
  "$b/downstream" "${vectors[@]}" >/dev/null || fail "outputs differ with ARENA external"

  step "NAME changes: new files, the program follows"
  cmake "$b" -DMODEL_NAME=cnn >/dev/null
  ninja -C "$b" >"$work/build7.log" || { cat "$work/build7.log"; fail "build with NAME cnn"; }
  [ -f "$gen/cnn.cpp" ] && [ -f "$gen/cnn-weights-1.cpp" ] || fail "NAME cnn: no cnn.cpp / cnn-weights-1.cpp"
  [ ! -e "$gen/smallcnn.h" ] || fail "NAME cnn: the files of NAME smallcnn are still there"
  "$b/downstream" "${vectors[@]}" >/dev/null || fail "outputs differ with NAME cnn"

  for t in x86-avx2 x86-avx512; do
    flag=$([ $t = x86-avx2 ] && echo avx2 || echo avx512f)
    grep -qw "$flag" /proc/cpuinfo || continue
    step "TARGET $t: the library gets the ISA flags, the program runs and matches"
    cmake "$b" -DMODEL_TARGET=$t >/dev/null
    ninja -C "$b" >"$work/build-$t.log" || { cat "$work/build-$t.log"; fail "build with TARGET $t"; }
    grep -q "k::x86::" "$gen/cnn.cpp" || fail "TARGET $t: no x86 kernel in cnn.cpp"
    "$b/downstream" "${vectors[@]}" >/dev/null || fail "outputs differ with TARGET $t"
  done
  cmake "$b" -DMODEL_TARGET= >/dev/null

  step "kiln_add_model's argument errors stop the configure with a message"
  mkdir -p "$work/bad"
  for call in "bad-lib MODEL m.onnx|'bad-lib' is not usable as a C++ namespace" "lib NAME n|MODEL <file.onnx> is required" \
              "lib MODEL m.onnx ARENA heap|ARENA is internal or external" "lib MODEL m.onnx WEIGHT_FILES x|not a number" \
              "lib MODEL m.onnx TYPO 1|unknown arguments: TYPO" \
              "lib MODEL m.onnx OPTIONS --weight-file-bytes 100|--weight-file-bytes in OPTIONS: use the keywords"; do
    printf 'cmake_minimum_required(VERSION 3.20)\nproject(bad LANGUAGES CXX)\nfind_package(Kiln 0.1 REQUIRED)\nkiln_add_model(%s)\n' \
           "${call%%|*}" >"$work/bad/CMakeLists.txt"
    rm -rf "$work/bad/build"
    if cmake -S "$work/bad" -B "$work/bad/build" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" >"$work/bad.log" 2>&1; then
      fail "kiln_add_model(${call%%|*}) configured"
    fi
    grep -qF -- "${call#*|}" "$work/bad.log" || { cat "$work/bad.log"; fail "kiln_add_model(${call%%|*}): no '${call#*|}'"; }
  done

  step "a broken model fails the build with kiln's one-line error and leaves no generated file"
  head -c 2000 /dev/urandom >"$work/model.onnx"
  if ninja -C "$b" >"$work/build8.log" 2>&1; then cat "$work/build8.log"; fail "a broken model built"; fi
  grep -c "^kiln compile: .*not a valid ONNX model" "$work/build8.log" | grep -qx 1 ||
    { cat "$work/build8.log"; fail "no one-line kiln error in the build output"; }
  leftovers=$(ls -A "$gen")
  [ -z "$leftovers" ] || fail "stale generated files after a failed compile: $leftovers"
  if ninja -C "$b" >"$work/build9.log" 2>&1; then fail "the broken model built on the second try"; fi
  grep -q "^kiln compile: " "$work/build9.log" || fail "the second build did not rerun kiln"
  ;;
subdir)
  b=$work/build
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  step "configure with add_subdirectory($kiln_dir)"
  # RelWithDebInfo as Kiln's own build, so that ccache can serve its objects
  cmake -S "$here/downstream" -B "$b" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKILN_SOURCE_DIR="$kiln_dir" \
        "${launcher[@]}" >"$work/configure.log" || { cat "$work/configure.log"; fail "configure"; }
  step "build the model library (kiln is built first)"
  ninja -C "$b" model_lib >"$work/build1.log" || { tail -50 "$work/build1.log"; fail "build"; }
  grep -q "Linking CXX executable kiln/compiler/kiln" "$work/build1.log" || fail "the in-tree kiln was not built"
  [ -f "$b/kiln/model_lib/smallcnn.h" ] || fail "no smallcnn.h"
  step "a rebuilt kiln regenerates the model"
  touch "$b/kiln/compiler/kiln"
  ninja -C "$b" model_lib >"$work/build1k.log" || { cat "$work/build1k.log"; fail "build"; }
  edges "$work/build1k.log" | grep -q "^Kiln: compiling" || { cat "$work/build1k.log"; fail "kiln did not rerun"; }
  step "build the program and run it"
  ninja -C "$b" downstream >"$work/build2.log" || { cat "$work/build2.log"; fail "build"; }
  "$b/downstream" "$smallcnn/test_data_set_0/input_0.pb" "$smallcnn/test_data_set_0/output_0.pb" ||
    fail "outputs differ from the test data set's"
  ;;
cross)
  install_kiln
  ran=0
  # toolchain | KILN_CPU | the ELF machine | what readelf -A must show (Tag_CPU_arch, Tag_FP_arch; - for none)
  while read -r toolchain cpu machine arch fp; do
    compiler=$(sed -n 's/^set(CMAKE_CXX_COMPILER \([^ )]*\)).*/\1/p' "$work/prefix/share/kiln/toolchains/$toolchain.cmake")
    if ! command -v "$compiler" >/dev/null; then echo "skip $toolchain: no $compiler"; continue; fi
    b=$work/$toolchain-$cpu
    step "$toolchain $cpu"
    cmake -S "$here/downstream" -B "$b" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$work/prefix" \
          -DCMAKE_TOOLCHAIN_FILE="$work/prefix/share/kiln/toolchains/$toolchain.cmake" -DKILN_CPU="$cpu" \
          -DMODEL_WEIGHT_FILES=0 \
          >"$work/$toolchain-$cpu.configure.log" 2>&1 || { cat "$work/$toolchain-$cpu.configure.log"; fail "configure"; }
    ninja -C "$b" model_lib >"$work/$toolchain-$cpu.build.log" 2>&1 ||
      { cat "$work/$toolchain-$cpu.build.log"; fail "$toolchain $cpu: build"; }
    [ "$(ls "$b/kiln/model_lib")" = "$(printf 'smallcnn.cpp\nsmallcnn.h')" ] ||
      fail "WEIGHT_FILES 0: not just smallcnn.h and smallcnn.cpp: $(ls "$b/kiln/model_lib")"
    obj=$(ls "$b"/CMakeFiles/model_lib.dir/kiln/model_lib/smallcnn.cpp.o*)  # .obj for Generic systems
    readelf -h "$obj" | grep -q "Machine: *$machine" || fail "$toolchain $cpu: $obj is not for $machine"
    if [ "$arch" != "-" ]; then
      attrs=$(readelf -A "$obj")
      for want in "Tag_CPU_arch: $arch" "Tag_FP_arch: $fp" "Tag_ABI_VFP_args: VFP registers"; do
        grep -qF "$want" <<<"$attrs" || { echo "$attrs"; fail "$toolchain $cpu: no '$want' in readelf -A"; }
      done
      if [ "$cpu" = cortex-m55 ]; then
        grep -qF "Tag_MVE_arch: MVE Integer and FP" <<<"$attrs" || fail "$toolchain $cpu: no MVE"
      fi
    fi
    ran=$((ran + 1))
  done <<EOT
arm-none-eabi-gcc cortex-m4 ARM v7E-M VFPv4-D16
arm-none-eabi-gcc cortex-m7 ARM v7E-M FPv5/FP-D16
arm-none-eabi-gcc cortex-m55 ARM v8.1-M.mainline FPv5/FP-D16
arm-none-eabi-clang cortex-m4 ARM v7E-M VFPv4-D16
arm-none-eabi-clang cortex-m7 ARM v7E-M FPv5/FP-D16
arm-none-eabi-clang cortex-m55 ARM v8.1-M.mainline FPv5/FP-D16
aarch64-linux-gnu-gcc - AArch64 - -
aarch64-linux-gnu-clang - AArch64 - -
EOT
  [ $ran -gt 0 ] || { echo "SKIP: no cross compiler"; exit 77; }
  ;;
*)
  echo "usage: $0 host|subdir|cross KILN_DIR WORK" >&2
  exit 2
  ;;
esac
step "done"
