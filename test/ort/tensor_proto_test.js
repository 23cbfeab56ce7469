#!/usr/bin/env node
// Round-trips every TensorProto file of the ONNX backend test data (default
// /usr/share/libonnx-testdata/data) through tensor_proto.js: decode, encode, decode again, and the
// name, type, shape and values must survive (NaN payloads included: values are compared as bytes).
// Files that are sequences, maps or optionals (not TensorProtos) must be rejected as such, never misread;
// any other decoding error fails the test.
// Needs only node. Exit 0 all good, 1 a tensor changed, 77 no test data installed.
'use strict';

const fs = require('fs');
const path = require('path');
const {decodeTensor, encodeTensor} = require('./tensor_proto.js');

const root = process.argv[2] || '/usr/share/libonnx-testdata/data';
if (!fs.existsSync(root)) {
  console.log(`tensor_proto_test: SKIP: no ONNX test data in ${root} (apt-get install libonnx-testdata)`);
  process.exit(77);
}

function* dataFiles(dir) {
  for (const e of fs.readdirSync(dir, {withFileTypes: true}).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* dataFiles(p);
    else if (/^(input|output)_\d+\.pb$/.test(e.name)) yield p;
  }
}

function bytesOf(t) {
  return t.ortType === 'string' ? Buffer.from(JSON.stringify(t.data)) :
    Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

let passed = 0, failed = 0, rejected = 0, unsupported = 0;
const types = new Set();
for (const file of dataFiles(root)) {
  let a;
  try {
    a = decodeTensor(fs.readFileSync(file));
  } catch (e) {
    if (/not a TensorProto|data_type 0 /.test(e.message)) {
      ++rejected;  // sequence/map/optional data
    } else if (/data_type \d+ is not supported by onnxruntime-node/.test(e.message)) {
      ++unsupported;  // bfloat16, complex: ONNX Runtime for Node has no tensor type for them
    } else {
      ++failed;
      console.log(`tensor_proto_test: ${file}: ${e.message}`);
    }
    continue;
  }
  const b = decodeTensor(encodeTensor(a));
  const same = a.name === b.name && a.dataType === b.dataType && a.dims.join('x') === b.dims.join('x') &&
    bytesOf(a).equals(bytesOf(b));
  if (same) {
    ++passed;
    types.add(a.ortType);
  } else {
    ++failed;
    console.log(`tensor_proto_test: ${file}: changed by the round trip`);
  }
}
console.log(`tensor_proto_test: element types seen: ${[...types].sort().join(' ')}; ` +
  `${rejected} non-tensor files rejected, ${unsupported} tensors of types onnxruntime-node lacks`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed || !passed ? 1 : 0);
