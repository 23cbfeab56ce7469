#!/usr/bin/env node
// ONNX Runtime (onnxruntime-node) as the reference runner for Kiln: runs a model on ONNX test data
// (input_N.pb) and writes ONNX Runtime's outputs as output_N.pb, so `kiln check MODEL --data DIR`
// compares Kiln's generated code with an implementation nobody here wrote.
//
//   node ort_run.js run MODEL DIR [--out OUTDIR]          DIR/input_N.pb -> OUTDIR/output_N.pb (default DIR)
//   node ort_run.js make MODEL OUTDIR [--sets N] [--seed S] [--input-shape NAME=1x3x8x8]... [--uniform LO,HI]
//                                                         OUTDIR/test_data_set_K/{input_N,output_N}.pb with
//                                                         seeded random inputs
//   node ort_run.js compare GOT.pb WANT.pb [--rtol R] [--atol A]
//                                                         same tolerance rule as kiln check
//
// ONNX Runtime runs on the CPU with one thread and all graph optimizations. onnxruntime-node is found
// through NODE_PATH (install it with test/ort/install_ort.sh). Exit codes: 0 ok, 1 outputs differ (compare),
// 2 usage or data error, 77 onnxruntime-node cannot be loaded (so CTest can report a skip).
'use strict';

const fs = require('fs');
const path = require('path');
const {decodeTensor, encodeTensor} = require('./tensor_proto.js');

const EXIT_MISMATCH = 1, EXIT_ERROR = 2, EXIT_NO_ORT = 77;

class UsageError extends Error {}

function loadOrt() {
  try {
    return require('onnxruntime-node');
  } catch (e) {
    process.stderr.write(`ort_run: cannot load onnxruntime-node (set NODE_PATH to the node_modules that holds it; ` +
      `test/ort/install_ort.sh installs it): ${e.message}\n`);
    process.exit(EXIT_NO_ORT);
  }
}

// argv -> {positional: [...], options: {name: value | [values]}}; repeatable options collect into arrays.
function parseArgs(argv, known, repeatable = []) {
  const out = {positional: [], options: {}};
  for (const r of repeatable) out.options[r] = [];
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      out.positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (!known.includes(name)) throw new UsageError(`unknown option --${name}`);
    const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    if (repeatable.includes(name)) out.options[name].push(value);
    else out.options[name] = value;
  }
  return out;
}

function numberOption(options, name, fallback) {
  if (options[name] === undefined) return fallback;
  const v = Number(options[name]);
  if (!Number.isFinite(v)) throw new UsageError(`--${name} '${options[name]}' is not a number`);
  return v;
}

