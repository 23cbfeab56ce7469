#!/usr/bin/env bash
# run_if_installed.sh PROGRAM... -- COMMAND...: runs COMMAND, or exits 77 (skipped) when a PROGRAM is missing.
set -u
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  command -v "$1" >/dev/null || { echo "SKIP: $1 is not installed (.ci/install-deps.sh installs it)"; exit 77; }
  shift
done
shift
exec "$@"
