#!/usr/bin/env bash
# Installs ONNX Runtime for Node (onnxruntime-node, Kiln's reference runner) into DIR/node_modules
# (default: build/ort) and checks that its CPU library loads and runs. --ignore-scripts skips the package's
# install script, which would try to download optional GPU binaries; the CPU library ships in the package
# (node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1, next to the binding that
# links it). Use it afterwards with NODE_PATH=DIR/node_modules, or KILN_ORT_DIR=DIR for the scripts here.
set -euo pipefail

version=1.30.0
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-$here/../../build/ort}

command -v node >/dev/null || { echo "install_ort: node is not installed (apt-get install nodejs npm)" >&2; exit 1; }
command -v npm >/dev/null || { echo "install_ort: npm is not installed (apt-get install npm)" >&2; exit 1; }

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
installed=$(node -p "try { require('$dir/node_modules/onnxruntime-node/package.json').version } catch (e) { '' }")
if [ "$installed" != "$version" ]; then
    echo "install_ort: npm install --ignore-scripts onnxruntime-node@$version into $dir"
    npm install --prefix "$dir" --ignore-scripts --no-audit --no-fund --no-save "onnxruntime-node@$version"
fi

export NODE_PATH=$dir/node_modules
node -e "
const ort = require('onnxruntime-node');
if (!ort.listSupportedBackends().some((b) => b.name === 'cpu' && b.bundled)) throw new Error('no bundled CPU backend');
console.log('install_ort: onnxruntime-node ' + ort.env.versions.node + ' loads, CPU backend bundled');
"
# A real run when the ONNX test data is installed (libonnx-testdata): ORT must reproduce test_relu.
relu=/usr/share/libonnx-testdata/data/node/test_relu
if [ -d "$relu" ]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    node "$here/ort_run.js" run "$relu/model.onnx" "$relu/test_data_set_0" --out "$tmp" >/dev/null
    node "$here/ort_run.js" compare "$tmp/output_0.pb" "$relu/test_data_set_0/output_0.pb" --rtol 0 --atol 0
fi
echo "install_ort: ready; use NODE_PATH=$NODE_PATH"
