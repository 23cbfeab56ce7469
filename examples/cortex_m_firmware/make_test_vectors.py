#!/usr/bin/python3
"""Test vectors for firmware: seeded inputs for a model, and a C++ header holding inputs and expected outputs.

    make_test_vectors.py inputs MODEL.onnx DIR [--seed N]    writes DIR/input_N.pb, one per graph input:
                                                             standard-normal float32 values (seeded)
    make_test_vectors.py header INPUT_DIR EXPECTED_DIR OUT.h  writes OUT.h from INPUT_DIR/input_N.pb and
                                                             EXPECTED_DIR/output_N.pb

The expected outputs are the reference evaluator's (`kiln run MODEL --data DIR --out EXPECTED_DIR`), so the
header lets firmware compare the generated code on the target core with Kiln's own reference kernels on the
host. The header (namespace test_vectors) has kNumInputs/kNumOutputs, kInputN/kExpectedN arrays, the
pointer tables kInputs/kExpected, element counts and output names. Literals are printed with 9 significant
digits, which round-trips float32 exactly. Only float32 tensors (what the example models take and return).
Needs numpy and python3-onnx (no torch).
"""
import argparse
import glob
import os
import re
import sys

import numpy as np
import onnx
from onnx import numpy_helper

PER_LINE = 8


def write_inputs(model_path, folder, seed):
    model = onnx.load(model_path, load_external_data=False)
    constants = {t.name for t in model.graph.initializer}
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    inputs = [i for i in model.graph.input if i.name not in constants]
    for k, info in enumerate(inputs):
        tensor_type = info.type.tensor_type
        if tensor_type.elem_type != onnx.TensorProto.FLOAT:
            sys.exit(f"make_test_vectors: input '{info.name}' is not float32")
        dims = [d.dim_value if d.HasField("dim_value") else -1 for d in tensor_type.shape.dim]
        if any(d < 0 for d in dims):
            sys.exit(f"make_test_vectors: input '{info.name}' has a symbolic shape; export it with a static one")
        data = rng.standard_normal(dims).astype(np.float32)
        tensor = numpy_helper.from_array(data, name=info.name)
        with open(os.path.join(folder, f"input_{k}.pb"), "wb") as f:
            f.write(tensor.SerializeToString())
    print(f"make_test_vectors: {len(inputs)} seeded input(s) (seed {seed}) in {folder}")


def read_tensors(folder, stem):
    paths = sorted(glob.glob(os.path.join(folder, f"{stem}_*.pb")),
                   key=lambda p: int(re.search(r"_(\d+)\.pb$", p).group(1)))
    if not paths:
        sys.exit(f"make_test_vectors: no {stem}_N.pb in {folder}")
    tensors = []
    for p in paths:
        t = onnx.TensorProto()
        with open(p, "rb") as f:
            t.ParseFromString(f.read())
        if t.data_type != onnx.TensorProto.FLOAT:
            sys.exit(f"make_test_vectors: {p} is not float32")
        a = numpy_helper.to_array(t)
        if not np.all(np.isfinite(a)):
            sys.exit(f"make_test_vectors: {p} holds Inf or NaN")
        tensors.append((t.name, a))
    return tensors


def c_float(v):
    text = f"{float(v):.9g}"
    return text + ("f" if any(c in text for c in ".e") else ".0f")  # "1f" is not a C++ literal


def c_array(name, values):
    lines = [f"alignas(16) const float {name}[{values.size}] = {{"]
    flat = values.reshape(-1)
    for i in range(0, flat.size, PER_LINE):
        lines.append("    " + " ".join(c_float(v) + "," for v in flat[i:i + PER_LINE]))
    lines.append("};")
    return lines


def write_header(input_dir, expected_dir, out):
    inputs = read_tensors(input_dir, "input")
    outputs = read_tensors(expected_dir, "output")
    shape = lambda a: "x".join(str(d) for d in a.shape) or "scalar"  # noqa: E731
    lines = ["// Test vectors made by make_test_vectors.py: seeded inputs and the reference evaluator's outputs.",
             "// Do not edit.", "#pragma once", "", "#include <cstddef>", "", "namespace test_vectors {", "",
             f"constexpr int kNumInputs = {len(inputs)};", f"constexpr int kNumOutputs = {len(outputs)};", ""]
    for k, (name, a) in enumerate(inputs):
        lines += [f"// input {k} '{name}': f32[{shape(a)}]"] + c_array(f"kInput{k}", a) + [""]
    for k, (name, a) in enumerate(outputs):
        lines += [f"// expected output {k} '{name}': f32[{shape(a)}]"] + c_array(f"kExpected{k}", a) + [""]
    lines += ["const float* const kInputs[] = {" + ", ".join(f"kInput{k}" for k in range(len(inputs))) + "};",
              "const float* const kExpected[] = {" + ", ".join(f"kExpected{k}" for k in range(len(outputs))) + "};",
              "constexpr std::size_t kInputElements[] = {" + ", ".join(str(a.size) for _, a in inputs) + "};",
              "constexpr std::size_t kOutputElements[] = {" + ", ".join(str(a.size) for _, a in outputs) + "};",
              "constexpr std::size_t kTotalOutputElements = " + str(sum(a.size for _, a in outputs)) + ";",
              "const char* const kOutputNames[] = {" + ", ".join(f'"{n}"' for n, _ in outputs) + "};",
              "", "}  // namespace test_vectors", ""]
    tmp = out + ".partial"
    with open(tmp, "w") as f:
        f.write("\n".join(lines))
    os.replace(tmp, out)  # a half-written header never looks up to date
    print(f"make_test_vectors: {out}: {len(inputs)} input(s), {len(outputs)} expected output(s)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("inputs", help="seeded input_N.pb files for a model")
    p.add_argument("model")
    p.add_argument("dir")
    p.add_argument("--seed", type=int, default=5)
    p = sub.add_parser("header", help="a C++ header from input_N.pb and output_N.pb files")
    p.add_argument("input_dir")
    p.add_argument("expected_dir")
    p.add_argument("out")
    args = ap.parse_args()
    if args.command == "inputs":
        write_inputs(args.model, args.dir, args.seed)
    else:
        write_header(args.input_dir, args.expected_dir, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