async function createSession(ort, modelPath) {
  return ort.InferenceSession.create(modelPath, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
}

function dataFiles(dir, prefix) {
  const files = [];
  for (let i = 0; fs.existsSync(path.join(dir, `${prefix}_${i}.pb`)); ++i) files.push(path.join(dir, `${prefix}_${i}.pb`));
  return files;
}

// Runs the session on tensors given in the model's input order; returns outputs in its output order.
async function runSession(ort, session, tensors) {
  if (tensors.length !== session.inputNames.length)
    throw new UsageError(`${tensors.length} inputs given but the model has ${session.inputNames.length}`);
  const feeds = {};
  session.inputNames.forEach((name, i) => {
    const t = tensors[i];
    feeds[name] = new ort.Tensor(t.ortType, t.data, t.dims);
  });
  const results = await session.run(feeds);
  return session.outputNames.map((name) => {
    const r = results[name];
    return {name, ortType: r.type, dims: Array.from(r.dims, Number), data: r.data};
  });
}

function writeOutputs(dir, outputs) {
  fs.mkdirSync(dir, {recursive: true});
  outputs.forEach((t, i) => fs.writeFileSync(path.join(dir, `output_${i}.pb`), encodeTensor(t)));
}

async function cmdRun(args) {
  const {positional, options} = parseArgs(args, ['out']);
  if (positional.length !== 2) throw new UsageError('run: expected MODEL DIR');
  const [model, dir] = positional;
  const inputs = dataFiles(dir, 'input').map((f) => decodeTensor(fs.readFileSync(f)));
  if (!inputs.length) throw new UsageError(`${dir}: no input_0.pb`);
  const ort = loadOrt();
  const session = await createSession(ort, model);
  const outputs = await runSession(ort, session, inputs);
  const out = options.out || dir;
  writeOutputs(out, outputs);
  for (const [i, t] of outputs.entries()) console.log(`ort: ${out}/output_${i}.pb '${t.name}' ${t.ortType}[${t.dims.join('x')}]`);
}

// mulberry32: a small seeded generator, so reference inputs are the same on every machine.
function makeRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function parseShapes(specs) {
  const shapes = {};
  for (const s of specs) {
    const eq = s.lastIndexOf('=');
    const dims = eq > 0 ? s.slice(eq + 1).split('x').map(Number) : [];
    if (eq <= 0 || !dims.length || dims.some((d) => !Number.isInteger(d) || d < 0))
      throw new UsageError(`--input-shape '${s}': expected NAME=DIMS, e.g. input=1x3x224x224`);
    shapes[s.slice(0, eq)] = dims;
  }
  return shapes;
}

// Floats: standard normal (or uniform in --uniform LO,HI); integers: uniform in [0, 10); bools: fair coin.
function randomTensor(meta, dims, rand, uniform) {
  const count = dims.reduce((a, b) => a * b, 1);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const float = () => (uniform ? uniform[0] + (uniform[1] - uniform[0]) * rand() : gauss());
  const int = () => Math.floor(rand() * 10);
  let data;
  switch (meta.type) {
    case 'float32': data = Float32Array.from({length: count}, float); break;
    case 'float64': data = Float64Array.from({length: count}, float); break;
    case 'int8': data = Int8Array.from({length: count}, int); break;
    case 'uint8': data = Uint8Array.from({length: count}, int); break;
    case 'int16': data = Int16Array.from({length: count}, int); break;
    case 'uint16': data = Uint16Array.from({length: count}, int); break;
    case 'int32': data = Int32Array.from({length: count}, int); break;
    case 'uint32': data = Uint32Array.from({length: count}, int); break;
    case 'int64': data = BigInt64Array.from({length: count}, () => BigInt(int())); break;
    case 'uint64': data = BigUint64Array.from({length: count}, () => BigInt(int())); break;
    case 'bool': data = Uint8Array.from({length: count}, () => (rand() < 0.5 ? 1 : 0)); break;
    default: throw new UsageError(`input '${meta.name}': cannot make random data of type ${meta.type}`);
  }
  return {name: meta.name, ortType: meta.type, dims, data};
}

async function cmdMake(args) {
  const {positional, options} = parseArgs(args, ['sets', 'seed', 'input-shape', 'uniform'], ['input-shape']);
  if (positional.length !== 2) throw new UsageError('make: expected MODEL OUTDIR');
  const [model, outdir] = positional;
  const sets = numberOption(options, 'sets', 1), seed = numberOption(options, 'seed', 1);
  const shapes = parseShapes(options['input-shape']);
  let uniform = null;
  if (options.uniform !== undefined) {
    uniform = options.uniform.split(',').map(Number);
    if (uniform.length !== 2 || uniform.some((v) => !Number.isFinite(v))) throw new UsageError('--uniform expects LO,HI');
  }
  const ort = loadOrt();
  const session = await createSession(ort, model);
  const metas = session.inputMetadata;
  for (const name of Object.keys(shapes))
    if (!session.inputNames.includes(name)) throw new UsageError(`--input-shape: the model has no input '${name}'`);
  const dimsOf = (meta) => {
    if (shapes[meta.name]) return shapes[meta.name];
    return meta.shape.map((d) => {
      if (typeof d === 'number' && d >= 0) return d;
      process.stderr.write(`ort_run: input '${meta.name}' has dynamic dimension '${d}', using 1 (or give --input-shape)\n`);
      return 1;
    });
  };
  for (let s = 0; s < sets; ++s) {
    const dir = path.join(outdir, `test_data_set_${s}`);
    fs.mkdirSync(dir, {recursive: true});
    const inputs = metas.map((meta, i) => {
      if (!meta.isTensor) throw new UsageError(`input '${meta.name}' is not a tensor`);
      return randomTensor(meta, dimsOf(meta), makeRandom(seed * 7919 + s * 131 + i), uniform);
    });
    inputs.forEach((t, i) => fs.writeFileSync(path.join(dir, `input_${i}.pb`), encodeTensor(t)));
    const outputs = await runSession(ort, session, inputs);
    writeOutputs(dir, outputs);
    console.log(`ort: ${dir}: ${inputs.length} input(s) ` +
      `${inputs.map((t) => `${t.ortType}[${t.dims.join('x')}]`).join(', ')} -> ${outputs.length} output(s) ` +
      `${outputs.map((t) => `${t.ortType}[${t.dims.join('x')}]`).join(', ')}`);
  }
}

function cmdCompare(args) {
  const {positional, options} = parseArgs(args, ['rtol', 'atol']);
  if (positional.length !== 2) throw new UsageError('compare: expected GOT.pb WANT.pb');
  const rtol = numberOption(options, 'rtol', 1e-3), atol = numberOption(options, 'atol', 1e-5);
  const [got, want] = positional.map((f) => decodeTensor(fs.readFileSync(f)));
  const shape = (t) => `${t.ortType}[${t.dims.join('x')}]`;
  if (got.ortType !== want.ortType || got.dims.join('x') !== want.dims.join('x')) {
    console.log(`compare: ${shape(got)} but expected ${shape(want)}`);
    return EXIT_MISMATCH;
  }
  let maxAbs = 0, maxRel = 0, bad = 0;
  for (let i = 0; i < want.data.length; ++i) {
    const g = Number(got.data[i]), w = Number(want.data[i]);
    if (Number.isNaN(g) || Number.isNaN(w) || !Number.isFinite(g) || !Number.isFinite(w)) {
      if (!Object.is(g, w)) ++bad;
      continue;
    }
    const e = Math.abs(g - w);
    maxAbs = Math.max(maxAbs, e);
    if (w !== 0) maxRel = Math.max(maxRel, e / Math.abs(w));
    if (e > atol + rtol * Math.abs(w)) ++bad;
  }
  console.log(`compare ${shape(want)}: max abs error ${maxAbs.toExponential(3)}, max rel error ` +
    `${maxRel.toExponential(3)}, ${bad} of ${want.data.length} outside rtol ${rtol} atol ${atol}`);
  return bad ? EXIT_MISMATCH : 0;
}

async function main(argv) {
  const [command, ...rest] = argv;
  if (command === 'run') return (await cmdRun(rest)) || 0;
  if (command === 'make') return (await cmdMake(rest)) || 0;
  if (command === 'compare') return cmdCompare(rest);
  throw new UsageError('usage: ort_run.js run|make|compare ... (see the comment at the top of the file)');
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`ort_run: ${e instanceof UsageError ? e.message : e.stack || e}\n`);
    process.exit(EXIT_ERROR);
  });
