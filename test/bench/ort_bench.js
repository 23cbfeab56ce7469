#!/usr/bin/env node
// ONNX Runtime's side of test/bench/speed_bench.py: times one model on the CPU, single-threaded, all graph
// optimizations, sequential execution, on the inputs of a data set folder, and writes its outputs.
//
//   node ort_bench.js MODEL DIR OUTDIR RUNS WARMUP
//     DIR/input_N.pb -> OUTDIR/output_N.pb (the last run's outputs); prints one JSON line:
//     {"runs": R, "warmup": W, "min_ms": .., "median_ms": .., "mean_ms": .., "times_ms": [..]}
// onnxruntime-node is found through NODE_PATH. Exit codes: 0 ok, 2 usage or data error, 77 no onnxruntime-node.
'use strict';

const fs = require('fs');
const path = require('path');
const {decodeTensor, encodeTensor} = require('../ort/tensor_proto.js');

async function main(argv) {
  if (argv.length !== 5) throw new Error('usage: ort_bench.js MODEL DIR OUTDIR RUNS WARMUP');
  const [model, dir, outdir] = argv;
  const runs = Number(argv[3]), warmup = Number(argv[4]);
  if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(warmup) || warmup < 0)
    throw new Error('RUNS must be an integer >= 1 and WARMUP >= 0');
  let ort;
  try {
    ort = require('onnxruntime-node');
  } catch (e) {
    process.stderr.write(`ort_bench: cannot load onnxruntime-node (NODE_PATH): ${e.message}\n`);
    return 77;
  }
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
  const feeds = {};
  session.inputNames.forEach((name, i) => {
    const t = decodeTensor(fs.readFileSync(path.join(dir, `input_${i}.pb`)));
    feeds[name] = new ort.Tensor(t.ortType, t.data, t.dims);
  });
  let results;
  const times = [];
  for (let r = 0; r < warmup + runs; ++r) {
    const start = process.hrtime.bigint();
    results = await session.run(feeds);
    const ms = Number(process.hrtime.bigint() - start) * 1e-6;
    if (r >= warmup) times.push(ms);
  }
  fs.mkdirSync(outdir, {recursive: true});
  session.outputNames.forEach((name, i) => {
    const t = results[name];
    fs.writeFileSync(path.join(outdir, `output_${i}.pb`),
      encodeTensor({name, ortType: t.type, dims: Array.from(t.dims, Number), data: t.data}));
  });
  const sorted = [...times].sort((a, b) => a - b);
  const n = sorted.length;
  const median = n % 2 ? sorted[(n - 1) / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
  console.log(JSON.stringify({runs, warmup, min_ms: sorted[0], median_ms: median,
    mean_ms: times.reduce((a, b) => a + b, 0) / n, times_ms: times}));
  return 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
  process.stderr.write(`ort_bench: ${e.stack || e}\n`);
  process.exit(2);
});
