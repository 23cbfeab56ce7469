#!/usr/bin/env bash
# A cross target whose compiler or emulator is missing: `kiln check` exits 4 with one line naming the program.
# Usage: missing_tools.sh KILN MODEL
set -uo pipefail
kiln=$1 model=$2
empty=$(mktemp -d)
fakebin=$(mktemp -d)
trap 'rm -rf "$empty" "$fakebin"' EXIT
fail=0
expect() {  # name, exit status, output, wanted text
  if [ "$2" -ne 4 ] || [ "$(printf '%s\n' "$3" | grep -c .)" -ne 1 ] || ! grep -qF -- "$4" <<<"$3"; then
    echo "FAIL $1: exit $2, output:"; printf '%s\n' "$3"; fail=1
  else
    echo "ok   $1: $3"
  fi
}
out=$(PATH=$empty "$kiln" check --target cortex-m4 "$model" 2>&1 >/dev/null); rc=$?
expect "no cross compiler" $rc "$out" "needs 'arm-none-eabi-g++'"
out=$(PATH=$empty "$kiln" check --target cortex-a "$model" 2>&1 >/dev/null); rc=$?
expect "no aarch64 compiler" $rc "$out" "needs 'aarch64-linux-gnu-g++'"
# The compiler is there (a stand-in that is never run), QEMU is not.
printf '#!/bin/sh\nexit 1\n' >"$fakebin/arm-none-eabi-g++"
chmod +x "$fakebin/arm-none-eabi-g++"
out=$(PATH=$fakebin "$kiln" check --target cortex-m55 "$model" 2>&1 >/dev/null); rc=$?
expect "no qemu-system-arm" $rc "$out" "needs 'qemu-system-arm'"
exit $fail
