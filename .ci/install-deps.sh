#!/usr/bin/env bash
# Installs what building and testing Kiln needs on Debian 12 (run as root, or with sudo available).
set -euo pipefail
packages=(
  cmake ninja-build g++ git
  libonnx-dev libonnx-testdata python3-onnx libprotobuf-dev protobuf-compiler
  libeigen3-dev libcli11-dev catch2 libfmt-dev nlohmann-json3-dev
  libbenchmark-dev  # x86 kernel microbenchmarks (test/x86)
  python3-numpy python3-torch python3-torchvision nodejs
  # cross targets and toolchains (kiln check --target cortex-m4|m7|m55|cortex-a, labels qemu and cmake):
  # Cortex-M gcc + newlib, AArch64, QEMU, clang/lld 16
  qemu-system-arm qemu-user gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib
  g++-aarch64-linux-gnu clang-16 lld-16
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Debian's nodejs lacks npm (a separate package); nodesource's nodejs brings its own and conflicts with it.
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi
sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
echo "install-deps: installing ${missing[*]}"
$sudo_cmd apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
