#!/usr/bin/env node
// ONNX Runtime's per-node times, to set beside `kiln bench --profile`: runs one model on the CPU with the same
// session options as ort_bench.js (one thread, graph optimizations 'all', sequential) and ORT's profiler on,
// then prints, per node of the optimized graph in execution order, the median of its kernel times over the
// timed runs (ms), its op and output shape, and the sum.
//
//   node ort_profile.js MODEL DIR RUNS WARMUP
//     DIR/input_N.pb are the inputs (as for ort_bench.js). The profiler's JSON file is written to the system
//     temporary folder and removed afterwards.
// onnxruntime-node is found through NODE_PATH. Exit codes: 0 ok, 2 usage or data error, 77 no onnxruntime-node.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const {decodeTensor} = require('../ort/tensor_proto.js');

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

async function main(argv) {
  if (argv.length !== 4) throw new Error('usage: ort_profile.js MODEL DIR RUNS WARMUP');
  const [model, dir] = argv;
  const runs = Number(argv[2]), warmup = Number(argv[3]);
  if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(warmup) || warmup < 0)
    throw new Error('RUNS must be an integer >= 1 and WARMUP >= 0');
  let ort;
  try {
    ort = require('onnxruntime-node');
  } catch (e) {
    process.stderr.write(`ort_profile: cannot load onnxruntime-node (NODE_PATH): ${e.message}\n`);
    return 77;
  }
  const prefix = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-ort-profile-')), 'profile');
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    enableProfiling: true,
    profileFilePrefix: prefix,
  });
  const feeds = {};
  session.inputNames.forEach((name, i) => {
    const t = decodeTensor(fs.readFileSync(path.join(dir, `input_${i}.pb`)));
    feeds[name] = new ort.Tensor(t.ortType, t.data, t.dims);
  });
  for (let r = 0; r < warmup + runs; ++r) await session.run(feeds);
  session.endProfiling();
  const folder = path.dirname(prefix);
  const file = fs.readdirSync(folder).find((f) => f.startsWith('profile') && f.endsWith('.json'));
  if (!file) throw new Error('ONNX Runtime wrote no profile');
  const events = JSON.parse(fs.readFileSync(path.join(folder, file), 'utf8'));
  fs.rmSync(folder, {recursive: true, force: true});

  // Node events '<node>_kernel_time', one per run, in execution order; the first `warmup` runs are dropped.
  const nodes = new Map();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const name = e.name.slice(0, -'_kernel_time'.length);
    if (!nodes.has(name)) nodes.set(name, {op: e.args.op_name, shape: e.args.output_type_shape, times: []});
    nodes.get(name).times.push(e.dur / 1000.0);
  }
  let total = 0;
  console.log('node                                      op                     output                    ms');
  for (const [name, n] of nodes) {
    const ms = median(n.times.slice(warmup));
    total += ms;
    const shape = (n.shape || []).map((o) => Object.values(o)[0].join('x')).join(',');
    console.log(`${name.slice(0, 41).padEnd(42)}${String(n.op).padEnd(23)}${shape.padEnd(22)}${ms.toFixed(4).padStart(8)}`);
  }
  console.log(`sum of node medians ${total.toFixed(4)} ms (${runs} runs after ${warmup} warmup)`);
  return 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
  process.stderr.write(`ort_profile: ${e.stack || e}\n`);
  process.exit(2);
});
